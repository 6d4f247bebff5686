//! `voisinage corpus export`: the labelled examples authors gave by answering and correcting
//! (store/corrections.rs), in the corpus format of ../shared/corpus/SCHEMA.md (id, text,
//! sent_at, expect), with what identifies people removed: e-mail addresses, phone numbers,
//! street addresses and the author's own display names become placeholders.

use std::io::Write;

use sqlx::PgPool;

use crate::store::corrections;

/// Replaces e-mail addresses, French phone numbers, street addresses ("12 rue des Lilas",
/// "3 bis avenue …") and the given display names (whole words, any case) by placeholders.
pub fn anonymise(text: &str, names: &[String]) -> String {
    let mut out = emails(text);
    out = phones(&out);
    out = addresses(&out);
    let mut names: Vec<&str> = names
        .iter()
        .map(|n| n.trim())
        .filter(|n| n.chars().count() >= 2)
        .collect();
    // Longest first, so "Jeanne Martin" goes before "Jeanne"; then each word of a full name.
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let words: Vec<&str> = names
        .iter()
        .flat_map(|n| n.split_whitespace())
        .filter(|w| w.chars().count() >= 3)
        .collect();
    for n in names.iter().chain(words.iter()) {
        out = replace_word(&out, n, "[NOM]");
    }
    out
}

/// `find` as a whole word (case-insensitive) replaced by `by`.
fn replace_word(text: &str, find: &str, by: &str) -> String {
    let lower = text.to_lowercase();
    let needle = find.to_lowercase();
    if needle.is_empty() || lower.len() != text.len() {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut last = 0;
    let mut from = 0;
    while let Some(i) = lower[from..].find(&needle).map(|i| i + from) {
        let end = i + needle.len();
        let before = text[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = text[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before && after {
            out.push_str(&text[last..i]);
            out.push_str(by);
            last = end;
        }
        from = end;
    }
    out.push_str(&text[last..]);
    out
}

/// Words with an "@" between a local part and a dotted domain.
fn emails(text: &str) -> String {
    let mut out = Vec::new();
    for token in text.split_inclusive(char::is_whitespace) {
        let word = token.trim_end();
        let core = word.trim_matches(|c: char| !(c.is_alphanumeric() || c == '@' || c == '.' || c == '_'));
        let looks = core
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'));
        if looks {
            out.push(token.replacen(core, "[EMAIL]", 1));
        } else {
            out.push(token.to_owned());
        }
    }
    out.concat()
}

/// French phone numbers: 10 digits starting with 0 ("06 12 34 56 78", "06.12.34.56.78",
/// "0612345678") or +33 and 9 digits ("+33 6 12 34 56 78"), separated by spaces, dots or dashes.
fn phones(text: &str) -> String {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = String::new();
    let mut last = 0;
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let boundary = i == 0 || !chars[i - 1].1.is_alphanumeric();
        if boundary && (c == '0' || c == '+') {
            let (digits, end_i) = digits_run(&chars, i);
            let plus33 = c == '+' && digits.starts_with("33") && digits.len() == 11;
            let national = c == '0' && digits.len() == 10;
            let after = chars.get(end_i).is_none_or(|(_, c)| !c.is_alphanumeric());
            if (plus33 || national) && after {
                out.push_str(&text[last..start]);
                out.push_str("[TEL]");
                last = chars.get(end_i).map_or(text.len(), |(b, _)| *b);
                i = end_i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[last..]);
    out
}

/// The digits from `i` on (after an optional "+"), allowing single separators between them,
/// and the index after the last digit.
fn digits_run(chars: &[(usize, char)], mut i: usize) -> (String, usize) {
    let mut digits = String::new();
    if chars[i].1 == '+' {
        i += 1;
    }
    let mut end = i;
    while i < chars.len() && digits.len() < 12 {
        let c = chars[i].1;
        if c.is_ascii_digit() {
            digits.push(c);
            i += 1;
            end = i;
        } else if matches!(c, ' ' | '.' | '-') && chars.get(i + 1).is_some_and(|(_, n)| n.is_ascii_digit()) {
            i += 1;
        } else {
            break;
        }
    }
    (digits, end)
}

/// "12 rue des Lilas", "3 bis avenue Jean Jaurès", "5, impasse du Port": a number, an
/// optional bis/ter, a street word, then the name (capitalised words and small linking words).
fn addresses(text: &str) -> String {
    const STREETS: &[&str] = &[
        "rue",
        "avenue",
        "av",
        "bd",
        "boulevard",
        "impasse",
        "allée",
        "allee",
        "chemin",
        "place",
        "quai",
        "route",
        "square",
        "cours",
        "passage",
        "résidence",
        "residence",
        "lotissement",
        "sentier",
        "voie",
    ];
    const LINKS: &[&str] = &["de", "du", "des", "la", "le", "les", "d'", "l'", "saint", "sainte"];
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].trim_end_matches(',');
        let number = !w.is_empty() && w.len() <= 4 && w.chars().all(|c| c.is_ascii_digit());
        let mut j = i + 1;
        if number
            && words
                .get(j)
                .is_some_and(|x| matches!(x.to_lowercase().as_str(), "bis" | "ter"))
        {
            j += 1;
        }
        let street = words
            .get(j)
            .is_some_and(|x| STREETS.contains(&x.to_lowercase().trim_end_matches('.')));
        if number && street {
            let mut k = j + 1;
            while let Some(x) = words.get(k) {
                let bare = x.trim_end_matches([',', '.', '!', '?', ';', ':']);
                let lower = bare.to_lowercase();
                let name = bare.chars().next().is_some_and(char::is_uppercase)
                    || LINKS.contains(&lower.as_str())
                    || lower.starts_with("d'")
                    || lower.starts_with("l'");
                if !name || bare.is_empty() {
                    break;
                }
                k += 1;
                if bare.len() != x.len() {
                    break;
                }
            }
            let tail = words[k - 1].len() - words[k - 1].trim_end_matches([',', '.', '!', '?', ';', ':']).len();
            let punct = &words[k - 1][words[k - 1].len() - tail..];
            out.push(format!("[ADRESSE]{punct}"));
            i = k;
            continue;
        }
        out.push(words[i].to_owned());
        i += 1;
    }
    out.join(" ")
}

/// Writes every stored example (the latest per message), anonymised, one JSON line each, to
/// `out`. Returns how many.
pub async fn export(pool: &PgPool, out: &mut dyn Write) -> anyhow::Result<usize> {
    let rows = corrections::latest_per_message(pool).await?;
    for r in &rows {
        let line = serde_json::json!({
            "id": format!("c{}", r.message_id),
            "text": anonymise(&r.text, &r.names),
            "sent_at": r.sent_at,
            "expect": r.expect,
            "source": r.kind,
        });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_emails_phones_addresses_and_names() {
        let names = vec!["Jeanne Martin".to_owned(), "jeannette".to_owned()];
        let t = anonymise(
            "Jeanne Martin prête sa perceuse, écrire à jeanne.martin@exemple.fr ou au 06 12 34 56 78, \
             passer au 12 rue des Lilas. Merci Jeanne ! Jeannette",
            &names,
        );
        assert_eq!(
            t,
            "[NOM] prête sa perceuse, écrire à [EMAIL] ou au [TEL], passer au [ADRESSE]. Merci [NOM] ! [NOM]"
        );
    }

    #[test]
    fn reads_the_french_phone_formats() {
        for p in [
            "0612345678",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "+33 6 12 34 56 78",
            "+33612345678",
        ] {
            assert_eq!(phones(&format!("appelez le {p} svp")), "appelez le [TEL] svp", "{p}");
        }
        // Not phone numbers: prices, years, short numbers, a number inside a word.
        for keep in ["vendu 25 €", "en 2026", "n°0612", "réf A0612345678", "06 12 34"] {
            assert_eq!(phones(keep), keep);
        }
    }

    #[test]
    fn reads_street_addresses_and_keeps_the_rest() {
        assert_eq!(addresses("au 3 bis avenue Jean Jaurès demain"), "au [ADRESSE] demain");
        assert_eq!(addresses("5 impasse du Port, à côté"), "[ADRESSE], à côté");
        assert_eq!(addresses("j'ai 2 vélos"), "j'ai 2 vélos");
        assert_eq!(emails("moi@x"), "moi@x");
    }

    #[test]
    fn names_are_whole_words_only() {
        let names = vec!["Léa".to_owned()];
        assert_eq!(
            anonymise("Léa a un lépreux Léandre", &names),
            "[NOM] a un lépreux Léandre"
        );
    }
}
