use super::*;
use crate::tokens::Signer;

fn areas() -> Areas {
    Areas::example()
}

fn partner(id: &str, link: &str, categories: &str, keywords: &str, areas: &str, paid: bool) -> String {
    format!(
        "[[partner]]\nid = \"{id}\"\nname = \"P {id}\"\ndescription = \"d\"\nlink = \"{link}\"\n\
         categories = [{categories}]\nkeywords = [{keywords}]\nareas = {areas}\npaid = {paid}\n\n"
    )
}

fn load(src: &str) -> Result<Partners, PartnersError> {
    Partners::from_toml("partners.toml", src, &areas())
}

fn err(src: &str) -> String {
    load(src).expect_err("should be rejected").to_string()
}

/// The error for a partner with a valid link and these fields.
fn err_of(id: &str, categories: &str, keywords: &str, areas: &str) -> String {
    err(&partner(id, "https://o.example/", categories, keywords, areas, false))
}

#[test]
fn the_example_file_loads_and_is_marked_as_examples() {
    let p = Partners::example();
    assert_eq!(p.all().len(), 4);
    for x in p.all() {
        assert!(x.id.starts_with("exemple-"), "{}", x.id);
        assert!(x.name.starts_with("Exemple —"), "{}", x.name);
        assert!(
            x.link.contains(".example.org/") || x.link.contains(".example.net/"),
            "{}",
            x.link
        );
    }
    assert_eq!(p.all().iter().filter(|x| x.paid).count(), 1);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/partners.toml");
    assert_eq!(Partners::load(&file, &areas()).unwrap().all(), p.all());
}

#[test]
fn loading_errors_name_the_file_the_partner_and_the_field() {
    let a = partner(
        "outils",
        "https://o.example/{item}",
        "\"bricolage\"",
        "",
        "\"all\"",
        false,
    );
    assert_eq!(
        err(&format!("{a}{a}")),
        "partners.toml: partner `outils`: id: used by an earlier partner too; ids must be unique"
    );
    let bad_link = |link: &str| err(&partner("x", link, "\"bricolage\"", "", "\"all\"", false));
    for link in [
        "ftp://o.example/",
        "o.example/{item}",
        "https:///path",
        "https://{area}.example/",
    ] {
        let e = bad_link(link);
        assert!(e.starts_with("partners.toml: partner `x`: link: "), "{e}");
    }
    assert!(bad_link("https://o.example/{nom}").contains("unknown placeholder {nom}"));
    assert!(bad_link("https://o.example/{item").contains("unmatched brace"));
    assert!(bad_link("https://o.example/}").contains("unmatched brace"));
    assert!(bad_link("https://o.example/a b").contains("visible ASCII"));
    assert!(bad_link("https://o.example/été").contains("visible ASCII"));
    let e = err_of("x", "\"musique\"", "", "\"all\"");
    assert!(
        e.starts_with("partners.toml: partner `x`: categories: unknown category \"musique\"; known: bricolage,"),
        "{e}"
    );
    let e = err_of("x", "\"bricolage\"", "", "[\"nulle-part\"]");
    assert!(
        e.starts_with("partners.toml: partner `x`: areas: unknown area \"nulle-part\"; known: intra-muros,"),
        "{e}"
    );
    let e = err_of("x", "\"bricolage\"", "", "\"partout\"");
    assert!(e.contains("areas: \"partout\": write \"all\""), "{e}");
    let e = err_of("x", "\"bricolage\"", "", "[]");
    assert!(e.contains("areas: the list is empty"), "{e}");
    let e = err_of("Outils", "\"bricolage\"", "", "\"all\"");
    assert!(e.starts_with("partners.toml: partner `Outils`: id: "), "{e}");
    let e = err_of("x", "", "", "\"all\"");
    assert!(e.contains("categories: give at least one category or keyword"), "{e}");
    let e = err_of("x", "", "\"--\"", "\"all\"");
    assert!(e.contains("keywords: \"--\" has no word"), "{e}");
    let e = err("[[partner]]\nid = \"x\"\nname = \"X\"\ndescription = \"d\"\nareas = \"all\"\n");
    assert!(
        e.starts_with("partners.toml: partner `x`: fields: missing field `link`"),
        "{e}"
    );
    let e = err("[[partner]]\nname = \"X\"\n");
    assert!(e.starts_with("partners.toml: partner `partner[0]`: "), "{e}");
    let e = err(
        &partner("x", "https://o.example/", "\"bricolage\"", "", "\"all\"", false)
            .replace("paid = false", "paid = \"oui\""),
    );
    assert!(e.starts_with("partners.toml: partner `x`: paid: invalid type"), "{e}");
    let e = err("[[partner]]\nid = \"x\"\nlinks = 3\n");
    assert!(e.contains("unknown field `links`"), "{e}");
    let e = err("partners = [");
    assert!(e.starts_with("partners.toml: "), "{e}");
    let missing = Partners::load(Path::new("/nonexistent/partners.toml"), &areas()).unwrap_err();
    assert!(
        missing
            .to_string()
            .starts_with("cannot read partners file /nonexistent/partners.toml: "),
        "{missing}"
    );
    assert!(load("").unwrap().all().is_empty());
}

#[test]
fn best_for_prefers_keywords_then_unpaid_then_file_order_and_respects_areas() {
    let src = [
        partner("cat-paid", "https://a.example/", "\"bricolage\"", "", "\"all\"", true),
        partner("cat", "https://b.example/", "\"bricolage\"", "", "\"all\"", false),
        partner("cat-too", "https://c.example/", "\"bricolage\"", "", "\"all\"", false),
        partner(
            "words",
            "https://d.example/",
            "\"cuisine\"",
            "\"perceuse\", \"grille-pain\"",
            "[\"parame\"]",
            false,
        ),
        partner("far", "https://e.example/", "\"jardinage\"", "", "[\"dinard\"]", false),
    ]
    .concat();
    let p = load(&src).unwrap();
    let best = |area: &str, category: &str, item: &str| p.best_for(area, category, item).map(|x| x.id.as_str());
    // The category alone: unpaid before paid, then the first in the file.
    assert_eq!(best("saint-servan", "bricolage", "scie"), Some("cat"));
    // A keyword counts more than the category, whole words, case, accents and plural aside.
    assert_eq!(best("parame", "bricolage", "Perceuses"), Some("words"));
    assert_eq!(best("parame", "autre", "GRILLE PAIN"), Some("words"));
    assert_eq!(best("parame", "autre", "perceuse-visseuse"), Some("words"));
    assert_eq!(best("parame", "autre", "superperceuse"), None);
    assert_eq!(best("parame", "autre", "pain"), None);
    // Not served in that area.
    assert_eq!(best("saint-servan", "autre", "perceuse"), None);
    assert_eq!(best("saint-servan", "jardinage", "tondeuse"), None);
    assert_eq!(best("dinard", "jardinage", "tondeuse"), Some("far"));
    // Lenient category names, unknown ones match nothing.
    assert_eq!(best("saint-servan", "Bricolage", "x"), Some("cat"));
    assert_eq!(best("saint-servan", "nimporte", "x"), None);
    // Only paid partners fit: the paid one is suggested.
    let paid_only = load(&partner("only", "https://a.example/", "\"sante\"", "", "\"all\"", true)).unwrap();
    assert_eq!(
        paid_only.best_for("parame", "sante", "béquilles").map(|x| x.paid),
        Some(true)
    );
    // The examples: a drill goes to the tool library, a van to car sharing.
    let ex = Partners::example();
    let best = |category: &str, item: &str| ex.best_for("saint-servan", category, item).map(|x| x.id.as_str());
    assert_eq!(best("bricolage", "perceuse"), Some("exemple-outiltheque"));
    assert_eq!(best("mobilite", "camionnette"), Some("exemple-autopartage"));
    assert_eq!(best("cuisine", "cafetière à réparer"), Some("exemple-repair-cafe"));
    assert_eq!(best("maison", "armoire"), Some("exemple-ressourcerie"));
    assert_eq!(ex.best_for("dinard", "maison", "armoire"), None);
}

fn links(key: &[u8]) -> Links {
    Links {
        public_url: "https://v.example".into(),
        signer: Signer::new(key),
    }
}

#[test]
fn links_round_trip_and_refuse_tampering() {
    let p = Partners::example();
    let l = links(b"key");
    let tools = p.get("exemple-outiltheque").unwrap();
    let url = tools.link(&l, "saint-servan", "perceuse à percussion");
    let token = url
        .strip_prefix("https://v.example/p/exemple-outiltheque/")
        .expect(&url);
    let f = p.follow(&l, "exemple-outiltheque", token).expect("a valid link");
    assert_eq!(
        (f.partner.id.as_str(), f.area.as_str(), f.item.as_str()),
        ("exemple-outiltheque", "saint-servan", "perceuse à percussion")
    );
    // Another partner's path, another key, an altered token, an unknown partner.
    assert_eq!(p.follow(&l, "exemple-repair-cafe", token), None);
    assert_eq!(p.follow(&links(b"other"), "exemple-outiltheque", token), None);
    let mut altered = token.to_owned();
    let last = altered.pop().unwrap();
    altered.push(if last == '0' { '1' } else { '0' });
    assert_eq!(p.follow(&l, "exemple-outiltheque", &altered), None);
    assert_eq!(p.follow(&l, "exemple-outiltheque", "nonsense"), None);
    let ghost = load(&partner(
        "ghost",
        "https://g.example/",
        "\"autre\"",
        "",
        "\"all\"",
        false,
    ))
    .unwrap();
    let ghost_url = ghost.all()[0].link(&l, "parame", "x");
    let ghost_token = ghost_url.rsplit('/').next().unwrap();
    assert_eq!(p.follow(&l, "ghost", ghost_token), None);
    // A token of another kind signed by the same key is no partner link.
    assert_eq!(p.follow(&l, "exemple-outiltheque", &l.signer.sign("u|42")), None);
}

#[test]
fn targets_fill_the_placeholders_url_encoded() {
    let src = partner(
        "x",
        "https://o.example/s?q={item}&a={area}&c={commune}&cp={postcode}",
        "\"autre\"",
        "",
        "\"all\"",
        false,
    );
    let p = load(&src).unwrap();
    let a = areas();
    let x = &p.all()[0];
    assert_eq!(
        x.target(a.get("saint-servan"), "scie & clous/2"),
        "https://o.example/s?q=scie%20%26%20clous%2F2&a=Saint-Servan&c=Saint-Malo&cp=35400"
    );
    assert_eq!(
        x.target(None, "échelle"),
        "https://o.example/s?q=%C3%A9chelle&a=&c=&cp="
    );
}
