//! The second reader (issue 13): a learned classifier of whole messages that catches posts the
//! rules miss.
//!
//! The rules read constructions; a writer who says things in a way no construction covers
//! ("Je laisse mon vieux piano à qui vient le chercher", "venez en ramasser, c'est gratis") gets
//! no post at all. This reader does not parse: it weighs the message's words, word pairs and
//! the rules' raw findings (cues, markers, things, prices, dates; see [`features`]) in two
//! logistic models, "the message offers something" and "the message asks for something". Their
//! weights are learnt by `scripts/learn-recall.py` from the labelled corpora and written to
//! `bot-scripts/lexicon/recall.toml` (embedded here, replaceable in a `--lexicon` directory).
//!
//! It only speaks when the rules are silent and the message names things from the lexicon: then,
//! if one model is above the learnt threshold, the message's things become posts of that
//! direction, with a confidence that stays below the "sure" threshold, so that the bot asks the
//! author instead of announcing them (ARCHITECTURE.md, "The second reader").

use std::hash::BuildHasher;

use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;

use super::clause::{self, CueHit, Found, Reading};
use super::lexicon::{Lexicon, LexiconError, Marker};
use super::model::{Direction, Evidence, Factor, Post, Role};
use super::text::Stream;

const EMBEDDED: &str = include_str!("../../bot-scripts/lexicon/recall.toml");

/// Recalled posts never exceed this confidence: under the sure threshold, the bot asks about
/// them.
pub const MAX_CONFIDENCE: f32 = 0.9;

/// The learnt weights of the two models.
#[derive(Debug, Clone)]
pub struct Recall {
    offer_bias: f32,
    request_bias: f32,
    /// Above this probability a model's direction is read.
    pub threshold: f32,
    /// Share of recalled posts found right on held-out corpora (their confidence is the
    /// model's probability times this, capped by [`MAX_CONFIDENCE`]).
    pub precision: f32,
    /// At most this many posts from one message.
    pub max_posts: usize,
    /// Feature → (offer weight, request weight).
    weights: HashMap<String, (f32, f32)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    offer_bias: f32,
    request_bias: f32,
    threshold: f32,
    precision: f32,
    max_posts: usize,
    /// Feature → [offer weight, request weight].
    weights: std::collections::BTreeMap<String, [f32; 2]>,
}

impl Recall {
    /// The weights built into the binary.
    pub fn embedded() -> Recall {
        Recall::from_source("recall.toml", EMBEDDED).expect("the embedded weights are checked by the test suite")
    }

    /// Parses and checks a weights file.
    pub fn from_source(file: &str, src: &str) -> Result<Recall, LexiconError> {
        let invalid = |entry: &str, message: &str| LexiconError::Invalid {
            file: file.to_owned(),
            entry: entry.to_owned(),
            message: message.to_owned(),
        };
        let f: File = toml::from_str(src).map_err(|e| LexiconError::Syntax {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        for (name, v) in [("offer_bias", f.offer_bias), ("request_bias", f.request_bias)] {
            if !v.is_finite() {
                return Err(invalid(name, "not a finite number"));
            }
        }
        if !(0.0..=1.0).contains(&f.threshold) {
            return Err(invalid("threshold", "must be between 0 and 1 (1 turns the reader off)"));
        }
        if !(0.0..=1.0).contains(&f.precision) {
            return Err(invalid("precision", "must be between 0 and 1"));
        }
        let mut weights = HashMap::default();
        for (name, [o, r]) in f.weights {
            if !o.is_finite() || !r.is_finite() {
                return Err(invalid(&name, "not a finite number"));
            }
            weights.insert(name, (o, r));
        }
        Ok(Recall {
            offer_bias: f.offer_bias,
            request_bias: f.request_bias,
            threshold: f.threshold,
            precision: f.precision,
            max_posts: f.max_posts,
            weights,
        })
    }

    /// The probabilities that the message offers and that it asks, from its features.
    pub fn probabilities(&self, features: &[String]) -> (f32, f32) {
        self.weigh(|visit| features.iter().for_each(|f| visit(f)))
    }

    /// The same for an analysed message, without building the list of its features.
    fn probabilities_of(&self, lex: &Lexicon, s: &Stream, found: &Found) -> (f32, f32) {
        self.weigh(|visit| each_feature(lex, s, found, visit))
    }

    /// Both models over the features `walk` visits, each feature counted once.
    fn weigh(&self, walk: impl FnOnce(&mut dyn FnMut(&str))) -> (f32, f32) {
        let (mut o, mut r) = (self.offer_bias, self.request_bias);
        let mut seen: rustc_hash::FxHashSet<u64> = rustc_hash::FxHashSet::default();
        walk(&mut |f: &str| {
            if let Some((wo, wr)) = self.weights.get(f)
                && seen.insert(rustc_hash::FxBuildHasher.hash_one(f))
            {
                o += wo;
                r += wr;
            }
        });
        (sigmoid(o), sigmoid(r))
    }

    /// The direction this reader reads, with its probability, when one model is above the
    /// threshold (the likelier one when both are).
    fn direction(&self, lex: &Lexicon, s: &Stream, found: &Found) -> Option<(Direction, f32)> {
        let (o, r) = self.probabilities_of(lex, s, found);
        let (d, p) = if o >= r {
            (Direction::Offer, o)
        } else {
            (Direction::Request, r)
        };
        (p > self.threshold).then_some((d, p))
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// What the models weigh, as names: each word's key (`w:`), each pair of neighbouring words in
/// a sentence (`b:`), each sentence's first word (`f:`), whether the message asks a question,
/// its length, and the rules' raw findings: cues with their direction and weight, markers,
/// whether things, prices or dates were found. Each name appears once.
pub fn features(lex: &Lexicon, s: &Stream, found: &Found) -> Vec<String> {
    let mut out = Vec::with_capacity(3 * s.len() + 8);
    each_feature(lex, s, found, |f| out.push(f.to_owned()));
    out.sort_unstable();
    out.dedup();
    out
}

/// Calls `visit` with each feature of [`features`], in the order met (a feature may come more
/// than once), built in one reused buffer: scoring a message allocates no string per feature.
fn each_feature(lex: &Lexicon, s: &Stream, found: &Found, mut visit: impl FnMut(&str)) {
    let mut buf = String::new();
    let mut emit = |parts: &[&str]| {
        buf.clear();
        parts.iter().for_each(|p| buf.push_str(p));
        visit(&buf);
    };
    let mut prev: Option<&str> = None;
    let mut words = 0usize;
    let mut question = false;
    for i in 0..s.len() {
        if s.is_hard_boundary(i) {
            question |= s.punct(i) == Some('?');
            prev = None;
            continue;
        }
        if !s.is_word(i) {
            continue;
        }
        let key = if s.is_number(i) { "#" } else { s.key(i) };
        if key.is_empty() {
            continue;
        }
        words += 1;
        emit(&["w:", key]);
        match prev {
            Some(p) => emit(&["b:", p, " ", key]),
            None => emit(&["f:", key]),
        }
        prev = Some(key);
    }
    if question {
        emit(&["question"]);
    }
    emit(&[match words {
        0..=6 => "len:short",
        7..=20 => "len:mid",
        21..=50 => "len:long",
        _ => "len:very long",
    }]);
    const WEIGHTS: [&str; 6] = ["0", "1", "2", "3", "4", "5"];
    for m in &found.cues {
        let c = &lex.cues[m.entry];
        let dir = c.direction.map_or("mode", |d| d.as_str());
        emit(&["cue:", dir, ":", WEIGHTS[usize::from(c.weight.min(5))]]);
        if let Some(mode) = c.mode {
            emit(&["cue mode:", mode.as_str()]);
        }
    }
    for m in &found.markers {
        if let Some(name) = marker_name(lex.markers[m.entry]) {
            emit(&["marker:", name]);
        }
    }
    emit(&[match found.items.len() {
        0 => "things:0",
        1 => "things:1",
        _ => "things:2+",
    }]);
    if !found.prices.is_empty() {
        emit(&["price"]);
    }
    if !found.dates.is_empty() {
        emit(&["date"]);
    }
}

/// The markers the models weigh, by name (ignored phrases and idioms only hide words).
fn marker_name(m: Marker) -> Option<&'static str> {
    Some(match m {
        Marker::Withdrawal => "Withdrawal",
        Marker::NoLongerNeeded => "NoLongerNeeded",
        Marker::Info => "Info",
        Marker::Business => "Business",
        Marker::Event => "Event",
        Marker::Counterpart => "Counterpart",
        Marker::InReturn => "InReturn",
        Marker::ClauseBreak => "ClauseBreak",
        Marker::Thanks => "Thanks",
        Marker::Anaphora => "Anaphora",
        Marker::Retraction => "Retraction",
        Marker::Ignore | Marker::Idiom => return None,
    })
}

/// A thing the second reader may post: its lexicon entry and the clause it was read in.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub entry: usize,
    pub reading: usize,
}

/// The things the rules read in the message without making posts of them, in order, each once
/// (accessories and broad words give way to a main thing); None when the rules decided there
/// is nothing to read, which this reader does not overrule: a withdrawal, a retraction, or a
/// direction cue the rules set aside (negated: "je prête pas ma voiture"; asking for
/// information; an event by others; looking for one's own thing).
pub fn candidates(lex: &Lexicon, s: &Stream, readings: &[Reading]) -> Option<Vec<Candidate>> {
    if readings.iter().any(|r| r.withdrawn || r.retracts || r.refuses) {
        return None;
    }
    let mut out: Vec<Candidate> = Vec::new();
    for (k, r) in readings.iter().enumerate() {
        if r.thanks || super::plan_b(s, &r.span) {
            continue;
        }
        for h in r.items.iter().filter(|h| !h.in_parens) {
            if !out.iter().any(|c| c.entry == h.entry) {
                out.push(Candidate {
                    entry: h.entry,
                    reading: k,
                });
            }
        }
    }
    let main = |c: &Candidate| !lex.items[c.entry].accessory && !lex.items[c.entry].generic;
    if out.iter().any(main) {
        out.retain(main);
    }
    Some(out)
}

/// The posts of a message the rules made none of: its things, when one model reads a
/// direction. Their confidence stays under [`MAX_CONFIDENCE`], so the bot asks the author.
pub fn posts(lex: &Lexicon, recall: &Recall, s: &Stream, found: &Found, readings: &[Reading]) -> Vec<Post> {
    if recall.threshold >= 1.0 {
        return Vec::new();
    }
    let Some(cands) = candidates(lex, s, readings).filter(|c| !c.is_empty()) else {
        return Vec::new();
    };
    let Some((direction, p)) = recall.direction(lex, s, found) else {
        return Vec::new();
    };
    let cues: Vec<CueHit> = readings.iter().flat_map(|r| r.cues.iter().copied()).collect();
    let priced = readings.iter().any(|r| r.price.is_some());
    let confidence = (p * recall.precision).min(MAX_CONFIDENCE);
    let why = Factor {
        why: "read by the second reader (a model of whole messages), not by the rules",
        delta: (p / (1.0 - p).max(f32::EPSILON)).ln(),
    };
    cands
        .iter()
        .take(recall.max_posts)
        .filter_map(|c| {
            let e = &lex.items[c.entry];
            let r = &readings[c.reading];
            let hit = r.items.iter().find(|h| h.entry == c.entry)?;
            let span = s.toks[hit.start].start..s.toks[hit.end - 1].end;
            Some(Post {
                direction,
                kind: e.kind,
                mode: clause::mode_of(lex, &cues, e.kind, priced),
                item: e.name.clone(),
                category: e.category,
                when: r.dates.map(|d| d.0),
                price: r.price.map(|p| p.2),
                confidence,
                copies: 1,
                span: span.clone(),
                evidence: vec![Evidence { role: Role::Item, span }],
                confidence_why: vec![why],
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{ParseInput, Parser, SURE_CONFIDENCE};

    /// A reader whose only evidence is the word "laisse" (offer) and "cherchai" (request).
    const LAISSE: &str = r#"
offer_bias = -3.0
request_bias = -3.0
threshold = 0.6
precision = 0.8
max_posts = 1
[weights]
"w:laisse" = [6.0, -1.0]
"w:cherchai" = [-1.0, 6.0]
"#;

    fn read(parser: &Parser, text: &str) -> Vec<Post> {
        let sent = chrono::DateTime::parse_from_rfc3339("2026-03-05T10:00:00+01:00").expect("a date");
        parser.parse(&ParseInput::new(text, sent))
    }

    fn laisse() -> Parser {
        let recall = Recall::from_source("test", LAISSE).expect("valid weights");
        Parser::new(crate::parse::Lexicon::embedded()).with_recall(recall)
    }

    #[test]
    fn the_embedded_weights_load_and_the_reader_is_on() {
        let r = Recall::embedded();
        assert!(r.threshold < 1.0, "recall.toml turns the second reader off");
        assert!(r.weights.len() > 1000, "{} features only", r.weights.len());
        assert!(r.max_posts >= 1);
    }

    #[test]
    fn bad_weight_files_are_refused_with_the_entry_named() {
        let bad = LAISSE.replace("threshold = 0.6", "threshold = 1.5");
        let e = Recall::from_source("recall.toml", &bad).unwrap_err().to_string();
        assert!(e.contains("threshold"), "{e}");
        let bad = LAISSE.replace("max_posts = 1", "max_posts = 1\nunknown = 2");
        assert!(Recall::from_source("recall.toml", &bad).is_err());
        let bad = LAISSE.replace("[6.0, -1.0]", "[6.0]");
        assert!(Recall::from_source("recall.toml", &bad).is_err());
    }

    #[test]
    fn posts_what_the_rules_miss_and_asks_about_it() {
        let p = laisse();
        let posts = read(&p, "Je laisse mon vieux piano droit à qui vient le chercher");
        assert_eq!(posts.len(), 1, "{posts:?}");
        assert_eq!(posts[0].direction, Direction::Offer);
        assert_eq!(posts[0].item, "piano");
        assert!(posts[0].confidence < SURE_CONFIDENCE, "{}", posts[0].confidence);
        assert!(posts[0].confidence_why[0].why.contains("second reader"));
        // The other model, the other direction.
        let posts = read(&p, "Je cherchai une échelle pour le toit, le bois de la charpente");
        assert!(posts.iter().all(|x| x.direction == Direction::Request), "{posts:?}");
        // Nothing in the lexicon to post: nothing, whatever the models say.
        assert!(read(&p, "Je laisse tomber, bonne soirée").is_empty());
        // Without the evidence, below the threshold: nothing.
        assert!(read(&p, "Mon vieux piano droit est désaccordé").is_empty());
    }

    #[test]
    fn never_overrules_the_rules() {
        let p = laisse();
        // The rules read it: their post, their confidence.
        let rules = read(&p, "Je donne mon piano, je le laisse à qui vient le chercher");
        let plain = read(
            Parser::embedded(),
            "Je donne mon piano, je le laisse à qui vient le chercher",
        );
        assert_eq!(rules, plain);
        // The rules decided there is nothing (a withdrawal): nothing.
        assert!(read(&p, "Je laisse mon piano, plus dispo").is_empty());
    }

    #[test]
    fn features_name_words_pairs_and_findings_once() {
        let p = Parser::embedded();
        let sent = chrono::DateTime::parse_from_rfc3339("2026-03-05T10:00:00+01:00").expect("a date");
        let input = ParseInput::new("Qqn aurait une échelle ? Une échelle, merci", sent);
        let (f, things) = p.recall_inputs(&input);
        for want in ["w:echelle", "b:une echelle", "question", "things:2+", "len:mid"] {
            assert!(f.iter().any(|x| x == want), "{want} not in {f:?}");
        }
        assert!(f.iter().any(|x| x.starts_with("f:")));
        let mut sorted = f.clone();
        sorted.dedup();
        assert_eq!(sorted, f, "each feature once");
        assert_eq!(things, Some(vec!["échelle".to_owned()]));
    }
}
