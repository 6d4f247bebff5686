//! The lexicon: items (things and services, with their category) and the grammar (cue words
//! that say offer or request and how, SMS spellings, markers of withdrawals and ads). Both are
//! TOML files under bot-scripts/lexicon/ that the community team edits; they are embedded in
//! the binary as the default and validated when loaded, with errors that name the file and
//! the entry.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::Path;

use serde::Deserialize;

use super::model::{Category, Direction, Kind, Mode};
use super::pattern::{PatternError, PatternSet, canonical};
use super::text::{Normalizer, key_of};

const EMBEDDED_ITEMS: &str = include_str!("../../bot-scripts/lexicon/items.toml");
const EMBEDDED_GRAMMAR: &str = include_str!("../../bot-scripts/lexicon/grammar.toml");
const EMBEDDED_WORDS: &str = include_str!("../../bot-scripts/lexicon/words.txt");

/// A lexicon file that cannot be used, with the place and the reason.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    #[error("{file}: cannot read: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: entry {entry}: pattern `{pattern}`: {source}")]
    Pattern {
        file: String,
        entry: String,
        pattern: String,
        source: PatternError,
    },
    #[error("{file}: entry {entry}: {message}")]
    Invalid {
        file: String,
        entry: String,
        message: String,
    },
}

/// One thing or service of items.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemEntry {
    pub name: String,
    pub category: Category,
    pub kind: Kind,
    pub patterns: Vec<String>,
    /// Usually comes with another thing (a mattress with a cot): not a post of its own then.
    #[serde(default)]
    pub accessory: bool,
    /// A broad word ("meuble", "coup de main"): gives way to a specific item of the clause.
    #[serde(default)]
    pub generic: bool,
    /// A service whose object follows it ("réparer une machine à laver"): one post, not two.
    #[serde(default)]
    pub absorbs: bool,
    /// An absorbing service whose post takes the category of its object ("réparer ma
    /// débroussailleuse": jardinage; "réparer mon scooter": mobilite).
    #[serde(default)]
    pub takes_object_category: bool,
    /// Names of head things this one goes with ("chaise" with "table"): when one of them is
    /// named in the same clause, this is part of that post, not a post of its own.
    #[serde(default)]
    pub accessory_of: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemsFile {
    item: Vec<ItemEntry>,
}

/// One cue of grammar.toml: words that tell the direction and/or the mode of a post.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CueEntry {
    pub patterns: Vec<String>,
    #[serde(default)]
    pub direction: Option<Direction>,
    /// Strength of the direction evidence, 1 (weak: "j'ai") to 5.
    #[serde(default = "default_weight")]
    pub weight: u8,
    #[serde(default)]
    pub mode: Option<Mode>,
    /// Strength of the mode evidence; defaults to `weight`.
    #[serde(default)]
    pub mode_weight: Option<u8>,
    /// The mode applies to things only ("je donne des cours" is teaching, not a gift).
    #[serde(default)]
    pub mode_items_only: bool,
    /// Only counts at the start of a clause ("Cherche …", "Vends …"), not in third-person
    /// sentences ("la mairie propose…").
    #[serde(default)]
    pub at_start: bool,
    /// The item this cue implies when the clause names none ("qqn va à l'aéroport ?").
    #[serde(default)]
    pub implies: Option<String>,
    /// Things named before the cue are what it is about, not what is asked ("Mon lave-linge
    /// fuit, qqn s'y connaît ?" asks for a repair).
    #[serde(default)]
    pub about_before: bool,
    /// A comment for people; ignored.
    #[serde(default)]
    pub note: Option<String>,
}

fn default_weight() -> u8 {
    2
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Words {
    fillers: Vec<String>,
    prepositions: Vec<String>,
    separators: Vec<String>,
    alternatives: Vec<String>,
    pronouns: Vec<String>,
    negators: Vec<String>,
    modifiers: Vec<String>,
    not_items: Vec<String>,
    #[serde(default)]
    known: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Markers {
    withdrawal: Vec<String>,
    no_longer_needed: Vec<String>,
    info: Vec<String>,
    business: Vec<String>,
    #[serde(default)]
    events: Vec<String>,
    counterpart: Vec<String>,
    in_return: Vec<String>,
    ignore: Vec<String>,
    #[serde(default)]
    idioms: Vec<String>,
    clause_break: Vec<String>,
    thanks: Vec<String>,
    anaphora: Vec<String>,
    #[serde(default)]
    retraction: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrammarFile {
    rewrite: HashMap<String, String>,
    words: Words,
    markers: Markers,
    cue: Vec<CueEntry>,
}

/// What a marker pattern signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// "plus besoin", "je retire mon offre": the sentence offers or asks nothing.
    Withdrawal,
    /// "plus besoin": the author needs nothing any more (an offer may still follow: "je donne
    /// le berceau, on n'en a plus besoin").
    NoLongerNeeded,
    /// "quelqu'un sait", "à recommander": a question for information.
    Info,
    /// "siret", "code promo": a business advertisement.
    Business,
    /// "repair café", "venez nombreux": an event organised by others; weak cues do not count.
    Event,
    /// "contre": what follows is asked in return, not a post.
    Counterpart,
    /// "en échange": the clause's things are what is given in return.
    InReturn,
    /// Words to blank before matching cues ("rendre l'âme").
    Ignore,
    /// Idioms: words blanked before matching anything ("plein les bras").
    Idiom,
    /// "par contre", "mais": a new clause starts.
    ClauseBreak,
    /// "merci pour": the things named were already given; they wait for no cue.
    Thanks,
    /// "one", "pareil": the thing of the previous post.
    Anaphora,
    /// "non je rigole", "just kidding": everything said before in the message is taken back.
    Retraction,
}

/// The compiled lexicon.
#[derive(Debug)]
pub struct Lexicon {
    pub items: Vec<ItemEntry>,
    pub cues: Vec<CueEntry>,
    pub item_set: PatternSet,
    pub cue_set: PatternSet,
    pub marker_set: PatternSet,
    pub markers: Vec<Marker>,
    pub normalizer: Normalizer,
    pub prepositions: WordList,
    pub separators: WordList,
    pub alternatives: WordList,
    pub pronouns: WordList,
    pub negators: WordList,
    pub modifiers: WordList,
    pub not_items: WordList,
    /// Index of each item by name.
    pub by_name: HashMap<String, usize>,
}

/// A list of word keys from grammar.toml. Clause reading asks whether a word is in one for
/// most words of a message, so the longer lists answer by hash rather than by a scan.
#[derive(Debug, Default)]
pub struct WordList {
    words: Vec<String>,
    set: HashSet<String>,
    /// The list's bit in [`Stream::in_lists`](super::text::Stream::in_lists) (0: none).
    bit: u8,
}

/// Lists up to this long are scanned: cheaper than hashing the word.
const SCANNED_LIST: usize = 8;

impl WordList {
    pub fn new(words: Vec<String>) -> WordList {
        let set = if words.len() > SCANNED_LIST {
            words.iter().cloned().collect()
        } else {
            HashSet::default()
        };
        WordList { words, set, bit: 0 }
    }

    /// A list whose words the normaliser marks with `bit` in every stream.
    pub fn with_bit(words: Vec<String>, bit: u8) -> WordList {
        WordList {
            bit,
            ..WordList::new(words)
        }
    }

    /// The list's bit in the streams' words (0: the list has none).
    pub fn bit(&self) -> u8 {
        self.bit
    }

    /// Whether `key` is one of the words.
    pub fn contains(&self, key: &str) -> bool {
        if self.words.len() > SCANNED_LIST {
            self.set.contains(key)
        } else {
            self.words.iter().any(|w| w == key)
        }
    }
}

impl std::ops::Deref for WordList {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.words
    }
}

fn keys(v: &[String]) -> Vec<String> {
    v.iter().map(|w| key_of(&super::token::fold(w))).collect()
}

impl Lexicon {
    /// The lexicon built into the binary (the files of bot-scripts/lexicon/ at build time).
    pub fn embedded() -> Lexicon {
        Lexicon::from_sources("items.toml", EMBEDDED_ITEMS, "grammar.toml", EMBEDDED_GRAMMAR)
            .expect("the embedded lexicon is checked by the test suite")
            .with_words(EMBEDDED_WORDS)
    }

    /// The real words never corrected into lexicon words (words.txt: one per line, `#`
    /// comments), in place of those it had.
    pub fn with_words(mut self, src: &str) -> Lexicon {
        self.normalizer.words = src
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| key_of(&super::token::fold(l)))
            .collect();
        self.normalizer.finish();
        self
    }

    /// Loads `items.toml` and `grammar.toml` (and `words.txt` when there is one) from a directory.
    pub fn load_dir(dir: &Path) -> Result<Lexicon, LexiconError> {
        let read = |name: &str| {
            let p = dir.join(name);
            std::fs::read_to_string(&p)
                .map(|s| (p.display().to_string(), s))
                .map_err(|source| LexiconError::Read {
                    file: p.display().to_string(),
                    source,
                })
        };
        let (fi, items) = read("items.toml")?;
        let (fg, grammar) = read("grammar.toml")?;
        let lexicon = Lexicon::from_sources(&fi, &items, &fg, &grammar)?;
        // words.txt is optional in an edited copy: the built-in list then.
        let words = super::read_optional(&dir.join("words.txt"))?;
        Ok(lexicon.with_words(words.as_ref().map_or(EMBEDDED_WORDS, |(_, src)| src)))
    }

    /// Parses and validates both files.
    pub fn from_sources(
        items_file: &str,
        items_src: &str,
        grammar_file: &str,
        grammar_src: &str,
    ) -> Result<Lexicon, LexiconError> {
        let items: ItemsFile = toml::from_str(items_src).map_err(|e| LexiconError::Syntax {
            file: items_file.to_owned(),
            message: e.to_string(),
        })?;
        let grammar: GrammarFile = toml::from_str(grammar_src).map_err(|e| LexiconError::Syntax {
            file: grammar_file.to_owned(),
            message: e.to_string(),
        })?;

        let mut item_set = PatternSet::default();
        let mut seen: HashMap<String, String> = HashMap::default();
        let mut by_name = HashMap::default();
        for (i, it) in items.item.iter().enumerate() {
            let invalid = |message: String| LexiconError::Invalid {
                file: items_file.to_owned(),
                entry: format!("#{} \"{}\"", i + 1, it.name),
                message,
            };
            if it.name.trim().is_empty() || it.name != it.name.to_lowercase() || it.name.trim() != it.name {
                return Err(invalid(
                    "the name must be non-empty, lower case, without outer spaces".into(),
                ));
            }
            if it.patterns.is_empty() {
                return Err(invalid("no patterns".into()));
            }
            if by_name.insert(it.name.clone(), i).is_some() {
                return Err(invalid("another entry has the same name".into()));
            }
            for p in &it.patterns {
                let err = |source| LexiconError::Pattern {
                    file: items_file.to_owned(),
                    entry: format!("\"{}\"", it.name),
                    pattern: p.clone(),
                    source,
                };
                let c = canonical(p).map_err(err)?;
                if let Some(other) = seen.insert(c.clone(), it.name.clone())
                    && other != it.name
                {
                    return Err(invalid(format!("pattern `{p}` is also a pattern of \"{other}\"")));
                }
                item_set.add(p, i).map_err(err)?;
            }
        }

        for it in &items.item {
            if let Some(head) = it.accessory_of.iter().find(|h| !by_name.contains_key(h.as_str())) {
                return Err(LexiconError::Invalid {
                    file: items_file.to_owned(),
                    entry: format!("\"{}\"", it.name),
                    message: format!("accessory_of \"{head}\", which is not an item"),
                });
            }
        }

        let mut cue_set = PatternSet::default();
        for (i, c) in grammar.cue.iter().enumerate() {
            let label = format!(
                "cue #{} ({})",
                i + 1,
                c.patterns.first().map(String::as_str).unwrap_or("?")
            );
            let invalid = |message: String| LexiconError::Invalid {
                file: grammar_file.to_owned(),
                entry: label.clone(),
                message,
            };
            if c.direction.is_none() && c.mode.is_none() {
                return Err(invalid("a cue needs a direction, a mode or both".into()));
            }
            if !(1..=5).contains(&c.weight) || c.mode_weight.is_some_and(|w| !(1..=5).contains(&w)) {
                return Err(invalid("weights go from 1 to 5".into()));
            }
            if let Some(name) = &c.implies
                && !by_name.contains_key(name)
            {
                return Err(invalid(format!(
                    "implies \"{name}\", which is not an item of {items_file}"
                )));
            }
            for p in &c.patterns {
                cue_set.add(p, i).map_err(|source| LexiconError::Pattern {
                    file: grammar_file.to_owned(),
                    entry: label.clone(),
                    pattern: p.clone(),
                    source,
                })?;
            }
        }

        let mut marker_set = PatternSet::default();
        let mut markers = Vec::new();
        let m = &grammar.markers;
        for (kind, list) in [
            (Marker::Withdrawal, &m.withdrawal),
            (Marker::NoLongerNeeded, &m.no_longer_needed),
            (Marker::Info, &m.info),
            (Marker::Business, &m.business),
            (Marker::Event, &m.events),
            (Marker::Counterpart, &m.counterpart),
            (Marker::InReturn, &m.in_return),
            (Marker::Ignore, &m.ignore),
            (Marker::Idiom, &m.idioms),
            (Marker::ClauseBreak, &m.clause_break),
            (Marker::Thanks, &m.thanks),
            (Marker::Anaphora, &m.anaphora),
            (Marker::Retraction, &m.retraction),
        ] {
            for p in list {
                let id = markers.len();
                markers.push(kind);
                marker_set.add(p, id).map_err(|source| LexiconError::Pattern {
                    file: grammar_file.to_owned(),
                    entry: format!("markers.{kind:?}").to_lowercase(),
                    pattern: p.clone(),
                    source,
                })?;
            }
        }

        let mut normalizer = Normalizer::plain();
        normalizer.fillers = keys(&grammar.words.fillers).into_iter().collect();
        for (from, to) in &grammar.rewrite {
            let f = super::token::fold(from);
            let words: Vec<String> = super::token::fold(to).split_whitespace().map(str::to_owned).collect();
            if words.is_empty() {
                return Err(LexiconError::Invalid {
                    file: grammar_file.to_owned(),
                    entry: format!("rewrite.{from}"),
                    message: "rewrites to nothing".into(),
                });
            }
            normalizer.rewrite.insert(f, words);
        }
        let vocab: Vec<String> = item_set
            .words()
            .chain(cue_set.words())
            .chain(marker_set.words())
            .map(str::to_owned)
            .collect();
        for w in vocab {
            normalizer.add_known(&w);
        }
        // One id per word for the whole lexicon: the stream looks each word up once.
        let mut global: HashMap<String, u32> = HashMap::default();
        for w in item_set.words().chain(cue_set.words()).chain(marker_set.words()) {
            let n = global.len() as u32;
            global.entry(w.to_owned()).or_insert(n);
        }
        item_set.link(&global);
        cue_set.link(&global);
        marker_set.link(&global);
        normalizer.word_ids = global;
        let prefixes: Vec<String> = item_set
            .prefixes()
            .chain(cue_set.prefixes())
            .chain(marker_set.prefixes())
            .map(str::to_owned)
            .collect();
        for p in prefixes {
            normalizer.add_prefix(&p);
        }
        let w = &grammar.words;
        for extra in [
            &w.fillers,
            &w.prepositions,
            &w.separators,
            &w.pronouns,
            &w.negators,
            &w.modifiers,
            &w.not_items,
            &w.known,
        ] {
            for k in keys(extra) {
                normalizer.known.insert(k);
            }
        }
        // Each list gets a bit; the stream notes each word's bits once (clause reading asks
        // the lists for most words of a message).
        let lists: Vec<WordList> = [
            &w.prepositions,
            &w.separators,
            &w.alternatives,
            &w.pronouns,
            &w.negators,
            &w.modifiers,
            &w.not_items,
        ]
        .into_iter()
        .enumerate()
        .map(|(n, v)| {
            let list = WordList::with_bit(keys(v), 1 << n);
            for k in list.iter() {
                normalizer.add_list_word(k, list.bit);
            }
            list
        })
        .collect();
        let [
            prepositions,
            separators,
            alternatives,
            pronouns,
            negators,
            modifiers,
            not_items,
        ]: [WordList; 7] = lists.try_into().expect("seven lists");
        normalizer.finish();

        Ok(Lexicon {
            items: items.item,
            cues: grammar.cue,
            item_set,
            cue_set,
            marker_set,
            markers,
            normalizer,
            prepositions,
            separators,
            alternatives,
            pronouns,
            negators,
            modifiers,
            not_items,
            by_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_lexicon_is_valid() {
        let l = Lexicon::embedded();
        assert!(l.items.len() > 100);
    }

    #[test]
    fn errors_name_the_file_and_the_entry() {
        let items = "[[item]]\nname = \"perceuse\"\ncategory = \"bricolage\"\nkind = \"item\"\npatterns = [\"perceuse\"]\n\
                     [[item]]\nname = \"drill\"\ncategory = \"bricolage\"\nkind = \"item\"\npatterns = [\"perceuses\"]\n";
        let e = Lexicon::from_sources("items.toml", items, "grammar.toml", EMBEDDED_GRAMMAR).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("items.toml") && msg.contains("drill") && msg.contains("perceuse"),
            "{msg}"
        );

        let bad_cat = "[[item]]\nname = \"x\"\ncategory = \"outils\"\nkind = \"item\"\npatterns = [\"x\"]\n";
        let msg = Lexicon::from_sources("items.toml", bad_cat, "grammar.toml", EMBEDDED_GRAMMAR)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("items.toml") && msg.contains("outils"), "{msg}");

        let bad_pat = "[[item]]\nname = \"x\"\ncategory = \"autre\"\nkind = \"item\"\npatterns = [\"ab*\"]\n";
        let msg = Lexicon::from_sources("items.toml", bad_pat, "grammar.toml", EMBEDDED_GRAMMAR)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("ab*") && msg.contains("prefix"), "{msg}");
    }
}
