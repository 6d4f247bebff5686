//! Tokenizer: splits a message into words, numbers and punctuation, each folded for matching
//! (lower case, accents removed, `œ` → `oe`) and carrying its byte span in the original text.
//!
//! Folding happens once here so that every later stage compares plain ASCII-ish strings; the
//! spans let the parser report exactly which words of the original text decided a post.

use std::rc::Rc;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokClass {
    /// Letters (after folding), e.g. `echelle`, `qqn`, `j`.
    Word,
    /// ASCII digits only, e.g. `14`; `1er` gives a number `1` then a word `er`.
    Number,
    /// One punctuation or symbol character, e.g. `.`, `?`, `€`, `-`, `'`, `(`.
    Punct(char),
    /// A line break: a strong boundary (emails, lists).
    Newline,
}

/// A token's folded form. The words of one message share one buffer (no allocation per
/// word: the tokenizer runs on every message); words made later (SMS rewrites) own theirs.
#[derive(Clone, Default)]
pub struct Norm(Repr);

#[derive(Clone, Default)]
enum Repr {
    #[default]
    Empty,
    /// Bytes `a..b` of the message's folded text.
    Shared(Rc<String>, u32, u32),
    Owned(Box<str>),
    /// Bytes `a..b` of the buffer being filled (inside [`tokenize`] only).
    Pending(u32, u32),
}

impl Norm {
    /// The length in bytes, without slicing the shared buffer.
    #[inline]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Empty | Repr::Pending(..) => 0,
            Repr::Shared(_, a, b) => (*b - *a) as usize,
            Repr::Owned(s) => s.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Empty | Repr::Pending(..) => "",
            Repr::Shared(buf, a, b) => &buf[*a as usize..*b as usize],
            Repr::Owned(s) => s,
        }
    }
}

impl std::ops::Deref for Norm {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Norm {
    fn from(s: &str) -> Self {
        Norm(Repr::Owned(s.into()))
    }
}

impl PartialEq for Norm {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Norm {}

impl PartialEq<str> for Norm {
    #[inline]
    fn eq(&self, other: &str) -> bool {
        // Most comparisons fail on the length, before the buffer is sliced.
        self.len() == other.len() && self.as_str() == other
    }
}

impl PartialEq<&str> for Norm {
    #[inline]
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl std::fmt::Debug for Norm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Norm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One token with its folded form and byte span in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Folded form: lower case, accents stripped. Empty for punctuation and newlines.
    pub norm: Norm,
    pub class: TokClass,
    /// Byte offsets in the original text: `text[start..end]`.
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn is_word(&self) -> bool {
        self.class == TokClass::Word
    }
    pub fn is_punct(&self, c: char) -> bool {
        self.class == TokClass::Punct(c)
    }
}

/// Folds one lower-case character to its unaccented form; returns up to two characters.
fn fold_char(c: char) -> (char, Option<char>) {
    let f = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'œ' => return ('o', Some('e')),
        'æ' => return ('a', Some('e')),
        'ß' => return ('s', Some('s')),
        other => other,
    };
    (f, None)
}

/// Folds a whole string (lower case, accents removed). Used for lexicon entries too, so that
/// both sides of every comparison went through the same function.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        for l in c.to_lowercase() {
            let (a, b) = fold_char(l);
            out.push(a);
            if let Some(b) = b {
                out.push(b);
            }
        }
    }
    out
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | 'ʼ' | '`' | '´')
}

/// Splits `text` into tokens. Linear in the length of the text.
///
/// Reads bytes, decoding a character only where a byte is not ASCII: most text is.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    tokenize_into(text, &mut out, None);
    out
}

/// [`tokenize`] into `out` (cleared first), with `spare` (cleared too, when no token holds it
/// any more) as the words' shared buffer: a caller that keeps both from one message to the
/// next allocates nothing. Returns the shared buffer (also held by the tokens).
pub fn tokenize_into(text: &str, out: &mut Vec<Token>, spare: Option<Rc<String>>) -> Rc<String> {
    // The folded words go one after the other into one buffer, shared by the tokens once the
    // whole text is read (until then each word holds only its range).
    let bytes = text.as_bytes();
    out.clear();
    out.reserve(text.len() / 4 + 1);
    let mut buf = spare
        .filter(|b| Rc::strong_count(b) == 1 && Rc::weak_count(b) == 0)
        .unwrap_or_default();
    let Some(folded) = Rc::get_mut(&mut buf) else {
        unreachable!("a buffer no one else holds")
    };
    folded.clear();
    folded.reserve(text.len() + 8);
    let mut i = 0;
    while i < bytes.len() {
        let c = char_at(text, i);
        if is_letter(c) {
            let a = folded.len() as u32;
            let start = i;
            push_folded(folded, c);
            i += c.len_utf8();
            while i < bytes.len() {
                let b = bytes[i];
                if b.is_ascii() {
                    if !b.is_ascii_alphabetic() {
                        break;
                    }
                    folded.push(char::from(b.to_ascii_lowercase()));
                    i += 1;
                    continue;
                }
                let d = char_at(text, i);
                if is_letter(d) {
                    push_folded(folded, d);
                } else if !matches!(d, '\u{0301}' | '\u{0300}' | '\u{0302}') {
                    break;
                }
                i += d.len_utf8();
            }
            out.push(Token {
                norm: Norm(Repr::Pending(a, folded.len() as u32)),
                class: TokClass::Word,
                start,
                end: i,
            });
        } else if c.is_ascii_digit() {
            let a = folded.len() as u32;
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                folded.push(char::from(bytes[i]));
                i += 1;
            }
            out.push(Token {
                norm: Norm(Repr::Pending(a, folded.len() as u32)),
                class: TokClass::Number,
                start,
                end: i,
            });
        } else {
            let len = c.len_utf8();
            if c == '\n' {
                out.push(Token {
                    norm: Norm::default(),
                    class: TokClass::Newline,
                    start: i,
                    end: i + 1,
                });
            } else if c.is_whitespace() || c.is_control() {
                // Nothing.
            } else if matches!(c, '\u{fe0f}' | '\u{200d}') {
                // Variation selectors and joiners belong to the emoji before them.
            } else {
                let p = if is_apostrophe(c) { '\'' } else { c };
                out.push(Token {
                    norm: Norm::default(),
                    class: TokClass::Punct(p),
                    start: i,
                    end: i + len,
                });
            }
            i += len;
        }
    }
    for t in out.iter_mut() {
        if let Repr::Pending(a, b) = t.norm.0 {
            t.norm.0 = Repr::Shared(Rc::clone(&buf), a, b);
        }
    }
    buf
}

/// The character starting at byte `i` (a character boundary) of `text`.
fn char_at(text: &str, i: usize) -> char {
    let b = text.as_bytes()[i];
    if b.is_ascii() {
        return char::from(b);
    }
    text[i..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// `c.is_alphabetic()`, answered without the Unicode tables for ASCII and the accented
/// letters of Latin-1 (é, à, ç...: most of what a French message holds beyond ASCII).
fn is_letter(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' => true,
        '\0'..='\x7f' => false,
        '\u{c0}'..='\u{ff}' => c != '\u{d7}' && c != '\u{f7}',
        _ => c.is_alphabetic(),
    }
}

#[inline]
fn push_folded(out: &mut String, c: char) {
    // Most letters are ASCII: no need for the Unicode lower-case tables.
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else {
        push_folded_unicode(out, c);
    }
}

fn push_folded_unicode(out: &mut String, c: char) {
    for l in c.to_lowercase() {
        let (a, b) = fold_char(l);
        out.push(a);
        if let Some(b) = b {
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norms(s: &str) -> Vec<String> {
        tokenize(s)
            .into_iter()
            .map(|t| {
                if t.norm.is_empty() {
                    format!("{:?}", t.class)
                } else {
                    t.norm.to_string()
                }
            })
            .collect()
    }

    #[test]
    fn folds_accents_and_splits_apostrophes() {
        assert_eq!(norms("J’ai une Échelle"), ["j", "Punct('\\'')", "ai", "une", "echelle"]);
        assert_eq!(norms("œufs"), ["oeufs"]);
    }

    #[test]
    fn is_letter_is_is_alphabetic() {
        for c in ('\0'..='\u{3000}').chain(['œ', 'Œ', '€', '🙂', '\u{1F000}']) {
            assert_eq!(is_letter(c), c.is_alphabetic(), "{c:?}");
        }
    }

    #[test]
    fn splits_numbers_from_letters() {
        assert_eq!(norms("1er 14h"), ["1", "er", "14", "h"]);
    }

    #[test]
    fn spans_point_into_the_original() {
        let text = "Prête: ma scie 🙂";
        for t in tokenize(text) {
            assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
        }
        let toks = tokenize(text);
        assert_eq!(&text[toks[0].start..toks[0].end], "Prête");
    }
}
