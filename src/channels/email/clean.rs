//! Turning an email into what its author said: the quoted message they answer, their
//! signature and the disclaimers mail programs add are removed; HTML becomes text.

/// The longest body kept from one email, in bytes (as a Matrix event's): a longer one is cut,
/// and its stored text says so with [`CUT_NOTE`].
pub const MAX_BODY: usize = 64 * 1024;

/// The most of a part read before cleaning: far more than [`MAX_BODY`], for HTML markup and the
/// quoted lines that cleaning removes, but bounded, so a huge mail costs little.
const MAX_PART: usize = 1 << 20;

/// What ends the stored text of a body that was cut.
pub const CUT_NOTE: &str = "\n[…]";

/// What the author of a mail wrote: its text part, else its HTML part as text, cleaned and cut
/// to [`MAX_BODY`] (at a line or a space when there is one, with [`CUT_NOTE`] after it).
/// Returns the text and whether it was cut. CPU work: run it off the async runtime.
pub fn body(text: Option<String>, html: Option<String>) -> (String, bool) {
    let (part_cut, mut out) = match (text, html) {
        (Some(t), _) => (t.len() > MAX_PART, clean_text(prefix(&t, MAX_PART))),
        (None, Some(h)) => (h.len() > MAX_PART, clean_text(&html_to_text(prefix(&h, MAX_PART)))),
        (None, None) => (false, String::new()),
    };
    let cut = part_cut || out.len() > MAX_BODY;
    if out.len() > MAX_BODY {
        let head = prefix(&out, MAX_BODY);
        let end = head
            .rfind(char::is_whitespace)
            .filter(|&i| i >= MAX_BODY / 2)
            .unwrap_or(head.len());
        out.truncate(end);
    }
    if cut {
        out.push_str(CUT_NOTE);
    }
    (out, cut)
}

/// The first `max` bytes of `s`, or fewer to end on a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Lines that end what the author wrote.
fn ends_the_message(line: &str) -> bool {
    let l = line.trim();
    let lower = l.to_lowercase();
    l == "--"
        || line.trim_end() == "-- "
        || l.starts_with("-----Original Message")
        || l.starts_with("-----Message d'origine")
        || l.starts_with("________________")
        || (lower.starts_with("le ") && (lower.ends_with("a écrit :") || lower.ends_with("a écrit:")))
        || (lower.starts_with("on ") && lower.ends_with("wrote:"))
        || lower.starts_with("envoyé de mon ")
        || lower.starts_with("envoyé depuis ")
        || lower.starts_with("sent from my ")
        || lower.starts_with("garanti sans virus")
        || lower.starts_with("ce message et toutes les pièces jointes")
        || lower.starts_with("this email and any attachments")
}

/// What the author wrote, from the text part.
pub fn clean_text(text: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for line in text.lines() {
        if ends_the_message(line) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(line.trim_end());
    }
    // No more than one blank line in a row, none at the ends.
    let mut out = String::new();
    let mut blank = false;
    for line in kept {
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

/// Text from HTML (for emails without a text part): tags out, blocks as lines, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let Some(end) = rest[i..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[i + 1..i + end].trim_start_matches('/').to_lowercase();
        let name = tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        if matches!(
            name,
            "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "blockquote"
        ) {
            out.push('\n');
        }
        // Whatever is inside <style>, <script> and <head> is not text.
        if matches!(name, "style" | "script" | "head") && !rest[i + 1..].starts_with('/') {
            let close = format!("</{name}");
            match rest[i..].to_lowercase().find(&close) {
                Some(c) => {
                    rest = &rest[i + c..];
                    continue;
                }
                None => {
                    rest = "";
                    break;
                }
            }
        }
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_bodies_are_cut_and_say_so() {
        let (short, cut) = body(Some("Je prête ma tondeuse.".into()), None);
        assert_eq!((short.as_str(), cut), ("Je prête ma tondeuse.", false));
        let long = "é ".repeat(MAX_BODY);
        let (text, cut) = body(Some(long.clone()), None);
        assert!(cut && text.ends_with(CUT_NOTE), "{}", &text[text.len() - 20..]);
        assert!(text.len() <= MAX_BODY + CUT_NOTE.len());
        assert!(long.starts_with(text.trim_end_matches(CUT_NOTE)));
        let html = format!("<p>{}</p>", "lit bébé ".repeat(MAX_PART / 8));
        let (text, cut) = body(None, Some(html));
        assert!(cut && text.starts_with("lit bébé lit") && text.ends_with(CUT_NOTE));
    }

    #[test]
    fn keeps_what_the_author_wrote() {
        let mail = "Bonjour,\n\nJe prête ma tondeuse samedi.\n\n\n\nMarie\n-- \nMarie Dupont\n06 00 00 00 00\n";
        assert_eq!(clean_text(mail), "Bonjour,\n\nJe prête ma tondeuse samedi.\n\nMarie");
        let reply =
            "Oui, je peux !\n\nLe mar. 3 juin 2026 à 10:00, Voisinage <v@x.fr> a écrit :\n> Qqn aurait une échelle ?\n";
        assert_eq!(clean_text(reply), "Oui, je peux !");
        assert_eq!(clean_text("Je donne un lit\n\nEnvoyé de mon iPhone"), "Je donne un lit");
        assert_eq!(clean_text("> cité\nma réponse"), "ma réponse");
    }

    #[test]
    fn html_becomes_text() {
        let html = "<html><head><style>p{color:red}</style></head><body><p>Je donne</p><p>un canap&eacute; &amp; deux chaises<br>Paul</p><script>x()</script></body></html>";
        let t = html_to_text(html);
        assert!(
            t.contains("Je donne") && t.contains("deux chaises") && t.contains("Paul"),
            "{t}"
        );
        assert!(!t.contains("color") && !t.contains("x()"), "{t}");
    }
}
