//! The bot's words. Everything voisinage says is in bot-scripts/{fr,en}/voisinage.ftl (Fluent),
//! which the community team edits without touching Rust. Both files are embedded in the binary
//! and checked when loaded: a syntax error names the file and the line, a message present in
//! one language only names both files, and every id the code asks for ([`IDS`]) must exist.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentError, FluentResource, FluentValue};
use unic_langid::{LanguageIdentifier, langid};

mod dates;
pub use dates::format_dates;

const EMBEDDED_FR: &str = include_str!("../bot-scripts/fr/voisinage.ftl");
const EMBEDDED_EN: &str = include_str!("../bot-scripts/en/voisinage.ftl");

/// Every message id the Rust code uses; each must exist in both languages.
pub const IDS: &[&str] = &[
    "email-notice-subject",
    "digest-subject",
    "digest-intro",
    "digest-offers-heading",
    "digest-requests-heading",
    "digest-unanswered-heading",
    "digest-coming-heading",
    "digest-reply-text",
    "digest-more",
    "digest-figures",
    "digest-partner-heading",
    "digest-partner-line",
    "digest-partner-paid",
    "digest-room-summary",
    "digest-label",
    "post-expiry-reminder",
    "post-expired",
    "kept-ok",
    "keep-usage",
    "help",
    "welcome",
    "ask-postcode",
    "postcode-unknown",
    "postcode-several",
    "area-unknown",
    "onboarding-welcome",
    "share-location-button",
    "location-outside",
    "area-links",
    "direct-hint",
    "bot-joined",
    "link-ok",
    "link-refused",
    "link-usage",
    "link-unknown-area",
    "link-in-group-only",
    "unlink-ok",
    "unlink-not-linked",
    "closed-reply-none",
    "matrix-room-name",
    "matrix-room-topic",
    "rhythm-each",
    "rhythm-daily",
    "rhythm-weekly",
    "email-usage",
    "email-confirm-subject",
    "email-confirm-body",
    "email-confirm-sent",
    "email-relay-subject",
    "email-footer",
    "email-unsubscribe",
    "email-unsubscribe-text",
    "failure-notice",
    "failure-notice-subject",
    "email-confirm-sent-public",
    "email-confirm-already-public",
    "web-confirm-title",
    "web-confirm-text",
    "web-confirm-button",
    "web-confirmed",
    "web-unsubscribe-title",
    "web-unsubscribe-text",
    "web-unsubscribe-button",
    "web-unsubscribed",
    "web-bad-link",
    "email-not-subscribed",
    "email-reply-line",
    "email-reply-button",
    "email-which-area",
    "post-recorded",
    "relay-line",
    "match-for-requester",
    "match-for-offerer",
    "posts-header",
    "posts-line",
    "posts-none",
    "search-header",
    "search-none",
    "search-usage",
    "my-posts-header",
    "my-posts-none",
    "closed-ok",
    "closed-not-found",
    "closed-not-yours",
    "closed-already",
    "closed-usage",
    "unknown-command",
    "unknown-category",
    "direction-offer",
    "direction-request",
    "channel-console",
    "channel-telegram",
    "channel-matrix",
    "channel-email",
    "category-bricolage",
    "category-jardinage",
    "category-cuisine",
    "category-maison",
    "category-mobilite",
    "category-enfants",
    "category-loisirs",
    "category-high_tech",
    "category-vetements",
    "category-animaux",
    "category-alimentation",
    "category-education",
    "category-sante",
    "category-entraide",
    "category-autre",
    "error-internal",
    "partner-suggestion",
    "partner-suggestion-subject",
    "web-partner-link-title",
    "web-partner-link-bad",
    "email-loan-subject",
    "loan-borrow-usage",
    "loan-lend-usage",
    "loan-offer-not-found",
    "loan-own-offer",
    "loan-not-your-offer",
    "loan-already-yours",
    "loan-waiting",
    "loan-waiting-lent",
    "loan-offer-busy",
    "loan-offer-taken",
    "loan-lend-who",
    "loan-proposed-to-lender",
    "loan-proposed-to-borrower",
    "loan-proposal-sent",
    "loan-which",
    "loan-none",
    "loan-active",
    "loan-declined",
    "loan-declined-ok",
    "loan-cancelled",
    "loan-cancelled-ok",
    "loan-return-claimed",
    "loan-return-claimed-ok",
    "loan-returned-borrower",
    "loan-returned-lender",
    "loan-free-waiter",
    "loan-free-lender",
    "loan-extension-asked",
    "loan-extension-asked-ok",
    "loan-extended",
    "loan-thanks-already",
    "loan-thanked",
    "loan-thanks-ok",
    "loans-none",
    "loans-header",
    "loans-line",
    "loan-button-accept",
    "loan-button-decline",
    "posts-line-lent",
    "loan-reminder-before",
    "loan-reminder-due",
    "loan-reminder-overdue",
    "loan-email-links",
    "loan-link-accept",
    "loan-link-decline",
    "web-loan-title",
    "loan-email-returned-link",
    "loan-link-returned",
    "loan-button-returned",
    "loan-overdue-lender",
    "loan-due-question",
    "loan-due-set",
    "loan-due-unread",
    "loan-due-closed",
    "loan-button-borrow",
    "loan-button-lend",
    "loan-button-not-yours",
    "loan-email-borrow-link",
    "loan-email-lend-link",
    "loan-link-borrow",
    "loan-link-lend",
    "loan-link-lend-button",
];

/// A language the bot speaks. French is the default and the fallback. In payloads and in the
/// database it is its code ("fr", "en").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// The language code: "fr" or "en".
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The first language of an Accept-Language header this crate speaks (French otherwise).
    pub fn accepted(header: &str) -> Lang {
        header
            .split(',')
            .find_map(|tag| Lang::parse(tag.split(';').next().unwrap_or("")))
            .unwrap_or_default()
    }

    /// Reads a language code or a language tag ("fr", "en-GB", "EN") and the words people
    /// use ("français", "anglais", "english"); None for a language the bot does not speak.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_lowercase();
        let primary = s.split(['-', '_']).next().unwrap_or("");
        match primary {
            "fr" | "fra" | "fre" | "francais" | "français" | "french" => Some(Lang::Fr),
            "en" | "eng" | "anglais" | "english" => Some(Lang::En),
            _ => None,
        }
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::Fr => langid!("fr"),
            Lang::En => langid!("en"),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A language tag that is neither French nor English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{0}` (expected fr or en)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    /// "fr", "FR", "fr-FR", "fr_CA", "en", "en-GB"...: only the primary subtag counts.
    fn from_str(s: &str) -> Result<Lang, UnknownLang> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "fr" => Ok(Lang::Fr),
            "en" => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_string())),
        }
    }
}

/// A message file that cannot be used, with the place and the reason.
#[derive(Debug, thiserror::Error)]
pub enum TextsError {
    #[error("{file}: cannot read: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("{file}:{line}: {problem}, in `{text}`{}{}", entry(*.line, *.entry_line), more(*.others))]
    Syntax {
        file: String,
        /// Where the parser noticed the problem.
        line: usize,
        problem: String,
        /// The line as written (shortened).
        text: String,
        /// The first line of the message that holds the problem (often the culprit when an
        /// opening brace is not closed).
        entry_line: usize,
        /// Further syntax errors in the same file.
        others: usize,
    },
    #[error("{file}:{line}: `{id}` is defined twice")]
    Duplicate { file: String, line: usize, id: String },
    #[error("{} {} in {present_in} but missing from {missing_from}", plural(ids.len()), quoted(ids))]
    Missing {
        ids: Vec<String>,
        present_in: String,
        missing_from: String,
    },
    #[error("{} {} used by the program but missing from {fr_file} and {en_file}", plural(ids.len()), quoted(ids))]
    Required {
        ids: Vec<String>,
        fr_file: String,
        en_file: String,
    },
}

fn entry(line: usize, entry_line: usize) -> String {
    if entry_line < line {
        format!(" (in the message starting at line {entry_line})")
    } else {
        String::new()
    }
}

fn more(others: usize) -> String {
    match others {
        0 => String::new(),
        1 => " (and 1 more error)".to_string(),
        n => format!(" (and {n} more errors)"),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "message" } else { "messages" }
}

fn quoted(ids: &[String]) -> String {
    ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
}

/// A named argument of a message: text or a number (numbers drive [one]/[other] plurals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Str(String),
    Num(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Str(s.to_string())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Str(s)
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Str(s.clone())
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Num(n)
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// One language's messages.
struct Catalog {
    bundle: FluentBundle<FluentResource>,
    /// Sorted message ids.
    ids: Vec<String>,
    file: String,
}

/// The bot's messages in French and English.
pub struct Texts {
    fr: Catalog,
    en: Catalog,
}

impl fmt::Debug for Texts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Texts")
            .field("fr", &format_args!("{} ({} messages)", self.fr.file, self.fr.ids.len()))
            .field("en", &format_args!("{} ({} messages)", self.en.file, self.en.ids.len()))
            .finish()
    }
}

impl Texts {
    /// The texts built into the binary. They are checked by the tests, so this cannot fail in a
    /// released build.
    pub fn embedded() -> &'static Texts {
        static TEXTS: OnceLock<Texts> = OnceLock::new();
        TEXTS.get_or_init(|| {
            Texts::build(
                ("bot-scripts/fr/voisinage.ftl", EMBEDDED_FR),
                ("bot-scripts/en/voisinage.ftl", EMBEDDED_EN),
                true,
            )
            .expect("the embedded bot-scripts/*/voisinage.ftl are valid (cargo test checks them)")
        })
    }

    /// Loads `dir/fr/voisinage.ftl` and `dir/en/voisinage.ftl` (an edited copy of bot-scripts/).
    pub fn load(dir: &Path) -> Result<Texts, TextsError> {
        let read = |lang: Lang| {
            let path = dir.join(lang.as_str()).join("voisinage.ftl");
            let file = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(source) => Ok((file, source)),
                Err(source) => Err(TextsError::Read { file, source }),
            }
        };
        let (fr_file, fr) = read(Lang::Fr)?;
        let (en_file, en) = read(Lang::En)?;
        Texts::build((&fr_file, &fr), (&en_file, &en), true)
    }

    /// Builds the texts from the contents of the two files (named fr/voisinage.ftl and
    /// en/voisinage.ftl in errors).
    pub fn from_sources(fr: &str, en: &str) -> Result<Texts, TextsError> {
        Texts::build(("fr/voisinage.ftl", fr), ("en/voisinage.ftl", en), true)
    }

    /// Like [`Texts::from_sources`] but without the cross-language and [`IDS`] checks (syntax
    /// errors still fail): for tests of the fallbacks.
    #[cfg(test)]
    pub(crate) fn from_sources_unchecked(fr: &str, en: &str) -> Result<Texts, TextsError> {
        Texts::build(("fr/voisinage.ftl", fr), ("en/voisinage.ftl", en), false)
    }

    fn build(fr: (&str, &str), en: (&str, &str), check: bool) -> Result<Texts, TextsError> {
        let texts = Texts {
            fr: Catalog::parse(Lang::Fr, fr.0, fr.1)?,
            en: Catalog::parse(Lang::En, en.0, en.1)?,
        };
        if check {
            texts.check()?;
        }
        Ok(texts)
    }

    fn check(&self) -> Result<(), TextsError> {
        for (a, b) in [(&self.fr, &self.en), (&self.en, &self.fr)] {
            let missing: Vec<String> = a
                .ids
                .iter()
                .filter(|id| b.ids.binary_search(id).is_err())
                .cloned()
                .collect();
            if !missing.is_empty() {
                return Err(TextsError::Missing {
                    ids: missing,
                    present_in: a.file.clone(),
                    missing_from: b.file.clone(),
                });
            }
        }
        // Both languages have the same ids here, so French alone tells.
        let required: Vec<String> = IDS
            .iter()
            .filter(|id| self.fr.ids.binary_search_by(|x| x.as_str().cmp(id)).is_err())
            .map(|id| id.to_string())
            .collect();
        if !required.is_empty() {
            return Err(TextsError::Required {
                ids: required,
                fr_file: self.fr.file.clone(),
                en_file: self.en.file.clone(),
            });
        }
        Ok(())
    }

    fn catalog(&self, lang: Lang) -> &Catalog {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }

    /// The message `id` in `lang` with named arguments; falls back to French, then to the id
    /// itself (and logs nothing: pure).
    pub fn get(&self, lang: Lang, id: &str, args: &[(&str, Arg)]) -> String {
        let args = fluent_args(args);
        self.catalog(lang)
            .format(id, &args)
            .or_else(|| self.fr.format(id, &args))
            .map(|(text, _errors)| text)
            .unwrap_or_else(|| id.to_string())
    }

    /// The message as HTML: the text of the template and the arguments are escaped, and the
    /// arguments named in `bold` are set in bold. Only the arguments named in `free` (free
    /// text such as a name or a message) are placed this way; the others (numbers, selectors
    /// like `direction`) are formatted as usual and escaped with the template.
    pub fn get_html(&self, lang: Lang, id: &str, args: &[(&str, Arg)], free: &[&str], bold: &[&str]) -> String {
        // Private-use sentinels stand in for the free arguments while the template is escaped.
        let mut placed: Vec<(&str, Arg)> = Vec::with_capacity(args.len());
        let mut values = Vec::new();
        for (name, value) in args {
            match value {
                Arg::Str(v) if free.contains(name) => {
                    placed.push((name, Arg::Str(format!("\u{E000}{}\u{E001}", values.len()))));
                    values.push((*name, v.as_str()));
                }
                other => placed.push((name, other.clone())),
            }
        }
        let rendered = escape_html(&self.get(lang, id, &placed));
        let mut out = String::with_capacity(rendered.len() + 16);
        let mut rest = rendered.as_str();
        while let Some(start) = rest.find('\u{E000}') {
            out.push_str(&rest[..start]);
            let after = &rest[start + '\u{E000}'.len_utf8()..];
            let Some(end) = after.find('\u{E001}') else {
                rest = after;
                continue;
            };
            if let Some((name, value)) = after[..end].parse::<usize>().ok().and_then(|i| values.get(i)) {
                if bold.contains(name) {
                    out.push_str("<b>");
                    out.push_str(&escape_html(value));
                    out.push_str("</b>");
                } else {
                    out.push_str(&escape_html(value));
                }
            }
            rest = &after[end + '\u{E001}'.len_utf8()..];
        }
        out.push_str(rest);
        out
    }

    /// The message ids of `lang`, sorted.
    pub fn ids(&self, lang: Lang) -> Vec<String> {
        self.catalog(lang).ids.clone()
    }
}

/// Escapes text for HTML (and Telegram's HTML subset): `&`, `<`, `>` and `"`. Private-use
/// sentinels are not touched.
/// `html` (from `get_html`) with the link `url` shown as `words`: older readers see "Confirmer
/// mon inscription", not a 150-character address (the plain-text part keeps the address).
pub fn link_words(html: &str, url: &str, words: &str) -> String {
    let url = escape_html(url);
    html.replacen(&url, &format!("<a href=\"{url}\">{}</a>", escape_html(words)), 1)
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn fluent_args<'a>(args: &'a [(&'a str, Arg)]) -> FluentArgs<'a> {
    let mut out = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        match value {
            Arg::Str(s) => out.set(*name, FluentValue::from(s.as_str())),
            Arg::Num(n) => out.set(*name, FluentValue::from(*n)),
        }
    }
    out
}

impl Catalog {
    fn parse(lang: Lang, file: &str, source: &str) -> Result<Catalog, TextsError> {
        let resource = FluentResource::try_new(source.to_string()).map_err(|(_, errors)| {
            let first = &errors[0];
            let line = line_of(source, first.pos.start);
            let entry_start = first.slice.as_ref().map_or(first.pos.start, |slice| {
                // The junk slice may begin with the blank lines after the previous message.
                let rest = source.get(slice.start..).unwrap_or_default();
                slice.start + (rest.len() - rest.trim_start().len())
            });
            TextsError::Syntax {
                file: file.to_string(),
                line,
                problem: first.kind.to_string(),
                text: line_text(source, line),
                entry_line: line_of(source, entry_start).min(line),
                others: errors.len() - 1,
            }
        })?;
        // Message definitions start at column 0 with their id; Fluent's own AST is not reachable
        // without depending on fluent-syntax, and a junk-free file leaves no ambiguity.
        let definitions = definitions(source);
        let mut bundle = FluentBundle::new_concurrent(vec![lang.langid()]);
        bundle.set_use_isolating(false);
        bundle
            .add_builtins()
            .expect("NUMBER is registered once on a fresh bundle");
        if let Err(errors) = bundle.add_resource(resource) {
            let id = match errors.first() {
                Some(FluentError::Overriding { id, .. }) => id.clone(),
                _ => String::new(),
            };
            let line = definitions
                .iter()
                .filter(|(name, _)| name.trim_start_matches('-') == id)
                .nth(1)
                .map_or(0, |(_, line)| *line);
            return Err(TextsError::Duplicate {
                file: file.to_string(),
                line,
                id,
            });
        }
        let ids: BTreeSet<String> = definitions
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| !name.starts_with('-') && bundle.has_message(name))
            .collect();
        Ok(Catalog {
            bundle,
            ids: ids.into_iter().collect(),
            file: file.to_string(),
        })
    }

    /// The formatted message, with the resolver's complaints (a missing argument...), or None
    /// when the message or its value does not exist.
    fn format(&self, id: &str, args: &FluentArgs) -> Option<(String, Vec<FluentError>)> {
        let pattern = self.bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text = self
            .bundle
            .format_pattern(pattern, Some(args), &mut errors)
            .into_owned();
        Some((text, errors))
    }
}

/// The ids (terms with their leading `-`) defined in `source`, with their 1-based line.
fn definitions(source: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let body = line.strip_prefix('-').unwrap_or(line);
        if !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let end = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(body.len());
        if body[end..].trim_start_matches(' ').starts_with('=') {
            let name = &line[..line.len() - body.len() + end];
            out.push((name.to_string(), i + 1));
        }
    }
    out
}

/// The 1-based line of a byte offset.
fn line_of(source: &str, offset: usize) -> usize {
    let offset = offset.min(source.len());
    source.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count() + 1
}

fn line_text(source: &str, line: usize) -> String {
    let text = source.lines().nth(line - 1).unwrap_or_default().trim();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Representative arguments for each id of [`IDS`], as the code passes them.
    fn sample_args(id: &str) -> Vec<(&'static str, Arg)> {
        let s = |k: &'static str, v: &str| (k, Arg::from(v));
        let n = |k: &'static str, v: i64| (k, Arg::from(v));
        match id {
            "welcome" => vec![s("area", "Croix-Rousse")],
            "digest-subject" => vec![s("period", "week"), s("area", "Dinard"), s("date", "28 novembre")],
            "digest-intro" => vec![
                s("period", "day"),
                s("area", "Dinard"),
                s("dates", "du 21 au 28 novembre"),
            ],
            "digest-reply-text" => vec![s("address", "voisinage+r12.ab@example.org")],
            "digest-more" => vec![n("count", 4)],
            "digest-label" => vec![s("label", "Bricolage")],
            "digest-figures" => vec![
                n("members", 1),
                n("offers", 5),
                n("requests", 3),
                n("matches", 2),
                n("loans", 2),
                n("returned", 1),
            ],
            "posts-line-lent" => vec![s("date", "20 juin")],
            // Every loan text gets the loan's arguments and those of any loan text.
            id if id.starts_with("loan") => vec![
                n("loan", 3),
                n("offer", 12),
                s("item", "perceuse"),
                s("lender", "Paul"),
                s("borrower", "Jeanne"),
                s("date", "20 juin"),
                n("place", 2),
                s("other", "Paul"),
                s("loans", "n°3 (perceuse), n°5 (échelle)"),
                s("waiter", "Marc"),
                n("days", 7),
                n("count", 2),
                n("thanks", 1),
                n("late", 3),
                s("role", "lender"),
                s("state", "active"),
                s("names", "@Jeanne, @Marc"),
                s("accept", "https://v.example/email/loan?t=la3.ab"),
                s("decline", "https://v.example/email/loan?t=ld3.ab"),
                s("link", "https://v.example/email/loan?t=lr3.ab"),
                s("name", "Jeanne"),
            ],
            "digest-partner-line" => vec![
                s("item", "scie"),
                s("name", "Outilthèque"),
                s("description", "des outils à emprunter"),
            ],
            "digest-room-summary" => vec![
                s("period", "week"),
                s("area", "Dinard"),
                n("offers", 5),
                n("requests", 3),
                n("matches", 2),
                s("items", "perceuse, échelle"),
                s("command", "/annonces"),
            ],
            "post-expiry-reminder" => vec![
                n("number", 12),
                s("item", "perceuse"),
                s("date", "28 novembre"),
                n("days", 30),
            ],
            "post-expired" => vec![n("number", 12), s("item", "perceuse"), n("days", 30)],
            "kept-ok" => vec![n("number", 12), s("item", "perceuse"), s("date", "28 décembre")],
            "postcode-unknown" => vec![s("code", "99999")],
            "postcode-several" => vec![
                s("code", "69004"),
                s("areas", "Croix-Rousse (croix-rousse), Plateau (plateau)"),
            ],
            "area-unknown" => vec![s("slug", "croix-rouse")],
            "post-recorded" => vec![
                s("direction", "offer"),
                s("item", "perceuse"),
                s("category", "bricolage"),
                s("when", "13 juin"),
                s("has_when", "yes"),
                n("number", 12),
            ],
            "relay-line" => vec![s("name", "Marie"), s("channel", "Telegram"), s("text", "Bonjour !")],
            "match-for-requester" | "match-for-offerer" => vec![
                s("item", "échelle"),
                s("name", "Paul"),
                s("channel", "Matrix"),
                n("number", 7),
                n("offer", 7),
            ],
            "posts-header" => vec![n("count", 3), s("category", ""), s("has_category", "no")],
            "posts-line" => vec![
                n("number", 12),
                s("direction", "request"),
                s("item", "échelle"),
                s("category", "bricolage"),
                s("author", "Paul"),
                s("when", ""),
                s("has_when", "no"),
            ],
            "posts-none" => vec![s("has_category", "yes"), s("category", "jardinage")],
            "search-header" => vec![s("query", "vélo"), n("count", 2)],
            "search-none" => vec![s("query", "trampoline")],
            "my-posts-header" => vec![n("count", 1)],
            "closed-ok" => vec![n("number", 12), s("item", "perceuse")],
            "closed-not-found" | "closed-not-yours" | "closed-already" => vec![n("number", 12)],
            "unknown-command" => vec![s("command", "/bonjour")],
            "area-links" => vec![
                s("area", "Saint-Servan"),
                s("has_telegram", "yes"),
                s("telegram", "https://t.me/+abc"),
                s("has_matrix", "no"),
                s("matrix", ""),
            ],
            "direct-hint" | "link-ok" | "unlink-ok" => vec![s("area", "Saint-Servan")],
            "bot-joined" => vec![s("example", "saint-servan")],
            "matrix-room-name" | "matrix-room-topic" => vec![s("area", "Saint-Servan")],
            "email-confirm-subject" | "web-unsubscribed" => vec![s("area", "Saint-Servan"), s("address", "a@b.fr")],
            "email-confirm-body" => vec![
                s("area", "Saint-Servan"),
                s("rhythm", "chaque semaine"),
                s("link", "https://v.example/email/confirm?t=x"),
            ],
            "email-confirm-sent" | "email-confirm-sent-public" | "web-confirm-text" | "web-confirmed" => vec![
                s("address", "a@b.fr"),
                s("area", "Saint-Servan"),
                s("rhythm", "chaque semaine"),
            ],
            "email-relay-subject" => vec![s("name", "Jeanne"), s("area", "Saint-Servan")],
            "email-footer" => vec![s("area", "Saint-Servan")],
            "email-confirm-already-public" => vec![s("time", "18:30")],
            "failure-notice" => vec![
                s("excerpt", "Je prête ma perceuse"),
                s("to", "person"),
                s("name", "Marie"),
                s("cause", "refused"),
                s("room", "no"),
            ],
            "web-unsubscribe-text" | "email-reply-line" => vec![s("address", "a@b.fr")],
            "email-which-area" => vec![s("areas", "saint-servan, parame")],
            "link-usage" => vec![s("example", "saint-servan"), s("areas", "saint-servan (Saint-Servan)")],
            "link-unknown-area" => vec![s("slug", "nulle-part"), s("areas", "saint-servan (Saint-Servan)")],
            "unknown-category" => vec![s("category", "musique"), s("categories", "bricolage, jardinage")],
            "partner-suggestion" => vec![
                s("item", "perceuse"),
                s("partner", "Outilthèque"),
                s("description", "des outils à emprunter"),
                s("link", "https://v.example/p/outils/x"),
                s("paid", "yes"),
            ],
            "partner-suggestion-subject" => vec![s("item", "perceuse")],
            _ => vec![],
        }
    }

    fn render(texts: &Texts, lang: Lang, id: &str, args: &[(&str, Arg)]) -> String {
        let (text, errors) = texts.catalog(lang).format(id, &fluent_args(args)).expect(id);
        assert!(errors.is_empty(), "{lang} {id}: {errors:?}");
        for bad in ["{", "}", "???", "\u{2068}", "\u{2069}"] {
            assert!(!text.contains(bad), "{lang} {id}: `{bad}` in {text:?}");
        }
        assert!(!text.trim().is_empty(), "{lang} {id} is empty");
        text
    }

    #[test]
    fn embedded_texts_load_and_have_every_id_in_both_languages() {
        let texts = Texts::embedded();
        assert_eq!(texts.ids(Lang::Fr), texts.ids(Lang::En));
        for id in IDS {
            for lang in Lang::ALL {
                assert!(texts.ids(lang).iter().any(|x| x == id), "{id} missing in {lang}");
            }
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bot-scripts");
        assert_eq!(Texts::load(&dir).unwrap().ids(Lang::Fr), texts.ids(Lang::Fr));
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Texts>();
    }

    #[test]
    fn every_message_renders_cleanly_with_its_arguments() {
        let texts = Texts::embedded();
        for lang in Lang::ALL {
            for id in IDS {
                let text = render(texts, lang, id, &sample_args(id));
                let one_line = !matches!(
                    *id,
                    "help" | "area-links" | "email-confirm-body" | "email-not-subscribed" | "loan-email-links"
                );
                assert!(!one_line || !text.contains('\n'), "{lang} {id} spans lines: {text:?}");
            }
        }
    }

    #[test]
    fn selects_and_plurals_give_the_documented_texts() {
        let t = Texts::embedded();
        let recorded = |lang, direction: &str, when: &str, number: i64| {
            let has_when = if when.is_empty() { "no" } else { "yes" };
            let args = [
                ("direction", Arg::from(direction)),
                ("item", "perceuse".into()),
                ("category", "bricolage".into()),
                ("when", when.into()),
                ("has_when", has_when.into()),
                ("number", number.into()),
            ];
            render(t, lang, "post-recorded", &args)
        };
        assert_eq!(
            recorded(Lang::Fr, "offer", "13 juin", 12),
            "📌 Offre n°12 notée : perceuse (bricolage) · 13 juin. Merci !"
        );
        assert_eq!(
            recorded(Lang::Fr, "request", "", 13),
            "🔎 Demande n°13 notée : perceuse (bricolage). Je préviens les voisins."
        );
        assert_eq!(
            recorded(Lang::En, "offer", "", 1234),
            "📌 Offer #1234 noted: perceuse (bricolage). Thank you!"
        );
        let relay = [
            ("name", Arg::from("Marie")),
            ("channel", "Telegram".into()),
            ("text", "Salut".into()),
        ];
        assert_eq!(t.get(Lang::Fr, "relay-line", &relay), "Marie (Telegram) : Salut");
        assert_eq!(t.get(Lang::En, "relay-line", &relay), "Marie (Telegram): Salut");
        let header = |lang, count: usize, category: &str| {
            let has = if category.is_empty() { "no" } else { "yes" };
            let args = [
                ("count", Arg::from(count)),
                ("category", category.into()),
                ("has_category", has.into()),
            ];
            render(t, lang, "posts-header", &args)
        };
        assert_eq!(header(Lang::Fr, 1, ""), "📋 1 annonce en cours dans le quartier :");
        assert_eq!(header(Lang::Fr, 3, "jardinage"), "📋 3 annonces en cours (jardinage) :");
        assert_eq!(header(Lang::En, 1, "DIY"), "📋 1 current post (DIY):");
        assert_eq!(header(Lang::En, 2, ""), "📋 2 current posts in the neighbourhood:");
        let line = render(t, Lang::Fr, "posts-line", &sample_args("posts-line"));
        assert_eq!(line, "n°12 🔎 demande : échelle (bricolage) — Paul");
        assert!(t.get(Lang::Fr, "help", &[]).contains("/fini N"));
    }

    #[test]
    fn syntax_errors_name_the_file_and_the_line() {
        let fr = "hello = Bonjour\n\nthis is junk\nbye = Au revoir\n";
        let err = Texts::from_sources(fr, "hello = Hello\nbye = Bye\n").unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, TextsError::Syntax { line: 3, .. }), "{message}");
        assert!(message.starts_with("fr/voisinage.ftl:3: "), "{message}");
        assert!(message.contains("this is junk"), "{message}");
        let unclosed = Texts::from_sources("a = A\nb = { $x\nc = C\n", "")
            .unwrap_err()
            .to_string();
        assert!(
            unclosed.contains(":3: ") && unclosed.contains("starting at line 2"),
            "{unclosed}"
        );
        let dup = Texts::from_sources("a = A\nb = B\na = C\n", "a = A\nb = B\n").unwrap_err();
        assert_eq!(dup.to_string(), "fr/voisinage.ftl:3: `a` is defined twice");
    }

    #[test]
    fn ids_in_one_language_only_or_required_ones_missing_are_errors() {
        let err = Texts::from_sources("a = A\nb = B\n", "a = A\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "message `b` in fr/voisinage.ftl but missing from en/voisinage.ftl"
        );
        let err = Texts::from_sources("a = A\n", "a = A\nc = C\n").unwrap_err();
        assert!(
            matches!(&err, TextsError::Missing { ids, present_in, .. } if ids == &["c"] && present_in == "en/voisinage.ftl")
        );
        let err = Texts::from_sources("a = A\n", "a = A\n").unwrap_err();
        assert!(
            matches!(&err, TextsError::Required { ids, .. } if ids.len() == IDS.len()),
            "{err}"
        );
        let missing_file = Texts::load(Path::new("/nonexistent-voisinage")).unwrap_err();
        assert!(
            missing_file
                .to_string()
                .starts_with("/nonexistent-voisinage/fr/voisinage.ftl: cannot read")
        );
    }

    #[test]
    fn html_escapes_template_and_arguments_and_bolds_names() {
        let texts =
            Texts::from_sources_unchecked("relay = { $name } & co ({ $n }) : { $text }\n", "relay = x\n").unwrap();
        let html = texts.get_html(
            Lang::Fr,
            "relay",
            &[
                ("name", Arg::from("<i>Jeanne</i>")),
                ("n", Arg::from(3i64)),
                (
                    "text",
                    Arg::from("a < b && <script>alert(1)</script> \u{E000}0\u{E001}"),
                ),
            ],
            &["name", "text"],
            &["name"],
        );
        assert_eq!(
            html,
            "<b>&lt;i&gt;Jeanne&lt;/i&gt;</b> &amp; co (3) : a &lt; b &amp;&amp; &lt;script&gt;alert(1)&lt;/script&gt; \u{E000}0\u{E001}"
        );
    }

    #[test]
    fn get_falls_back_to_french_then_to_the_id() {
        let texts = Texts::from_sources_unchecked(
            "hi = Salut { $name }\nonly-fr = Seulement en français\n",
            "hi = Hi { $name }\n",
        )
        .unwrap();
        let args = [("name", Arg::from("Léa"))];
        assert_eq!(texts.get(Lang::En, "hi", &args), "Hi Léa");
        assert_eq!(texts.get(Lang::En, "only-fr", &[]), "Seulement en français");
        assert_eq!(texts.get(Lang::En, "nowhere", &[]), "nowhere");
        assert_eq!(texts.get(Lang::Fr, "nowhere", &[]), "nowhere");
        assert!(Texts::from_sources_unchecked("x = {", "").is_err());
    }

    #[test]
    fn languages_parse_from_tags() {
        for (tag, lang) in [
            ("fr", Lang::Fr),
            ("FR", Lang::Fr),
            ("fr-FR", Lang::Fr),
            ("fr_CA", Lang::Fr),
            ("en-GB", Lang::En),
        ] {
            assert_eq!(tag.parse::<Lang>(), Ok(lang));
        }
        assert!("de".parse::<Lang>().is_err());
        assert_eq!(Lang::default().as_str(), "fr");
    }
}
