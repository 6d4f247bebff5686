//! The word stream the matchers run on: tokens after SMS normalisation, with singular keys,
//! filler flags and typo correction.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::token::{TokClass, Token, tokenize};

/// The key a word is compared on: its folded form, singularised (a final `s` or `x` dropped
/// from words longer than three letters). Crude, but applied identically to the text and to
/// every pattern, so "échelles" meets "échelle" and "jeux" meets "jeu".
pub fn key_of(norm: &str) -> String {
    key_str(norm).to_owned()
}

/// [`key_of`] without the allocation: the key is always a prefix of the folded form.
fn key_str(norm: &str) -> &str {
    // Invariable nouns in -x whose s-form is another word ("prix" is not "pris").
    if matches!(norm, "prix" | "choix" | "croix" | "noix" | "voix") {
        return norm;
    }
    if norm.len() > 3 && (norm.ends_with('s') || norm.ends_with('x')) && !norm.ends_with("ss") {
        &norm[..norm.len() - 1]
    } else {
        norm
    }
}

/// Articles and possessives: skipped between pattern words.
pub const DEFAULT_FILLERS: &[&str] = &[
    "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa",
    "ses", "notre", "nos", "votre", "vos", "leur", "leurs", "en", "a", "au", "aux", "the", "an", "my", "your", "some",
];

/// Shortest word that typo correction touches: short words are too often other real words.
pub const FUZZY_MIN_LEN: usize = 6;
/// Longest word it touches: correction costs a look-up per letter, and no lexicon word is
/// longer (a 1 MiB "word" must stay linear).
pub const FUZZY_MAX_LEN: usize = 32;

/// Everything the stream needs from the lexicon: SMS spellings, fillers, the known vocabulary.
#[derive(Debug, Default)]
pub struct Normalizer {
    /// Folded word → replacement words ("jcherche" → ["je", "cherche"]).
    pub rewrite: HashMap<String, Vec<String>>,
    /// Keys of filler words.
    pub fillers: HashSet<String>,
    /// Known keys: never corrected.
    pub known: HashSet<String>,
    /// Real words near the lexicon's (bot-scripts/lexicon/words.txt): never corrected either,
    /// but no part of its vocabulary.
    pub words: HashSet<String>,
    /// One-deletion variants of the long known keys → those keys (symmetric-delete index).
    pub deletions: HashMap<String, Vec<u32>>,
    pub long_words: Vec<String>,
    /// Lexicon-wide ids of the pattern words (empty for a plain normaliser).
    pub word_ids: HashMap<String, u32>,
    /// Prefixes of `word*` patterns: a word they cover is known, not a typo ("réparer").
    pub prefixes: HashSet<String>,
    prefix_lens: Vec<usize>,
}

impl Normalizer {
    /// A normaliser with the default fillers and nothing else (tests).
    pub fn plain() -> Self {
        Normalizer {
            fillers: DEFAULT_FILLERS.iter().map(|f| key_of(f)).collect(),
            ..Default::default()
        }
    }

    /// Registers a vocabulary word for typo correction.
    pub fn add_known(&mut self, key: &str) {
        if !self.known.insert(key.to_owned()) || key.chars().count() < FUZZY_MIN_LEN || !key.is_ascii() {
            return;
        }
        let id = self.long_words.len() as u32;
        self.long_words.push(key.to_owned());
        self.deletions.entry(key.to_owned()).or_default().push(id);
        for i in 0..key.len() {
            let mut d = String::with_capacity(key.len() - 1);
            d.push_str(&key[..i]);
            d.push_str(&key[i + 1..]);
            let v = self.deletions.entry(d).or_default();
            if !v.contains(&id) {
                v.push(id);
            }
        }
    }

    /// Registers the prefix of a `word*` pattern.
    pub fn add_prefix(&mut self, prefix: &str) {
        if self.prefixes.insert(prefix.to_owned()) && !self.prefix_lens.contains(&prefix.len()) {
            self.prefix_lens.push(prefix.len());
        }
    }

    fn covered_by_prefix(&self, key: &str) -> bool {
        self.prefix_lens
            .iter()
            .any(|&n| key.get(..n).is_some_and(|p| self.prefixes.contains(p)))
    }

    /// The known word `key` is most likely a typo of (one edit away), if exactly one is.
    ///
    /// Conservative on purpose: the first letter must agree (people rarely mistype it, and
    /// "pommier" is not "sommier"), and a difference at the very end is an inflection, not a
    /// typo ("emprunté" is not "emprunter").
    pub fn correct(&self, key: &str) -> Option<&str> {
        if key.len() < FUZZY_MIN_LEN
            || key.len() > FUZZY_MAX_LEN
            || !key.is_ascii()
            || self.known.contains(key)
            || self.words.contains(key)
        {
            return None;
        }
        let mut found: Option<u32> = None;
        let mut consider = |ids: &Vec<u32>| -> bool {
            for &id in ids {
                let w = &self.long_words[id as usize];
                // "gonfler" is the verb of "gonfleur", not a typo of it.
                let derived = key.ends_with("er") && w.len() == key.len() + 1 && w.ends_with("eur");
                let inflection = w.starts_with(key) || key.starts_with(w.as_str()) || derived;
                if w.as_bytes()[0] == key.as_bytes()[0] && !inflection && osa_distance_is_one(key, w) {
                    match found {
                        None => found = Some(id),
                        Some(f) if f != id => return false,
                        _ => {}
                    }
                }
            }
            true
        };
        if let Some(ids) = self.deletions.get(key)
            && !consider(ids)
        {
            return None;
        }
        let mut d = String::with_capacity(key.len());
        for i in 0..key.len() {
            d.clear();
            d.push_str(&key[..i]);
            d.push_str(&key[i + 1..]);
            if let Some(ids) = self.deletions.get(d.as_str())
                && !consider(ids)
            {
                return None;
            }
        }
        // Checked last: most words have no candidate at all.
        if found.is_some() && self.covered_by_prefix(key) {
            return None;
        }
        found.map(|id| self.long_words[id as usize].as_str())
    }
}

/// True when `a` and `b` (ASCII) differ by exactly one insertion, deletion, substitution or
/// transposition of neighbours.
fn osa_distance_is_one(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return false;
    }
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if la == lb {
        let rest_eq = |from: usize| a[from..] == b[from..];
        // substitution
        if rest_eq(p + 1) {
            return true;
        }
        // transposition
        p + 1 < la && a[p] == b[p + 1] && a[p + 1] == b[p] && rest_eq(p + 2)
    } else if la > lb {
        a[p + 1..] == b[p..]
    } else {
        b[p + 1..] == a[p..]
    }
}

/// Whether `norm` is "je" glued to a verb in SMS spelling ("jdemenage"): j, a consonant, and
/// at least three more letters.
fn sms_je(norm: &str) -> bool {
    let b = norm.as_bytes();
    b.len() >= 5
        && b[0] == b'j'
        && b[1].is_ascii_lowercase()
        && !matches!(b[1], b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'h')
        && b[2..].iter().all(u8::is_ascii_lowercase)
        && norm != "jpeg"
}

/// The normalised word stream of one message.
#[derive(Debug, Clone)]
pub struct Stream {
    /// Tokens after SMS rewriting; `norm` is folded but not singularised (dates read it).
    pub toks: Vec<Token>,
    /// The keys of all the words, one after the other; `key_at[i]` is word `i`'s byte range
    /// in it (one buffer: no allocation per word).
    keys: String,
    key_at: Vec<(usize, usize)>,
    /// Lexicon-wide id of each word's key (`u32::MAX`: no pattern uses it).
    ids: Vec<u32>,
    filler: Vec<bool>,
    /// Words whose key was corrected from a typo (for the explanation and the confidence).
    pub corrected: Vec<bool>,
}

impl Stream {
    /// Builds the stream of `text`, leaving out tokens inside `skip` byte ranges (quotes).
    pub fn build(text: &str, skip: &[(usize, usize)], n: &Normalizer) -> Stream {
        let mut raw = tokenize(text);
        let mut toks: Vec<Token> = Vec::with_capacity(raw.len());
        let mut i = 0;
        let mut k = 0; // the first skip range that may still hold a token (ranges are sorted)
        while i < raw.len() {
            let t = &raw[i];
            while k < skip.len() && skip[k].1 <= t.start {
                k += 1;
            }
            if k < skip.len() && t.start >= skip[k].0 {
                i += 1;
                continue;
            }
            // "quelqu'un", "quelqu’une": one word, so patterns can say `qqn`.
            if t.class == TokClass::Word && t.norm == "quelqu" {
                // With or without the apostrophe ("quelqu un", typed on a phone).
                let next = if raw.get(i + 1).is_some_and(|a| a.is_punct('\'')) {
                    i + 2
                } else {
                    i + 1
                };
                if raw.get(next).is_some_and(|u| u.norm == "un" || u.norm == "une") {
                    toks.push(Token {
                        norm: "qqn".into(),
                        class: TokClass::Word,
                        start: t.start,
                        end: raw[next].end,
                    });
                    i = next + 1;
                    continue;
                }
            }
            // "qq1", "kk1", "dem1": letters and digits written as one word.
            if t.class == TokClass::Word
                && let Some(d) = raw.get(i + 1)
                && d.class == TokClass::Number
                && d.start == t.end
                && let Some(words) = n.rewrite.get(&format!("{}{}", t.norm, d.norm))
            {
                for w in words {
                    toks.push(Token {
                        norm: w.as_str().into(),
                        class: TokClass::Word,
                        start: t.start,
                        end: d.end,
                    });
                }
                i += 2;
                continue;
            }
            if t.class == TokClass::Word
                && let Some(words) = n.rewrite.get(t.norm.as_str())
            {
                for w in words {
                    toks.push(Token {
                        norm: w.as_str().into(),
                        class: TokClass::Word,
                        start: t.start,
                        end: t.end,
                    });
                }
                i += 1;
                continue;
            }
            // "jdemenage", "jvends", "jpaie": "je" glued to a verb (no French word starts with
            // j and a consonant).
            if t.class == TokClass::Word && sms_je(&t.norm) {
                for w in ["je", &t.norm[1..]] {
                    toks.push(Token {
                        norm: w.into(),
                        class: TokClass::Word,
                        start: t.start,
                        end: t.end,
                    });
                }
                i += 1;
                continue;
            }
            // Moved, not cloned: no later step reads a token behind `i`.
            let norm = std::mem::take(&mut raw[i].norm);
            let t = &raw[i];
            toks.push(Token {
                norm,
                class: t.class,
                start: t.start,
                end: t.end,
            });
            i += 1;
        }
        let mut keys = String::with_capacity(text.len());
        let mut key_at = Vec::with_capacity(toks.len());
        let mut ids = Vec::with_capacity(toks.len());
        let mut filler = Vec::with_capacity(toks.len());
        let mut corrected = Vec::with_capacity(toks.len());
        for t in &toks {
            match t.class {
                TokClass::Word | TokClass::Number => {
                    let mut k = key_str(&t.norm);
                    let mut fixed = false;
                    if t.class == TokClass::Word
                        && let Some(c) = n.correct(k)
                    {
                        k = c;
                        fixed = true;
                    }
                    filler.push(n.fillers.contains(k));
                    ids.push(n.word_ids.get(k).copied().unwrap_or(u32::MAX));
                    let a = keys.len();
                    keys.push_str(k);
                    key_at.push((a, keys.len()));
                    corrected.push(fixed);
                }
                _ => {
                    // No pattern word is empty.
                    ids.push(u32::MAX);
                    key_at.push((0, 0));
                    filler.push(false);
                    corrected.push(false);
                }
            }
        }
        Stream {
            toks,
            keys,
            key_at,
            ids,
            filler,
            corrected,
        }
    }

    /// A stream with default fillers and no rewriting (tests).
    pub fn plain(text: &str) -> Stream {
        Stream::build(text, &[], &Normalizer::plain())
    }

    pub fn len(&self) -> usize {
        self.toks.len()
    }
    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }
    pub fn key(&self, i: usize) -> &str {
        let (a, b) = self.key_at[i];
        &self.keys[a..b]
    }
    pub fn norm(&self, i: usize) -> &str {
        &self.toks[i].norm
    }
    /// Words and numbers: what patterns match on.
    pub fn is_word(&self, i: usize) -> bool {
        matches!(self.toks[i].class, TokClass::Word | TokClass::Number)
    }
    pub fn is_number(&self, i: usize) -> bool {
        self.toks[i].class == TokClass::Number
    }
    pub fn is_filler(&self, i: usize) -> bool {
        self.filler[i]
    }
    /// Apostrophes and hyphens join the words of one phrase.
    pub fn is_soft_punct(&self, i: usize) -> bool {
        matches!(self.toks[i].class, TokClass::Punct('\'') | TokClass::Punct('-'))
    }
    /// Ends of sentences: nothing matches across them.
    pub fn is_hard_boundary(&self, i: usize) -> bool {
        match self.toks[i].class {
            TokClass::Newline => true,
            TokClass::Punct(c) if is_emoji(c) => !self.headline_emoji(i),
            TokClass::Punct(c) => is_sentence_end(c),
            _ => false,
        }
    }
    /// "Troc 🔄 ma poussette…", "Urgent 🚨 qqn aurait…": an emoji after a sentence's one
    /// opening word, with words after it, decorates a headline and ends nothing.
    fn headline_emoji(&self, i: usize) -> bool {
        let opens = |k: usize| match self.toks[k].class {
            TokClass::Newline => true,
            TokClass::Punct(c) => is_sentence_end(c),
            _ => false,
        };
        i >= 1
            && self.toks[i - 1].is_word()
            && (i == 1 || opens(i - 2))
            && self.toks.get(i + 1).is_some_and(|t| t.is_word())
    }
    pub fn punct(&self, i: usize) -> Option<char> {
        match self.toks[i].class {
            TokClass::Punct(c) => Some(c),
            _ => None,
        }
    }
    /// The lexicon-wide word ids, one per token.
    pub fn word_ids(&self) -> &[u32] {
        &self.ids
    }
    /// Blanks a word so that no pattern matches it (ignored phrases such as "rendre l'âme").
    pub fn blank(&mut self, i: usize) {
        self.key_at[i] = (0, 0);
        self.ids[i] = u32::MAX;
        self.filler[i] = false;
    }
    /// The original text of words `start..end`.
    pub fn surface<'t>(&self, text: &'t str, start: usize, end: usize) -> &'t str {
        if start >= end || end > self.toks.len() {
            return "";
        }
        &text[self.toks[start].start..self.toks[end - 1].end]
    }
}

/// Characters that end a sentence: the usual marks and emoji, which people use as full stops.
pub fn is_sentence_end(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | ';' | '…' | '¡' | '¿') || is_emoji(c)
}

fn is_emoji(c: char) -> bool {
    let u = c as u32;
    (0x1F000..=0x1FAFF).contains(&u) || (0x2600..=0x27BF).contains(&u) || (0x2B00..=0x2BFF).contains(&u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_singular() {
        assert_eq!(key_of("echelles"), "echelle");
        assert_eq!(key_of("jeux"), "jeu");
        assert_eq!(key_of("les"), "les");
        assert_eq!(key_of("bross"), "bross");
    }

    #[test]
    fn corrects_one_typo_in_long_words() {
        let mut n = Normalizer::plain();
        n.add_known("trottinette");
        n.add_known("perceuse");
        assert_eq!(n.correct("trotinette"), Some("trottinette"));
        assert_eq!(n.correct("preceuse"), Some("perceuse")); // neighbours swapped
        assert_eq!(n.correct("prceeuse"), None); // two edits away
        assert_eq!(n.correct("percuese"), Some("perceuse"));
        assert_eq!(n.correct("perceuze"), Some("perceuse"));
        assert_eq!(n.correct("perceuse"), None);
        n.add_known("sommier");
        assert_eq!(n.correct("pommier"), None);
        n.add_known("emprunter");
        assert_eq!(n.correct("emprunte"), None);
        n.add_prefix("repare");
        n.add_known("preparer");
        assert_eq!(n.correct("reparer"), None);
    }

    #[test]
    fn joins_letters_and_digits_written_as_one_word() {
        let mut n = Normalizer::plain();
        n.rewrite.insert("qq1".into(), vec!["qqn".into()]);
        let s = Stream::build("qq1 aurait", &[], &n);
        assert_eq!(s.key(0), "qqn");
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn merges_quelqu_un() {
        let s = Stream::plain("Quelqu’un aurait");
        assert_eq!(s.key(0), "qqn");
        assert_eq!(s.len(), 2);
    }
}
