//! Turning an email into what its author said: the quoted message they answer, their
//! signature and the disclaimers mail programs add are removed; HTML becomes text.

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
