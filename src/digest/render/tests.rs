//! The digest email and room summary, in French and in English.

use super::*;
use crate::digest::build::tests::input;
use crate::digest::build::{DigestInput, build};
use chrono::NaiveDate;

/// A post of the build tests, by `author`, made in message 100 + id.
fn post(id: i64, direction: &str, item: &str, category: &str, author: &str) -> PostLine {
    PostLine {
        author: author.into(),
        message_id: 100 + id,
        ..crate::digest::build::tests::post(id, direction, item, category)
    }
}

fn digest() -> Digest {
    let mut dated = post(5, "offer", "tente", "loisirs", "Léa");
    dated.when_from = NaiveDate::from_ymd_opt(2026, 11, 30);
    dated.when_to = NaiveDate::from_ymd_opt(2026, 12, 2);
    build(
        DigestInput {
            unanswered: vec![post(3, "request", "échelle", "bricolage", "Marc")],
            coming: vec![dated],
            figures: Figures {
                new_members: 2,
                offers: 1,
                requests: 1,
                matches: 0,
                loans_started: 1,
                loans_returned: 0,
            },
            partner: Some(PartnerLine {
                name: "Exemple — Outilthèque".into(),
                description: "des outils à emprunter".into(),
                link: "https://v.example/p/exemple-outiltheque/abc".into(),
                paid: true,
                for_item: "échelle".into(),
            }),
            ..input(vec![
                post(1, "offer", "perceuse", "bricolage", "Jeanne"),
                post(2, "request", "<script>alert(1)</script>", "bricolage", "Paul & fils"),
            ])
        },
        15,
    )
    .unwrap()
}

/// The test digest's email in `lang`, with reply addresses.
fn email_in(lang: Lang) -> Email {
    let reply = |p: &PostLine| Some(format!("voisinage+r{}.x@example.org", p.message_id));
    let r = Renderer::new(Texts::embedded());
    r.email(&digest(), lang, chrono_tz::Europe::Paris, &reply).unwrap()
}

#[test]
fn the_email_lists_everything_with_reply_addresses() {
    let e = email_in(Lang::Fr);
    assert_eq!(e.subject, "Voisinage Dinard : la semaine jusqu'au 28 novembre");
    for needle in [
        "Voici la semaine du quartier Dinard (du 21 au 28 novembre)",
        "Proposé par vos voisins",
        "Bricolage :",
        "• perceuse — Jeanne",
        "Pour répondre : écrivez à voisinage+r101.x@example.org",
        "Toujours sans réponse",
        "• échelle — Marc",
        "Dans les prochains jours",
        "• du 30 novembre au 2 décembre : tente — Léa",
        "2 nouveaux voisins, 1 offre, 1 demande, aucune mise en relation, 1 prêt commencé.",
        "https://v.example/p/exemple-outiltheque/abc (lien partenaire rémunéré)",
    ] {
        assert!(e.text.contains(needle), "missing {needle:?} in:\n{}", e.text);
    }
    assert!(!e.text.contains("\n\n\n"), "{}", e.text);
    // HTML: names and items escaped, each post with its mailto link.
    assert!(e.html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;") || e.html.contains("&lt;script&gt;"));
    assert!(!e.html.contains("<script>"));
    assert!(e.html.contains("Paul &amp; fils"));
    assert!(e.html.contains("<a href=\"mailto:voisinage+r101.x@example.org\">"));
    assert!(e.html.contains("Exemple — Outilthèque</a>"));
}

#[test]
fn without_email_there_are_no_reply_lines() {
    let r = Renderer::new(Texts::embedded());
    let e = r
        .email(&digest(), Lang::Fr, chrono_tz::Europe::Paris, &|_| None)
        .unwrap();
    assert!(!e.text.contains("Pour répondre"));
    assert!(!e.html.contains("mailto:"));
}

#[test]
fn the_room_summary_is_short_and_channel_aware() {
    let r = Renderer::new(Texts::embedded());
    let (text, html) = r.summary(&digest(), Lang::Fr, ChannelKind::Matrix);
    assert!(
        text.starts_with("📰 Cette semaine à Dinard : 1 offre, 1 demande, aucune mise en relation."),
        "{text}"
    );
    assert!(
        text.contains("Nouveau : perceuse, <script>alert(1)</script>."),
        "{text}"
    );
    assert!(text.ends_with("!annonces"), "{text}");
    assert!(html.contains("<b>Dinard</b>") && !html.contains("<script>"), "{html}");
    let (tg, _) = r.summary(&digest(), Lang::Fr, ChannelKind::Telegram);
    assert!(tg.ends_with("/annonces"));
    assert!(tg.chars().count() < 400);
}

#[test]
fn in_english_every_fixed_word_is_english() {
    let e = email_in(Lang::En);
    assert_eq!(e.subject, "Voisinage Dinard: the week to 28 November");
    for needle in [
        "Here is the week in the Dinard neighbourhood (from 21 to 28 November)",
        "Offered by your neighbours",
        "DIY:",
        "• from 30 November to 2 December: tente — Léa",
        "To answer: write to voisinage+r101.x@example.org",
        "2 new neighbours, 1 offer, 1 request, no matches, 1 loan started.",
        "(paid partner link)",
    ] {
        assert!(e.text.contains(needle), "missing {needle:?} in:\n{}", e.text);
    }
    assert!(e.html.contains("Reply to this neighbour") && e.html.contains("30 November to 2 December:"));
    for french in ["Bonjour", "voisins", "Bricolage", " :", "novembre", "Répondre"] {
        assert!(
            !e.text.contains(french) && !e.html.contains(french),
            "{french:?} in:\n{}",
            e.text
        );
    }
    let r = Renderer::new(Texts::embedded());
    let (text, _) = r.summary(&digest(), Lang::En, ChannelKind::Telegram);
    assert!(
        text.starts_with("📰 This week in Dinard: 1 offer, 1 request, no matches."),
        "{text}"
    );
}

#[test]
fn a_broken_template_is_an_error_not_a_panic() {
    let bad = Renderer::with_templates(Texts::embedded(), "{% for %}", "");
    assert!(bad.is_err());
    let undefined = Renderer::with_templates(Texts::embedded(), "{{ nothing.here }}", "").unwrap();
    assert!(
        undefined
            .email(&digest(), Lang::Fr, chrono_tz::Europe::Paris, &|_| None)
            .is_err()
    );
}

#[test]
fn counts_use_plural_forms_never_parentheses() {
    let t = Texts::embedded();
    let figures = |lang, members: i64, offers: i64, requests: i64, matches: i64| {
        t.get(
            lang,
            "digest-figures",
            &[
                ("members", members.into()),
                ("offers", offers.into()),
                ("requests", requests.into()),
                ("matches", matches.into()),
                ("loans", 0_i64.into()),
                ("returned", 0_i64.into()),
            ],
        )
    };
    assert_eq!(
        figures(Lang::Fr, 0, 1, 1, 0),
        "En chiffres : aucun nouveau voisin, 1 offre, 1 demande, aucune mise en relation."
    );
    assert_eq!(
        figures(Lang::Fr, 1, 2, 0, 3),
        "En chiffres : un nouveau voisin, 2 offres, aucune demande, 3 mises en relation."
    );
    assert_eq!(
        figures(Lang::En, 2, 1, 0, 0),
        "In figures: 2 new neighbours, 1 offer, no requests, no matches."
    );
    for lang in [Lang::Fr, Lang::En] {
        for id in t.ids(lang) {
            let text = t.get(lang, &id, &[]);
            assert!(!text.contains("(s)") && !text.contains("(es)"), "{id}: {text}");
        }
    }
}
