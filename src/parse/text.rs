//! The word stream the matchers run on: tokens after SMS normalisation, with singular keys,
//! filler flags and typo correction.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::OnceLock;
use std::thread::LocalKey;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::token::{TokClass, Token, tokenize_into};

/// The key a word is compared on: its folded form, singularised (a final `s` or `x` dropped
/// from words longer than three letters). Crude, but applied identically to the text and to
/// every pattern, so "échelles" meets "échelle" and "jeux" meets "jeu".
pub fn key_of(norm: &str) -> String {
    key_str(norm).to_owned()
}

/// [`key_of`] without the allocation: the key is always a prefix of the folded form.
#[inline]
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
    /// `fillers`, `known`, `words` and `word_ids` in one table, built at the first stream: one
    /// look-up per word instead of four. The sets must not change after that.
    keys: OnceLock<KeyTable>,
    /// The first byte and length of every `rewrite` entry (see [`Normalizer::may_rewrite`]),
    /// built with `keys`.
    rewrite_gate: OnceLock<Box<[u64; 256]>>,
    /// A bit per [`poly_hash`] of every `deletions` key ([`deletion_bit`]), built with `keys`:
    /// a clear bit tells typo correction that a one-letter deletion of a word is no key there,
    /// without hashing the string nor reading the (large) table.
    deletion_bits: OnceLock<Vec<u64>>,
    /// Keys of the grammar's word lists → the bits of the lists holding them.
    lists: HashMap<String, u8>,
}

/// Bits of [`Normalizer::deletion_bits`] (32 KiB).
const DELETION_BITS: u32 = 1 << 18;

/// The multiplier of [`poly_hash`] (odd).
const POLY: u64 = 0x0100_0000_01b3;

/// `Σ b[j]·POLY^j`: the hash of one-letter deletions is updated from one to the next in
/// [`Normalizer::nearest`], not recomputed.
fn poly_hash(b: &[u8]) -> u64 {
    let mut h = 0u64;
    let mut p = 1u64;
    for &c in b {
        h = h.wrapping_add(u64::from(c).wrapping_mul(p));
        p = p.wrapping_mul(POLY);
    }
    h
}

/// The [`poly_hash`] of each one-letter deletion of `key` (at most [`FUZZY_MAX_LEN`] bytes),
/// by the position of the deleted byte, and that of `key` itself; linear in its length. The
/// hash of the deletion of byte i is `before + after[i]`: the bytes before i at their places,
/// those after it one place down.
fn deletion_hashes(key: &[u8]) -> ([u64; FUZZY_MAX_LEN], u64) {
    let len = key.len().min(FUZZY_MAX_LEN);
    let key = &key[..len];
    let mut powers = [0u64; FUZZY_MAX_LEN + 1];
    let mut p = 1u64;
    for pw in powers.iter_mut().take(len + 1) {
        *pw = p;
        p = p.wrapping_mul(POLY);
    }
    let mut after = [0u64; FUZZY_MAX_LEN];
    for i in (1..len).rev() {
        after[i - 1] = after[i].wrapping_add(u64::from(key[i]).wrapping_mul(powers[i - 1]));
    }
    let whole = after[0]
        .wrapping_mul(POLY)
        .wrapping_add(key.first().map_or(0, |&b| u64::from(b)));
    let mut before = 0u64;
    for i in 0..len {
        if i > 0 {
            before = before.wrapping_add(u64::from(key[i - 1]).wrapping_mul(powers[i - 1]));
        }
        after[i] = before.wrapping_add(after[i]);
    }
    (after, whole)
}

/// The bit of a [`poly_hash`] in [`Normalizer::deletion_bits`].
fn deletion_bit(h: u64) -> usize {
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - DELETION_BITS.trailing_zeros())) as usize
}

/// The keys [`Normalizer`] knows, for one look-up per word. Keys of up to [`PACKED_MAX`]
/// bytes (most words) are packed into an integer: hashing and comparing one costs a few
/// instructions, where a string key costs a byte loop and a `memcmp` call.
#[derive(Debug, Default)]
struct KeyTable {
    short: HashMap<u64, KeyInfo>,
    long: HashMap<String, KeyInfo>,
}

/// The longest key [`pack`] packs (the last byte of the integer holds the length).
const PACKED_MAX: usize = 7;

/// `key` as an integer (its bytes, then its length in the last byte), when it is short enough.
#[inline]
fn pack(key: &str) -> Option<u64> {
    let b = key.as_bytes();
    if b.len() > PACKED_MAX {
        return None;
    }
    let mut x = (b.len() as u64) << 56;
    for (i, &c) in b.iter().enumerate() {
        x |= u64::from(c) << (8 * i);
    }
    Some(x)
}

impl KeyTable {
    fn entry(&mut self, key: &str) -> &mut KeyInfo {
        match pack(key) {
            Some(p) => self.short.entry(p).or_insert(UNKNOWN_KEY),
            None => self.long.entry(key.to_owned()).or_insert(UNKNOWN_KEY),
        }
    }

    fn get(&self, key: &str) -> Option<&KeyInfo> {
        match pack(key) {
            Some(p) => self.short.get(&p),
            None => self.long.get(key),
        }
    }
}

/// What [`Normalizer`] knows of one key.
#[derive(Debug, Clone, Copy)]
struct KeyInfo {
    /// Lexicon-wide id (`u32::MAX`: no pattern uses it).
    id: u32,
    filler: bool,
    /// Known or a real word: never corrected.
    kept: bool,
    /// The bits of the grammar's word lists that hold the key.
    lists: u8,
}

/// A key the normaliser knows nothing of.
const UNKNOWN_KEY: KeyInfo = KeyInfo {
    id: u32::MAX,
    filler: false,
    kept: false,
    lists: 0,
};

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
        self.keys = OnceLock::new();
        self.deletion_bits = OnceLock::new();
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
        self.nearest(key)
    }

    /// [`Normalizer::correct`] for a key already found neither known nor a real word.
    fn correct_unknown(&self, key: &str) -> Option<&str> {
        if key.len() < FUZZY_MIN_LEN || key.len() > FUZZY_MAX_LEN || !key.is_ascii() {
            return None;
        }
        self.nearest(key)
    }

    /// Builds the one table of `fillers`, `known`, `words` and `word_ids` that streams look
    /// each word up in: call it after the last change to those sets (the lexicon does; a
    /// normaliser without it builds the table at its first stream).
    pub fn finish(&mut self) {
        self.keys = OnceLock::from(self.key_table());
        self.rewrite_gate = OnceLock::from(self.rewrite_table());
        self.deletion_bits = OnceLock::from(self.deletion_table());
    }

    fn deletion_table(&self) -> Vec<u64> {
        let mut bits = vec![0u64; (DELETION_BITS / 64) as usize];
        for k in self.deletions.keys() {
            let bit = deletion_bit(poly_hash(k.as_bytes()));
            bits[bit / 64] |= 1 << (bit % 64);
        }
        bits
    }

    fn rewrite_table(&self) -> Box<[u64; 256]> {
        let mut gate = Box::new([0u64; 256]);
        for k in self.rewrite.keys() {
            if let Some(&b) = k.as_bytes().first() {
                gate[usize::from(b)] |= 1 << k.len().min(63);
            }
        }
        gate
    }

    /// False when no `rewrite` entry has the first byte and the length of `first` followed by
    /// `rest_len` more bytes: most words are asked no hash look-up.
    fn may_rewrite(&self, first: &str, rest_len: usize) -> bool {
        let gate = self.rewrite_gate.get_or_init(|| self.rewrite_table());
        first
            .as_bytes()
            .first()
            .is_some_and(|&b| gate[usize::from(b)] & (1 << (first.len() + rest_len).min(63)) != 0)
    }

    fn key_table(&self) -> KeyTable {
        let mut m = KeyTable {
            short: HashMap::with_capacity_and_hasher(self.known.len() + self.words.len(), Default::default()),
            long: HashMap::default(),
        };
        for k in self.known.iter().chain(&self.words) {
            m.entry(k).kept = true;
        }
        for k in &self.fillers {
            m.entry(k).filler = true;
        }
        for (k, &id) in &self.word_ids {
            m.entry(k).id = id;
        }
        for (k, &bits) in &self.lists {
            m.entry(k).lists = bits;
        }
        m
    }

    /// Marks `key` as a word of the list with bit `bit` (see [`Stream::in_lists`]).
    pub fn add_list_word(&mut self, key: &str, bit: u8) {
        self.keys = OnceLock::new();
        *self.lists.entry(key.to_owned()).or_default() |= bit;
    }

    /// What the normaliser knows of `key`, in one look-up.
    fn key_info(&self, key: &str) -> KeyInfo {
        let keys = self.keys.get_or_init(|| self.key_table());
        keys.get(key).copied().unwrap_or(UNKNOWN_KEY)
    }

    /// The one known word `key` is a typo of, by the symmetric-delete index.
    fn nearest(&self, key: &str) -> Option<&str> {
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
        let bits = self.deletion_bits.get_or_init(|| self.deletion_table());
        let may_be_key = |h: u64| {
            let bit = deletion_bit(h);
            bits[bit / 64] >> (bit % 64) & 1 != 0
        };
        // The callers correct only ASCII keys of at most FUZZY_MAX_LEN bytes: each deletion is
        // written on the stack, not in an allocated string.
        let key_bytes = key.as_bytes();
        let mut buf = [0u8; FUZZY_MAX_LEN];
        if key_bytes.len() > buf.len() {
            return None;
        }
        let (hashes, whole) = deletion_hashes(key_bytes);
        if may_be_key(whole)
            && let Some(ids) = self.deletions.get(key)
            && !consider(ids)
        {
            return None;
        }
        // The key without its byte i: without byte 0 first, then each step puts back byte i - 1
        // where byte i was.
        let n = key_bytes.len().saturating_sub(1);
        buf[..n].copy_from_slice(key_bytes.get(1..).unwrap_or_default());
        for (i, &h) in hashes.iter().enumerate().take(key_bytes.len()) {
            if i > 0 {
                buf[i - 1] = key_bytes[i - 1];
            }
            if !may_be_key(h) {
                continue;
            }
            let Ok(d) = std::str::from_utf8(&buf[..n]) else {
                continue;
            };
            if let Some(ids) = self.deletions.get(d)
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
#[inline]
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
    /// The keys of all the words, one after the other; `at[i].key` is word `i`'s byte range
    /// in it (one buffer: no allocation per word).
    keys: String,
    /// What the matchers ask of each token, in one vector.
    at: Vec<TokenInfo>,
    /// Words whose key was corrected from a typo (for the explanation and the confidence).
    pub corrected: Vec<bool>,
    /// The bits of a blanked word (those of the empty key).
    blank_lists: u8,
    /// The sentences: word ranges between hard boundaries (three stages read them).
    sentences: Vec<(usize, usize)>,
    /// The folded words' buffer the tokens share (given back to the thread when dropped).
    folded: Option<Rc<String>>,
}

/// Buffers larger than this (in bytes) are freed rather than kept: one huge message must not
/// hold its memory in every thread that read it. The parser's spare buffers all use it.
pub(super) const SPARE_MAX_BYTES: usize = 1 << 18;

/// Whether a vector is small enough to be kept for the thread's next message.
pub(super) fn fits_spare<T>(v: &Vec<T>) -> bool {
    v.capacity() * std::mem::size_of::<T>() <= SPARE_MAX_BYTES
}

// The buffers of a dropped stream, kept by each thread for its next stream: a message's stream
// then allocates nothing (a parser thread reads message after message). One cell per buffer:
// taking or giving one back moves a pointer, not a struct of them all.
thread_local! {
    static SPARE_RAW: Cell<Vec<Token>> = const { Cell::new(Vec::new()) };
    static SPARE_TOKS: Cell<Vec<Token>> = const { Cell::new(Vec::new()) };
    static SPARE_KEYS: Cell<String> = const { Cell::new(String::new()) };
    static SPARE_AT: Cell<Vec<TokenInfo>> = const { Cell::new(Vec::new()) };
    static SPARE_CORRECTED: Cell<Vec<bool>> = const { Cell::new(Vec::new()) };
    static SPARE_SENTENCES: Cell<Vec<(usize, usize)>> = const { Cell::new(Vec::new()) };
    static SPARE_FOLDED: Cell<Option<Rc<String>>> = const { Cell::new(None) };
}

/// The thread's spare buffer of `cell` (an empty one when a stream holds it).
pub(super) fn take_spare<T: Default>(cell: &'static LocalKey<Cell<T>>) -> T {
    cell.try_with(Cell::take).unwrap_or_default()
}

/// Gives a vector back to the thread, emptied, unless it is too large.
pub(super) fn give_vec<T>(cell: &'static LocalKey<Cell<Vec<T>>>, mut v: Vec<T>) {
    v.clear();
    if fits_spare(&v) {
        let _ = cell.try_with(|c| c.set(v));
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // The tokens go first: they hold the folded buffer, which is reused only when no
        // token (nor any copy of one) is left.
        give_vec(&SPARE_TOKS, std::mem::take(&mut self.toks));
        if let Some(f) = self.folded.take()
            && Rc::strong_count(&f) == 1
            && f.capacity() <= SPARE_MAX_BYTES
        {
            let _ = SPARE_FOLDED.try_with(|c| c.set(Some(f)));
        }
        let mut keys = std::mem::take(&mut self.keys);
        keys.clear();
        if keys.capacity() <= SPARE_MAX_BYTES {
            let _ = SPARE_KEYS.try_with(|c| c.set(keys));
        }
        give_vec(&SPARE_AT, std::mem::take(&mut self.at));
        give_vec(&SPARE_CORRECTED, std::mem::take(&mut self.corrected));
        give_vec(&SPARE_SENTENCES, std::mem::take(&mut self.sentences));
    }
}

/// What the stream knows of one token.
#[derive(Debug, Clone, Copy)]
struct TokenInfo {
    /// The key's byte range in [`Stream::keys`] (empty: no word, or blanked).
    key: (u32, u32),
    /// Lexicon-wide id of the key (`u32::MAX`: no pattern uses it).
    id: u32,
    filler: bool,
    /// A hard boundary (see [`Stream::is_hard_boundary`]).
    hard: bool,
    /// The bits of the word lists holding the key (see [`Stream::in_lists`]).
    lists: u8,
    /// A word or a number (see [`Stream::is_word`]): asked at every step of the matchers,
    /// here rather than in the larger token.
    word: bool,
    /// An apostrophe or a hyphen (see [`Stream::is_soft_punct`]).
    soft: bool,
    /// The token's class (see [`Stream::punct`]), copied from the token for the same reason.
    class: TokClass,
}

/// A token that is no word.
const NO_WORD: TokenInfo = TokenInfo {
    key: (0, 0),
    id: u32::MAX,
    filler: false,
    hard: false,
    lists: 0,
    word: false,
    soft: false,
    class: TokClass::Newline,
};

impl Stream {
    /// Builds the stream of `text`, leaving out tokens inside `skip` byte ranges (quotes).
    pub fn build(text: &str, skip: &[(usize, usize)], n: &Normalizer) -> Stream {
        let mut raw = take_spare(&SPARE_RAW);
        let folded = tokenize_into(text, &mut raw, take_spare(&SPARE_FOLDED));
        let mut toks: Vec<Token> = take_spare(&SPARE_TOKS);
        toks.reserve(raw.len());
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
            // The folded word, sliced once for the checks below (all of them on words).
            let word = if t.class == TokClass::Word { t.norm.as_str() } else { "" };
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
                && n.may_rewrite(word, d.norm.len())
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
                && n.may_rewrite(word, 0)
                && let Some(words) = n.rewrite.get(word)
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
            if t.class == TokClass::Word && sms_je(word) {
                for part in ["je", &word[1..]] {
                    toks.push(Token {
                        norm: part.into(),
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
        // The raw tokens are spent: their vector waits for the next stream.
        give_vec(&SPARE_RAW, raw);
        let mut keys = take_spare(&SPARE_KEYS);
        keys.reserve(text.len());
        let mut at = take_spare(&SPARE_AT);
        at.reserve(toks.len());
        let mut corrected = take_spare(&SPARE_CORRECTED);
        corrected.reserve(toks.len());
        for t in &toks {
            match t.class {
                TokClass::Word | TokClass::Number => {
                    let mut k = key_str(&t.norm);
                    let mut info = n.key_info(k);
                    let mut fixed = false;
                    if t.class == TokClass::Word
                        && !info.kept
                        && let Some(c) = n.correct_unknown(k)
                    {
                        k = c;
                        info = n.key_info(k);
                        fixed = true;
                    }
                    let a = keys.len() as u32;
                    keys.push_str(k);
                    at.push(TokenInfo {
                        key: (a, keys.len() as u32),
                        id: info.id,
                        filler: info.filler,
                        hard: false,
                        lists: info.lists,
                        word: true,
                        soft: false,
                        class: t.class,
                    });
                    corrected.push(fixed);
                }
                _ => {
                    // No pattern word is empty.
                    at.push(TokenInfo {
                        soft: matches!(t.class, TokClass::Punct('\'') | TokClass::Punct('-')),
                        class: t.class,
                        ..NO_WORD
                    });
                    corrected.push(false);
                }
            }
        }
        let mut s = Stream {
            toks,
            keys,
            at,
            corrected,
            blank_lists: n.key_info("").lists,
            sentences: take_spare(&SPARE_SENTENCES),
            folded: Some(folded),
        };
        let mut a = 0;
        for i in 0..s.toks.len() {
            let hard = s.hard_boundary_at(i);
            s.at[i].hard = hard;
            if hard {
                if i > a {
                    s.sentences.push((a, i));
                }
                a = i + 1;
            }
        }
        if s.toks.len() > a {
            s.sentences.push((a, s.toks.len()));
        }
        s
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
        let (a, b) = self.at[i].key;
        &self.keys[a as usize..b as usize]
    }
    /// [`Stream::key`] as bytes (no character-boundary checks: for prefix comparisons).
    pub fn key_bytes(&self, i: usize) -> &[u8] {
        let (a, b) = self.at[i].key;
        &self.keys.as_bytes()[a as usize..b as usize]
    }
    /// Whether the key of token `i` is in a word list of `bits` (see [`WordList::bit`]): the
    /// same answer as asking the lists for [`Stream::key`], looked up once per word.
    ///
    /// [`WordList::bit`]: super::lexicon::WordList::bit
    pub fn in_lists(&self, i: usize, bits: u8) -> bool {
        self.at[i].lists & bits != 0
    }
    /// The sentences (at . ! ? ; newlines and emoji), as word ranges `start..end`.
    pub fn sentences(&self) -> &[(usize, usize)] {
        &self.sentences
    }
    /// Whether word `i` has no key (no word, or blanked).
    pub fn key_is_empty(&self, i: usize) -> bool {
        let (a, b) = self.at[i].key;
        a == b
    }
    pub fn norm(&self, i: usize) -> &str {
        &self.toks[i].norm
    }
    /// Words and numbers: what patterns match on.
    pub fn is_word(&self, i: usize) -> bool {
        self.at[i].word
    }
    pub fn is_number(&self, i: usize) -> bool {
        self.at[i].class == TokClass::Number
    }
    pub fn is_filler(&self, i: usize) -> bool {
        self.at[i].filler
    }
    /// Apostrophes and hyphens join the words of one phrase.
    pub fn is_soft_punct(&self, i: usize) -> bool {
        self.at[i].soft
    }
    /// Ends of sentences: nothing matches across them.
    pub fn is_hard_boundary(&self, i: usize) -> bool {
        self.at[i].hard
    }
    /// [`Stream::is_hard_boundary`], worked out once per token when the stream is built.
    fn hard_boundary_at(&self, i: usize) -> bool {
        match self.at[i].class {
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
        match self.at[i].class {
            TokClass::Punct(c) => Some(c),
            _ => None,
        }
    }
    /// The lexicon-wide id of token `i`'s key (`u32::MAX`: no pattern uses it).
    pub fn word_id(&self, i: usize) -> u32 {
        self.at[i].id
    }
    /// Blanks a word so that no pattern matches it (ignored phrases such as "rendre l'âme").
    pub fn blank(&mut self, i: usize) {
        let w = &mut self.at[i];
        w.key = (0, 0);
        w.id = u32::MAX;
        w.filler = false;
        w.lists = self.blank_lists;
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
    fn deletion_hashes_are_those_of_the_deletions() {
        // Typo correction skips a deletion whose hash has no bit: the rolling hashes must be
        // those of the deleted strings, or it would miss words.
        for key in ["a", "ab", "perceuse", "trotinette", "debroussailleusesxyzabcdefghijkl"] {
            let (hashes, whole) = deletion_hashes(key.as_bytes());
            assert_eq!(whole, poly_hash(key.as_bytes()), "{key}");
            for i in 0..key.len() {
                let d = format!("{}{}", &key[..i], &key[i + 1..]);
                assert_eq!(hashes[i], poly_hash(d.as_bytes()), "{key} without byte {i}");
            }
        }
        let mut n = Normalizer::plain();
        n.add_known("debroussailleuse");
        n.add_known("tondeuse");
        assert_eq!(n.correct("debrousailleuse"), Some("debroussailleuse"));
        assert_eq!(n.correct("tonduse"), Some("tondeuse"));
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
