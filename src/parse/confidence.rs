//! The learned part of the parser: how sure a post is, from the evidence the rules found.
//!
//! The rules (lexicon, clauses, assembly) propose posts and name the evidence for and against
//! each one as factors ("thing guessed (not in the lexicon)", "in a question", …). A logistic
//! model turns those factors into a probability that the post is right:
//! `confidence = 1 / (1 + e^-(bias + Σ weight(factor)))`. The weights are not set by hand:
//! `scripts/learn-confidence.py` fits them on the labelled corpora (dev.jsonl, the learnt part
//! of train2.jsonl, tests/data/holdout*.jsonl up to holdout19) and writes
//! `bot-scripts/lexicon/confidence.toml`, which is embedded here and can be replaced in a
//! `--lexicon` directory. The same file says under which confidence a proposed post is dropped
//! (`drop_below`, chosen by the script on held-out folds); ARCHITECTURE.md explains why.

use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;

use super::lexicon::LexiconError;
use super::model::Factor;

const EMBEDDED: &str = include_str!("../../bot-scripts/lexicon/confidence.toml");

/// Every factor the parser can name, in the order `--why` prints them. The file must give a
/// weight to each, and to nothing else (a renamed factor would otherwise silently weigh 0).
pub const FACTORS: &[&str] = &[
    CONSTRUCTION_CUE,
    STRONG_CUE,
    CUE,
    WEAK_CUE,
    WEAK_CUES_ADDING_UP,
    OPPOSING_CUES,
    IMPLIED,
    FROM_LEXICON,
    CORRECTED,
    GUESSED,
    GENERIC,
    BORROWED,
    MODE_STATED,
    BESIDE_CUE,
    FAR_FROM_CUE,
    COMPLEMENT_OF_NOUN,
    LONG_MESSAGE,
    SHORT_MESSAGE,
    SEVERAL_POSTS,
    OFFER,
    SERVICE,
    DATED,
    PRICED,
    IN_QUESTION,
];

pub const CONSTRUCTION_CUE: &str = "construction cue (question or search that offers)";
pub const STRONG_CUE: &str = "strong direction cue";
pub const CUE: &str = "direction cue";
pub const WEAK_CUE: &str = "weak direction cue";
pub const WEAK_CUES_ADDING_UP: &str = "only weak cues adding up";
pub const OPPOSING_CUES: &str = "cues for the other direction in the clause";
pub const IMPLIED: &str = "thing implied by the cue";
pub const FROM_LEXICON: &str = "thing from the lexicon";
pub const CORRECTED: &str = "thing from a corrected typo or the quoted message";
pub const GUESSED: &str = "thing guessed (not in the lexicon)";
pub const GENERIC: &str = "broad word or complement taken as the thing";
pub const BORROWED: &str = "thing named in another clause";
pub const MODE_STATED: &str = "mode stated";
pub const BESIDE_CUE: &str = "thing right beside the cue";
pub const FAR_FROM_CUE: &str = "thing far from the cue";
pub const COMPLEMENT_OF_NOUN: &str = "thing after 'à'/'de' and another word";
pub const LONG_MESSAGE: &str = "long message";
pub const SHORT_MESSAGE: &str = "short message";
pub const SEVERAL_POSTS: &str = "one of several posts in the message";
pub const OFFER: &str = "an offer (not a request)";
pub const SERVICE: &str = "a service (not a thing)";
pub const DATED: &str = "dates given";
pub const PRICED: &str = "price given";
pub const IN_QUESTION: &str = "in a sentence that ends with a question mark";

/// The learned weights.
#[derive(Debug, Clone)]
pub struct Confidence {
    pub bias: f32,
    /// Proposed posts under this confidence are not posts.
    pub drop_below: f32,
    weights: HashMap<&'static str, f32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    bias: f32,
    drop_below: f32,
    weights: std::collections::BTreeMap<String, f32>,
}

impl Confidence {
    /// The weights built into the binary.
    pub fn embedded() -> Confidence {
        Confidence::from_source("confidence.toml", EMBEDDED)
            .expect("the embedded weights are checked by the test suite")
    }

    /// Parses and checks a weights file: every factor of [`FACTORS`] once, finite numbers.
    pub fn from_source(file: &str, src: &str) -> Result<Confidence, LexiconError> {
        let invalid = |entry: &str, message: String| LexiconError::Invalid {
            file: file.to_owned(),
            entry: entry.to_owned(),
            message,
        };
        let f: File = toml::from_str(src).map_err(|e| LexiconError::Syntax {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        if !f.bias.is_finite() {
            return Err(invalid("bias", "not a finite number".into()));
        }
        if !(0.0..1.0).contains(&f.drop_below) {
            return Err(invalid("drop_below", "must be at least 0 and under 1".into()));
        }
        let mut weights = HashMap::default();
        for (name, w) in &f.weights {
            let Some(known) = FACTORS.iter().find(|k| **k == name.as_str()) else {
                return Err(invalid(
                    name,
                    "not a factor the parser names (see parse::confidence::FACTORS)".into(),
                ));
            };
            if !w.is_finite() {
                return Err(invalid(name, "not a finite number".into()));
            }
            weights.insert(*known, *w);
        }
        if let Some(missing) = FACTORS.iter().find(|k| !weights.contains_key(*k)) {
            return Err(invalid(missing, "no weight given for this factor".into()));
        }
        Ok(Confidence {
            bias: f.bias,
            drop_below: f.drop_below,
            weights,
        })
    }

    /// One factor with its learned weight.
    pub fn factor(&self, why: &'static str) -> Factor {
        Factor {
            why,
            delta: self.weights.get(why).copied().unwrap_or(0.0),
        }
    }

    /// The probability that a post with these factors is right, in hundredths.
    pub fn combine(&self, why: &[Factor]) -> f32 {
        let z = self.bias + why.iter().map(|f| f.delta).sum::<f32>();
        let p = 1.0 / (1.0 + (-z).exp());
        // Hundredths, so that 0.7999999 meets the 0.8 it stands for.
        ((p * 100.0).round() / 100.0).clamp(0.01, 0.99)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_weights_cover_every_factor() {
        let c = Confidence::embedded();
        for f in FACTORS {
            assert!(c.weights.contains_key(f), "{f}");
        }
        assert!(
            c.drop_below < 0.5,
            "dropping more than half-sure posts would be a bug: {}",
            c.drop_below
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let mut good = String::from("bias = 1.0\ndrop_below = 0.2\n[weights]\n");
        for f in FACTORS {
            good.push_str(&format!("\"{f}\" = 0.5\n"));
        }
        assert!(Confidence::from_source("c.toml", &good).is_ok());
        let unknown = format!("{good}\"no such factor\" = 1.0\n");
        let e = Confidence::from_source("c.toml", &unknown).unwrap_err().to_string();
        assert!(e.contains("no such factor") && e.contains("not a factor"), "{e}");
        let missing = good.replace(&format!("\"{}\" = 0.5\n", FACTORS[3]), "");
        let e = Confidence::from_source("c.toml", &missing).unwrap_err().to_string();
        assert!(e.contains(FACTORS[3]) && e.contains("no weight"), "{e}");
        let e = Confidence::from_source("c.toml", &good.replace("drop_below = 0.2", "drop_below = 1.5"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("drop_below"), "{e}");
    }

    #[test]
    fn combine_is_the_logistic_of_the_sum() {
        let c = Confidence::embedded();
        assert_eq!(
            c.combine(&[]),
            ((1.0 / (1.0 + (-c.bias).exp()) * 100.0_f32).round() / 100.0).clamp(0.01, 0.99)
        );
        let up = Factor {
            why: OFFER,
            delta: 10.0,
        };
        assert_eq!(c.combine(&[up]), 0.99);
        let down = Factor {
            why: OFFER,
            delta: -20.0,
        };
        assert_eq!(c.combine(&[down]), 0.01);
    }
}
