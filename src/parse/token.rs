//! Tokenizer: splits a message into words, numbers and punctuation, each folded for matching
//! (lower case, accents removed, `œ` → `oe`) and carrying its byte span in the original text.
//!
//! Folding happens once here so that every later stage compares plain ASCII-ish strings; the
//! spans let the parser report exactly which words of the original text decided a post.

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

/// One token with its folded form and byte span in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Folded form: lower case, accents stripped. Empty for punctuation and newlines.
    pub norm: String,
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
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(text.len() / 4 + 1);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_alphabetic() {
            let mut norm = String::with_capacity(12);
            let mut end = i + c.len_utf8();
            push_folded(&mut norm, c);
            while let Some(&(j, d)) = chars.peek() {
                if d.is_alphabetic() || d == '\u{0301}' || d == '\u{0300}' || d == '\u{0302}' {
                    if d.is_alphabetic() {
                        push_folded(&mut norm, d);
                    }
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Token {
                norm,
                class: TokClass::Word,
                start: i,
                end,
            });
        } else if c.is_ascii_digit() {
            let mut norm = String::new();
            norm.push(c);
            let mut end = i + 1;
            while let Some(&(j, d)) = chars.peek() {
                if d.is_ascii_digit() {
                    norm.push(d);
                    end = j + 1;
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Token {
                norm,
                class: TokClass::Number,
                start: i,
                end,
            });
        } else if c == '\n' {
            out.push(Token {
                norm: String::new(),
                class: TokClass::Newline,
                start: i,
                end: i + 1,
            });
        } else if c.is_whitespace() || c.is_control() {
            continue;
        } else {
            let p = if is_apostrophe(c) { '\'' } else { c };
            // Variation selectors and joiners belong to the emoji before them.
            if matches!(c, '\u{fe0f}' | '\u{200d}') {
                continue;
            }
            out.push(Token {
                norm: String::new(),
                class: TokClass::Punct(p),
                start: i,
                end: i + c.len_utf8(),
            });
        }
    }
    out
}

fn push_folded(out: &mut String, c: char) {
    // Most letters are ASCII: no need for the Unicode lower-case tables.
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
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
                    t.norm
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
