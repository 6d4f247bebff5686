//! The small pattern language shared by the item lexicon and the grammar.
//!
//! A pattern is words separated by spaces, compared on folded, singularised keys:
//! - `word` matches a word whose key equals the word's key;
//! - `word*` matches any word whose key starts with `word` (verb families: `pret*`);
//! - `..` skips up to [`GAP`] words (service phrases: `gard* .. chien*`).
//!
//! Between two elements, up to [`MAX_FILLERS`] filler words (articles, possessives) of the text
//! are skipped, so `garder chat` matches "garder mon chat" without listing every determiner.
//! Matching is leftmost-longest: at each position the longest pattern wins, then matching
//! resumes after it. Each position tries only the patterns indexed under its word, so the cost
//! is linear in the text.

use std::cell::Cell;

use rustc_hash::FxHashMap as HashMap;

use super::text::{Stream, fits_spare, key_of, take_spare};

/// Filler words skipped between two pattern elements.
pub const MAX_FILLERS: usize = 2;
/// Words a `..` gap may skip.
pub const GAP: usize = 4;
/// Shortest prefix accepted before a `*`.
pub const MIN_PREFIX: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Elem {
    Word(String),
    Prefix(String),
    Gap,
}

/// A pattern element with its word interned: matching compares integers, not strings. A
/// prefix is an index into [`PatternSet::prefix_words`], so that the element is a plain tag
/// and an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CElem {
    Word(u32),
    Prefix(u32),
    Gap,
}

/// A parsed pattern, tied to the entry (item or cue) it belongs to. Its elements are
/// `elems[start..end]` of [`PatternSet::elems`]: all the patterns' elements lie in one vector,
/// so trying a candidate reads no separate allocation.
#[derive(Debug, Clone, Copy)]
struct Compiled {
    start: u32,
    end: u32,
    entry: usize,
}

/// The id of a word no pattern uses.
const UNKNOWN: u32 = u32::MAX;

/// One match of a pattern set in a stream: words `start..end` (indices into the stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub start: usize,
    pub end: usize,
    /// Index of the entry whose pattern matched.
    pub entry: usize,
}

/// A set of compiled patterns indexed by their first element.
#[derive(Debug, Default)]
pub struct PatternSet {
    patterns: Vec<Compiled>,
    /// The elements of every pattern, one pattern after the other (see [`Compiled`]).
    elems: Vec<CElem>,
    /// The prefixes of the `word*` elements, by [`CElem::Prefix`] index.
    prefix_words: Vec<String>,
    /// Every word of the patterns, interned.
    vocab: HashMap<String, u32>,
    words: Vec<String>,
    /// Patterns by the id of their first word, when their second element is no word (a
    /// single word, a prefix or a gap follows).
    by_word: Vec<Vec<Compiled>>,
    /// Patterns of two words or more by the ids of their first two words ([`pair`]): a
    /// position tries only the patterns whose second word stands within reach after it,
    /// not every pattern of its first word ("je" starts a hundred and more cues).
    by_pair: HashMap<u64, Vec<Compiled>>,
    /// Whether a word id starts any pattern of [`PatternSet::by_pair`] (most words start none:
    /// no hash look-up for them).
    starts_pair: Vec<bool>,
    /// Whether a word id starts any pattern at all (of `by_word` or `by_pair`).
    starts_word: Vec<bool>,
    /// Whether the word ids of the elements and of the tables above are the lexicon-wide ones
    /// (see [`PatternSet::link`]): the stream looks each word up once for all the sets, and a
    /// search reads the ids from it, with no table of the set's own to translate them.
    linked: bool,
    /// Patterns starting with a `prefix*`, in a byte trie: one walk per word finds them all.
    by_prefix: Trie,
}

/// A byte trie of prefixes, each node holding the patterns whose first prefix ends there.
///
/// No prefix is shorter than [`MIN_PREFIX`] bytes, so no node above that depth holds a
/// pattern: a word's walk starts with one look-up of its first three bytes, which for most
/// words is also its end.
#[derive(Debug, Default)]
struct Trie {
    nodes: Vec<TrieNode>,
    /// The nodes at depth [`MIN_PREFIX`] by their path ([`first_bytes`]).
    at_depth: HashMap<u32, u32>,
    /// A bit per hashed path of `at_depth` ([`path_bit`]): most words' first bytes lead
    /// nowhere, and a clear bit says so without the hash look-up.
    path_bits: Vec<u64>,
}

/// Bits of [`Trie::path_bits`].
const PATH_BITS: u32 = 1 << 15;

/// The bit of a path in [`Trie::path_bits`].
fn path_bit(path: u32) -> usize {
    (path.wrapping_mul(0x9E37_79B1) >> (32 - PATH_BITS.trailing_zeros())) as usize
}

#[derive(Debug, Default)]
struct TrieNode {
    next: Vec<(u8, u32)>,
    patterns: Vec<Compiled>,
}

// `first_bytes` packs exactly three bytes.
const _: () = assert!(MIN_PREFIX == 3);

/// The first [`MIN_PREFIX`] bytes of `key`, packed (None when it is shorter).
fn first_bytes(key: &[u8]) -> Option<u32> {
    match key {
        [a, b, c, ..] => Some(u32::from_le_bytes([*a, *b, *c, 0])),
        _ => None,
    }
}

impl Trie {
    fn insert(&mut self, key: &str, pattern: Compiled) {
        if self.nodes.is_empty() {
            self.nodes.push(TrieNode::default());
        }
        let mut n = 0usize;
        for (depth, &b) in key.as_bytes().iter().enumerate() {
            n = match self.nodes[n].next.iter().find(|(c, _)| *c == b) {
                Some(&(_, child)) => child as usize,
                None => {
                    let child = self.nodes.len();
                    self.nodes.push(TrieNode::default());
                    self.nodes[n].next.push((b, child as u32));
                    child
                }
            };
            if depth + 1 == MIN_PREFIX
                && let Some(path) = first_bytes(key.as_bytes())
            {
                self.at_depth.insert(path, n as u32);
                if self.path_bits.is_empty() {
                    self.path_bits = vec![0; (PATH_BITS / 64) as usize];
                }
                let bit = path_bit(path);
                self.path_bits[bit / 64] |= 1 << (bit % 64);
            }
        }
        self.nodes[n].patterns.push(pattern);
    }

    /// Whether the path's bit is set: false says that no prefix starts with it.
    fn may_lead(&self, path: u32) -> bool {
        let bit = path_bit(path);
        self.path_bits.get(bit / 64).is_some_and(|w| w >> (bit % 64) & 1 != 0)
    }

    /// The node a path of [`MIN_PREFIX`] bytes leads to.
    fn node_at(&self, path: u32) -> Option<u32> {
        if !self.may_lead(path) {
            return None;
        }
        self.at_depth.get(&path).copied()
    }

    /// Whether some prefix may start `key` (its first bytes lead somewhere).
    fn may_start(&self, key: &[u8]) -> bool {
        first_bytes(key).is_some_and(|path| self.node_at(path).is_some())
    }

    /// Appends the patterns of every prefix of `key`.
    fn collect(&self, bytes: &[u8], out: &mut Vec<Compiled>) {
        // No prefix is shorter than MIN_PREFIX letters: a shorter word reaches no pattern.
        let Some(start) = first_bytes(bytes).and_then(|path| self.node_at(path)) else {
            return;
        };
        let mut n = start as usize;
        out.extend_from_slice(&self.nodes[n].patterns);
        for &b in &bytes[MIN_PREFIX..] {
            match self.nodes[n].next.iter().find(|(c, _)| *c == b) {
                Some(&(_, child)) => n = child as usize,
                None => return,
            }
            out.extend_from_slice(&self.nodes[n].patterns);
        }
    }
}

/// Why a pattern was refused at load time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the pattern is empty")]
    Empty,
    #[error("`..` cannot start or end a pattern, nor follow another `..`")]
    BadGap,
    #[error("a prefix before `*` needs at least {MIN_PREFIX} letters: `{0}`")]
    ShortPrefix(String),
}

fn parse_pattern(src: &str) -> Result<Vec<Elem>, PatternError> {
    let mut elems = Vec::new();
    for raw in src.split_whitespace() {
        if raw == ".." {
            if matches!(elems.last(), None | Some(Elem::Gap)) {
                return Err(PatternError::BadGap);
            }
            elems.push(Elem::Gap);
            continue;
        }
        let (body, prefix) = match raw.strip_suffix('*') {
            Some(b) => (b, true),
            None => (raw, false),
        };
        // Hyphens and apostrophes split words in the text, so they split pattern words too.
        let parts: Vec<String> = super::token::fold(body)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        let n = parts.len();
        for (i, p) in parts.into_iter().enumerate() {
            if prefix && i + 1 == n {
                if p.chars().count() < MIN_PREFIX {
                    return Err(PatternError::ShortPrefix(raw.to_owned()));
                }
                elems.push(Elem::Prefix(p));
            } else {
                elems.push(Elem::Word(key_of(&p)));
            }
        }
    }
    match elems.last() {
        None => Err(PatternError::Empty),
        Some(Elem::Gap) => Err(PatternError::BadGap),
        _ => Ok(elems),
    }
}

/// The canonical form of a pattern, used to detect the same pattern listed twice.
pub fn canonical(src: &str) -> Result<String, PatternError> {
    let elems = parse_pattern(src)?;
    Ok(elems
        .iter()
        .map(|e| match e {
            Elem::Word(w) => w.clone(),
            Elem::Prefix(p) => format!("{p}*"),
            Elem::Gap => "..".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" "))
}

impl PatternSet {
    /// Adds a pattern for entry `entry`.
    pub fn add(&mut self, src: &str, entry: usize) -> Result<(), PatternError> {
        debug_assert!(!self.linked, "a pattern added after link");
        let elems = parse_pattern(src)?;
        let celems: Vec<CElem> = elems
            .iter()
            .map(|e| match e {
                Elem::Word(w) => CElem::Word(self.intern(w)),
                Elem::Prefix(p) => {
                    self.prefix_words.push(p.clone());
                    CElem::Prefix((self.prefix_words.len() - 1) as u32)
                }
                Elem::Gap => CElem::Gap,
            })
            .collect();
        let start = self.elems.len() as u32;
        // The indexes hold the pattern itself (its place in `elems` and its entry): trying a
        // candidate reads no other table.
        let id = Compiled {
            start,
            end: start + celems.len() as u32,
            entry,
        };
        match &celems[0] {
            CElem::Word(w) => match celems.get(1) {
                Some(CElem::Word(w2)) => {
                    self.by_pair.entry(pair(*w, *w2)).or_default().push(id);
                    self.starts_pair[*w as usize] = true;
                    self.starts_word[*w as usize] = true;
                }
                _ => {
                    self.by_word[*w as usize].push(id);
                    self.starts_word[*w as usize] = true;
                }
            },
            CElem::Prefix(p) => self.by_prefix.insert(&self.prefix_words[*p as usize], id),
            CElem::Gap => return Err(PatternError::BadGap),
        }
        self.elems.extend_from_slice(&celems);
        self.patterns.push(id);
        Ok(())
    }

    /// Maps the lexicon-wide word ids (`global`) to this set's ids.
    ///
    /// Every word of the set's patterns must have a lexicon-wide id; a set is linked once, and
    /// no pattern may be added after.
    pub fn link(&mut self, global: &HashMap<String, u32>) {
        debug_assert!(!self.linked, "a pattern set linked twice");
        if self.linked {
            return;
        }
        let to_global: Vec<u32> = self
            .words
            .iter()
            .map(|w| global.get(w).copied().unwrap_or(UNKNOWN))
            .collect();
        let g = |l: u32| to_global[l as usize];
        for e in &mut self.elems {
            if let CElem::Word(w) = e {
                *w = g(*w);
            }
        }
        let n = global.len();
        let mut by_word = vec![Vec::new(); n];
        let mut starts_pair = vec![false; n];
        let mut starts_word = vec![false; n];
        for (l, v) in std::mem::take(&mut self.by_word).into_iter().enumerate() {
            let id = g(l as u32) as usize;
            if id < n {
                by_word[id] = v;
                starts_pair[id] = self.starts_pair[l];
                starts_word[id] = self.starts_word[l];
            }
        }
        self.by_pair = std::mem::take(&mut self.by_pair)
            .into_iter()
            .map(|(k, v)| (pair(g((k >> 32) as u32), g(k as u32)), v))
            .collect();
        self.by_word = by_word;
        self.starts_pair = starts_pair;
        self.starts_word = starts_word;
        self.linked = true;
    }

    fn intern(&mut self, w: &str) -> u32 {
        if let Some(&id) = self.vocab.get(w) {
            return id;
        }
        let id = self.words.len() as u32;
        self.vocab.insert(w.to_owned(), id);
        self.words.push(w.to_owned());
        self.by_word.push(Vec::new());
        self.starts_pair.push(false);
        self.starts_word.push(false);
        id
    }

    /// Every prefix of a `word*` pattern element.
    pub fn prefixes(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().flat_map(|p| {
            self.elems[p.start as usize..p.end as usize]
                .iter()
                .filter_map(|e| match e {
                    CElem::Prefix(w) => Some(self.prefix_words[*w as usize].as_str()),
                    _ => None,
                })
        })
    }

    /// Every word (not prefix) key used by the patterns: the vocabulary typos are corrected to.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(String::as_str)
    }

    /// The patterns that may match at word `i`: those of its word whose second word is one
    /// of the words `match_at` can reach next (after soft punctuation and up to
    /// [`MAX_FILLERS`] fillers), and those of its prefixes.
    fn candidates(&self, s: &Stream, ids: &[u32], i: usize, out: &mut Vec<Compiled>) {
        out.clear();
        let id = ids[i];
        if let Some(v) = self.by_word.get(id as usize) {
            out.extend_from_slice(v);
            if self.starts_pair[id as usize] {
                let mut seen = [UNKNOWN; MAX_FILLERS + 1];
                let mut pos = i + 1;
                for slot in 0..=MAX_FILLERS {
                    while pos < s.len() && s.is_soft_punct(pos) {
                        pos += 1;
                    }
                    if pos >= s.len() || !s.is_word(pos) {
                        break;
                    }
                    let next = ids[pos];
                    if next != UNKNOWN
                        && !seen[..slot].contains(&next)
                        && let Some(v) = self.by_pair.get(&pair(id, next))
                    {
                        out.extend_from_slice(v);
                    }
                    seen[slot] = next;
                    if !s.is_filler(pos) {
                        break;
                    }
                    pos += 1;
                }
            }
        }
        self.by_prefix.collect(s.key_bytes(i), out);
    }

    /// Leftmost-longest, non-overlapping matches over the whole stream. When patterns of
    /// several entries match the same longest span, each of those entries gets a `Match`
    /// (a word can be both a direction cue and a mode cue).
    pub fn find(&self, s: &Stream) -> Vec<Match> {
        self.find_in(s, &mut Scratch::default())
    }

    /// [`PatternSet::find`] with the working vectors of an earlier search (one message's sets
    /// share them).
    ///
    /// The vector is one a dropped [`Found`](super::clause::Found) gave back ([`give_back`]),
    /// when the thread has one.
    pub fn find_in(&self, s: &Stream, scratch: &mut Scratch) -> Vec<Match> {
        let mut out = take_matches();
        self.find_into(s, scratch, &mut out);
        out
    }

    /// [`PatternSet::find_in`] into `out` (cleared first), whose room is reused.
    pub fn find_into(&self, s: &Stream, scratch: &mut Scratch, out: &mut Vec<Match>) {
        out.clear();
        let Scratch { ids, cands, ends } = scratch;
        ids.clear();
        if self.linked {
            ids.extend((0..s.len()).map(|i| s.word_id(i)));
        } else {
            ids.extend((0..s.len()).map(|i| {
                if s.is_word(i) {
                    self.vocab.get(s.key(i)).copied().unwrap_or(UNKNOWN)
                } else {
                    UNKNOWN
                }
            }));
        }
        let ids = &ids[..];
        let mut i = 0;
        while i < s.len() {
            if !s.is_word(i) || s.key_is_empty(i) {
                i += 1;
                continue;
            }
            // Most words start no pattern: no candidates to gather.
            let by_word = self.starts_word.get(ids[i] as usize).copied().unwrap_or(false);
            if !by_word && !self.by_prefix.may_start(s.key_bytes(i)) {
                i += 1;
                continue;
            }
            self.candidates(s, ids, i, cands);
            ends.clear();
            for p in cands.iter() {
                let elems = &self.elems[p.start as usize..p.end as usize];
                if let Some(end) = match_at(elems, &self.prefix_words, s, ids, i) {
                    ends.push((end, p.entry));
                }
            }
            let Some(best) = ends.iter().map(|e| e.0).max() else {
                i += 1;
                continue;
            };
            let first = out.len();
            for &(end, entry) in ends.iter() {
                if end == best && !out[first..].iter().any(|m: &Match| m.entry == entry) {
                    out.push(Match { start: i, end, entry });
                }
            }
            out[first..].sort_by_key(|m| m.entry);
            i = best;
        }
    }
}

/// The working vectors of [`PatternSet::find_in`], kept from one set's search to the next.
#[derive(Debug, Default)]
pub struct Scratch {
    ids: Vec<u32>,
    cands: Vec<Compiled>,
    ends: Vec<(usize, usize)>,
}

// The vectors of the thread's last dropped [`Scratch`], for its next one (a cell each: taking
// or giving one back moves a pointer).
thread_local! {
    static SPARE_IDS: Cell<Vec<u32>> = const { Cell::new(Vec::new()) };
    static SPARE_CANDS: Cell<Vec<Compiled>> = const { Cell::new(Vec::new()) };
    static SPARE_ENDS: Cell<Vec<(usize, usize)>> = const { Cell::new(Vec::new()) };
}

impl Scratch {
    /// Room for a stream of `len` tokens, so that no search grows the vectors. The vectors are
    /// those the thread's last scratch left (see the `Drop` impl): no allocation per message.
    pub fn for_stream(len: usize) -> Scratch {
        let mut ids = take_spare(&SPARE_IDS);
        let mut cands = take_spare(&SPARE_CANDS);
        let mut ends = take_spare(&SPARE_ENDS);
        ids.reserve(len);
        cands.reserve(32);
        ends.reserve(8);
        Scratch { ids, cands, ends }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !(fits_spare(&self.ids) && fits_spare(&self.cands) && fits_spare(&self.ends)) {
            return;
        }
        self.ids.clear();
        self.cands.clear();
        self.ends.clear();
        let _ = SPARE_IDS.try_with(|c| c.set(std::mem::take(&mut self.ids)));
        let _ = SPARE_CANDS.try_with(|c| c.set(std::mem::take(&mut self.cands)));
        let _ = SPARE_ENDS.try_with(|c| c.set(std::mem::take(&mut self.ends)));
    }
}

/// Spare match vectors a thread keeps for its next searches (a message's `Found` holds three).
const SPARE_MATCH_SLOTS: usize = 4;

/// A thread's spare match vectors: the first `len` slots hold one each.
struct SpareMatches {
    slots: [Cell<Vec<Match>>; SPARE_MATCH_SLOTS],
    len: Cell<usize>,
}

thread_local! {
    static SPARE_MATCHES: SpareMatches = const {
        SpareMatches {
            slots: [const { Cell::new(Vec::new()) }; SPARE_MATCH_SLOTS],
            len: Cell::new(0),
        }
    };
}

/// A vector for a search's matches: a spare one of the thread, else a new one.
fn take_matches() -> Vec<Match> {
    SPARE_MATCHES
        .try_with(|spare| {
            let n = spare.len.get();
            let last = n.checked_sub(1)?;
            spare.len.set(last);
            Some(spare.slots[last].take())
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| Vec::with_capacity(8))
}

/// Gives a match vector back to the thread for its next searches, emptied, unless it is too
/// large or the thread keeps enough.
pub fn give_back(mut v: Vec<Match>) {
    v.clear();
    if v.capacity() == 0 || !fits_spare(&v) {
        return;
    }
    let _ = SPARE_MATCHES.try_with(|spare| {
        let n = spare.len.get();
        if n < SPARE_MATCH_SLOTS {
            spare.slots[n].set(v);
            spare.len.set(n + 1);
        }
    });
}

/// The key of a pattern's first two words in [`PatternSet::by_pair`].
fn pair(first: u32, second: u32) -> u64 {
    (u64::from(first) << 32) | u64::from(second)
}

fn elem_matches(e: CElem, prefixes: &[String], s: &Stream, ids: &[u32], i: usize) -> bool {
    match e {
        CElem::Word(w) => w == ids[i],
        CElem::Prefix(p) => s.key_bytes(i).starts_with(prefixes[p as usize].as_bytes()),
        CElem::Gap => false,
    }
}

/// Matches `elems` with its first element at word `i`; returns the end (exclusive).
///
/// The first element is not checked: every candidate [`PatternSet::candidates`] gathers at `i`
/// starts with word `i` (by its id) or with a prefix of it (by the trie's walk).
fn match_at(elems: &[CElem], prefixes: &[String], s: &Stream, ids: &[u32], i: usize) -> Option<usize> {
    debug_assert!(elem_matches(elems[0], prefixes, s, ids, i));
    let mut pos = i + 1;
    let mut k = 1;
    while k < elems.len() {
        if matches!(elems[k], CElem::Gap) {
            let target = elems[k + 1];
            let mut skipped = 0;
            let mut found = None;
            let mut j = pos;
            while j < s.len() && skipped <= GAP {
                // A gap stays within a clause: "ordinateur portable, il est lent" is no "ordi
                // .. lent" (a computer to fix).
                if s.is_hard_boundary(j) {
                    break;
                }
                if s.is_word(j) {
                    if elem_matches(target, prefixes, s, ids, j) {
                        found = Some(j);
                        break;
                    }
                    skipped += 1;
                }
                j += 1;
            }
            pos = found? + 1;
            k += 2;
            continue;
        }
        let mut fillers = 0;
        loop {
            // Apostrophes and hyphens sit between words of one phrase.
            while pos < s.len() && s.is_soft_punct(pos) {
                pos += 1;
            }
            if pos >= s.len() || !s.is_word(pos) {
                return None;
            }
            if elem_matches(elems[k], prefixes, s, ids, pos) {
                pos += 1;
                break;
            }
            if s.is_filler(pos) && fillers < MAX_FILLERS {
                fillers += 1;
                pos += 1;
                continue;
            }
            return None;
        }
        k += 1;
    }
    Some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text::Stream;

    fn set(pats: &[&str]) -> PatternSet {
        let mut s = PatternSet::default();
        for (i, p) in pats.iter().enumerate() {
            s.add(p, i).unwrap();
        }
        s
    }

    fn found(pats: &[&str], text: &str) -> Vec<(usize, String)> {
        let s = Stream::plain(text);
        set(pats)
            .find(&s)
            .into_iter()
            .map(|m| (m.entry, s.surface(text, m.start, m.end).to_owned()))
            .collect()
    }

    #[test]
    fn skips_fillers_and_plurals() {
        assert_eq!(
            found(&["garder chat"], "Qui peut garder mes chats ?"),
            [(0, "garder mes chats".to_owned())]
        );
    }

    #[test]
    fn prefixes_and_gaps() {
        assert_eq!(
            found(&["gard* .. chien*"], "garder Biscotte (petite chienne)"),
            [(0, "garder Biscotte (petite chienne".to_owned())]
        );
        assert!(found(&["gard* .. chien*"], "garder. Le chien").is_empty());
    }

    #[test]
    fn longest_match_wins() {
        assert_eq!(
            found(&["taille", "taille haie"], "un taille-haie"),
            [(1, "taille-haie".to_owned())]
        );
    }

    #[test]
    fn rejects_bad_patterns() {
        assert_eq!(parse_pattern(".. x").unwrap_err(), PatternError::BadGap);
        assert_eq!(parse_pattern("x ..").unwrap_err(), PatternError::BadGap);
        assert!(matches!(
            parse_pattern("ab*").unwrap_err(),
            PatternError::ShortPrefix(_)
        ));
        assert_eq!(parse_pattern("  ").unwrap_err(), PatternError::Empty);
    }
}
