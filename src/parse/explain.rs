//! `voisinage parse --explain`: what the parser found in a message, and which words decided it,
//! written for a person (the community team tuning the lexicon).

use std::fmt::Write;

use super::{ParseInput, Parser, Role};

/// A French-first, readable account of one message.
pub fn explain(parser: &Parser, input: &ParseInput) -> String {
    let text = input.text;
    let posts = parser.candidates(input);
    let drop_below = parser.confidence().drop_below;
    let (stream, found) = parser.analyse(input);
    let lex = parser.lexicon();
    let mut out = String::new();
    let _ = writeln!(out, "Message : {text}");
    let _ = writeln!(
        out,
        "Envoyé le {} (zone de vacances {:?})",
        input.local_date(),
        input.zone
    );
    if posts.is_empty() {
        let _ = writeln!(out, "\nAucune annonce trouvée / no post found.");
    }
    for (n, p) in posts.iter().enumerate() {
        write_post(&mut out, parser, text, n, p);
    }
    let (features, things) = parser.recall_inputs(input);
    let (po, pr) = parser.recall().probabilities(&features);
    let _ = writeln!(
        out,
        "\nSecond lecteur / second reader (modèle appris sur les messages entiers / learnt from whole messages): \
         offre / offer {po:.2}, demande / request {pr:.2}, seuil / threshold {:.2}, objets / things: {}",
        parser.recall().threshold,
        things.map_or_else(|| "- (retrait / withdrawn)".to_owned(), |t| t.join(", "))
    );
    if posts.iter().all(|p| p.confidence < drop_below) {
        let read = parser.parse(input);
        if !read.is_empty() {
            let _ = writeln!(out, "  lu par le second lecteur / read by the second reader:");
        }
        for (n, p) in read.iter().enumerate() {
            write_post(&mut out, parser, text, n, p);
        }
    }
    let raw: Vec<String> = found
        .items
        .iter()
        .map(|m| {
            format!(
                "«{}» → {}",
                stream.surface(text, m.start, m.end),
                lex.items[m.entry].name
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "\nObjets reconnus avant tri / things matched before filtering: {}",
        raw.join(" ")
    );
    let _ = writeln!(out, "\nDétail par proposition / clauses:");
    for r in parser.readings(&stream, &found) {
        let words = stream.surface(text, r.span.start, r.span.end);
        let cues: Vec<String> = r
            .cues
            .iter()
            .map(|c| {
                let e = &lex.cues[c.entry];
                let mut tag = String::new();
                if let Some(d) = e.direction {
                    let _ = write!(tag, "{d}:{}", e.weight);
                }
                if let Some(m) = e.mode {
                    let _ = write!(tag, "{}{m}", if tag.is_empty() { "" } else { "," });
                }
                format!("«{}» [{tag}]", stream.surface(text, c.start, c.end))
            })
            .collect();
        let items: Vec<String> = r
            .items
            .iter()
            .map(|h| {
                format!(
                    "«{}» → {}",
                    stream.surface(text, h.start, h.end),
                    lex.items[h.entry].name
                )
            })
            .collect();
        let _ = writeln!(out, "  « {words} »");
        let _ = writeln!(
            out,
            "    direction: {}   indices: {}   objets: {}{}",
            r.direction.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
            if cues.is_empty() { "-".into() } else { cues.join(" ") },
            if items.is_empty() { "-".into() } else { items.join(" ") },
            if r.withdrawn { "   (retrait / withdrawn)" } else { "" }
        );
    }
    out
}

fn fr_direction(d: super::Direction) -> &'static str {
    match d {
        super::Direction::Offer => "offre",
        super::Direction::Request => "demande",
    }
}

/// One post: what it is, its confidence and the words that decided it.
fn write_post(out: &mut String, parser: &Parser, text: &str, n: usize, p: &super::Post) {
    let drop_below = parser.confidence().drop_below;
    let _ = writeln!(
        out,
        "\nAnnonce {} : {} · {} · {}",
        n + 1,
        fr_direction(p.direction),
        p.item,
        p.category
    );
    let _ = writeln!(
        out,
        "  direction={} kind={:?} mode={} when={} price={} confidence={:.2}",
        p.direction,
        p.kind,
        p.mode.map(|m| m.to_string()).unwrap_or_else(|| "null".into()),
        p.when
            .map(|w| format!("{}..{}", w.from, w.to))
            .unwrap_or_else(|| "-".into()),
        p.price
            .map(|x| format!("{}.{:02} €", x.cents / 100, x.cents % 100))
            .unwrap_or_else(|| "-".into()),
        p.confidence
    );
    let sure = if p.confidence < drop_below {
        "écartée / dropped"
    } else if p.confidence >= super::SURE_CONFIDENCE {
        "sûr / sure"
    } else {
        "à confirmer / unsure"
    };
    let _ = writeln!(
        out,
        "  confiance / confidence {:.2} ({sure}, seuil / threshold {:.2}) = logistique / logistic of {:+.2} (biais / bias) +",
        p.confidence,
        super::SURE_CONFIDENCE,
        parser.confidence().bias
    );
    for f in &p.confidence_why {
        let _ = writeln!(out, "    {:+.2}  {}", f.delta, f.why);
    }
    for e in &p.evidence {
        let what = match e.role {
            Role::Direction => "sens / direction",
            Role::Mode => "mode",
            Role::Item => "objet / item",
            Role::When => "date",
            Role::Price => "prix / price",
        };
        let _ = writeln!(out, "  {what:<18} ← « {} »", text.get(e.span.clone()).unwrap_or("?"));
    }
}
