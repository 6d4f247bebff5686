//! Reading config/partners.toml: every partner is checked at start-up, and a problem names the
//! file, the partner and the field, so whoever edits the file can fix it without reading Rust.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use super::{Partner, Partners, Served, words};
use crate::areas::Areas;
use crate::parse::Category;

/// The placeholders a link template may use.
pub const PLACEHOLDERS: [&str; 4] = ["item", "area", "commune", "postcode"];

/// Why a partners file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum PartnersError {
    #[error("cannot read partners file {file}: {error}")]
    Read { file: String, error: std::io::Error },
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    /// A problem with one partner; `partner` is its id, or `partner[N]` (from 0) without one.
    #[error("{file}: partner `{partner}`: {field}: {problem}")]
    Field {
        file: String,
        partner: String,
        field: String,
        problem: String,
    },
}

/// One `[[partner]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    id: String,
    name: String,
    description: String,
    link: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    areas: RawAreas,
    #[serde(default)]
    paid: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawAreas {
    All(String),
    Some(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    partner: Vec<toml::Value>,
}

impl Partners {
    /// Reads and checks the partners file at `path` against the configured areas.
    pub fn load(path: &Path, areas: &Areas) -> Result<Partners, PartnersError> {
        let file = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|error| PartnersError::Read {
            file: file.clone(),
            error,
        })?;
        Partners::from_toml(&file, &src, areas)
    }

    /// Parses and checks `src`, named `file` in errors.
    pub fn from_toml(file: &str, src: &str, areas: &Areas) -> Result<Partners, PartnersError> {
        let raw: RawFile = toml::from_str(src).map_err(|e| PartnersError::Syntax {
            file: file.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let mut list: Vec<Partner> = Vec::with_capacity(raw.partner.len());
        let mut ids = HashSet::new();
        for (index, value) in raw.partner.into_iter().enumerate() {
            let label = value
                .get("id")
                .and_then(|v| v.as_str())
                .map_or_else(|| format!("partner[{index}]"), str::to_owned);
            let err = |field: &str, problem: String| PartnersError::Field {
                file: file.to_owned(),
                partner: label.clone(),
                field: field.to_owned(),
                problem,
            };
            let r: Raw = serde_path_to_error::deserialize(value).map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." { "fields".to_owned() } else { path };
                err(&field, e.into_inner().to_string())
            })?;
            let p = check(r, areas).map_err(|(field, problem)| err(field, problem))?;
            if !ids.insert(p.id.clone()) {
                return Err(err("id", "used by an earlier partner too; ids must be unique".into()));
            }
            list.push(p);
        }
        Ok(Partners { list })
    }
}

/// Checks one partner; an error is (field, problem).
fn check(r: Raw, areas: &Areas) -> Result<Partner, (&'static str, String)> {
    if r.id.is_empty()
        || !r
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err((
            "id",
            format!(
                "{:?}: use lower-case letters a-z, digits and hyphens only (it appears in links)",
                r.id
            ),
        ));
    }
    for (field, value) in [("name", &r.name), ("description", &r.description)] {
        if value.trim().is_empty() {
            return Err((field, "is empty".into()));
        }
    }
    check_template(&r.link).map_err(|p| ("link", p))?;
    let mut categories = Vec::with_capacity(r.categories.len());
    for c in &r.categories {
        let known = Category::ALL.into_iter().find(|k| k.as_str() == c);
        let Some(known) = known else {
            let all: Vec<&str> = Category::ALL.iter().map(|k| k.as_str()).collect();
            return Err((
                "categories",
                format!("unknown category {c:?}; known: {}", all.join(", ")),
            ));
        };
        categories.push(known);
    }
    let mut keywords = Vec::with_capacity(r.keywords.len());
    for k in &r.keywords {
        let w = words(k);
        if w.is_empty() {
            return Err(("keywords", format!("{k:?} has no word in it")));
        }
        keywords.push(w);
    }
    if categories.is_empty() && keywords.is_empty() {
        return Err((
            "categories",
            "give at least one category or keyword, or the partner is never suggested".into(),
        ));
    }
    let served = match r.areas {
        RawAreas::All(s) if s == "all" => Served::All,
        RawAreas::All(s) => {
            return Err((
                "areas",
                format!("{s:?}: write \"all\" or a list of area slugs, e.g. [\"saint-servan\"]"),
            ));
        }
        RawAreas::Some(list) if list.is_empty() => {
            return Err(("areas", "the list is empty; write \"all\" or list area slugs".into()));
        }
        RawAreas::Some(list) => {
            if let Some(unknown) = list.iter().find(|s| areas.get(s).is_none()) {
                let known: Vec<&str> = areas.all().iter().map(|a| a.slug.as_str()).collect();
                return Err((
                    "areas",
                    format!("unknown area {unknown:?}; known: {}", known.join(", ")),
                ));
            }
            Served::Areas(list)
        }
    };
    Ok(Partner {
        id: r.id,
        name: r.name.trim().to_owned(),
        description: r.description.trim().to_owned(),
        link: r.link,
        categories,
        keywords,
        served,
        paid: r.paid,
    })
}

/// An http(s) URL with a host, whose only braces are known placeholders.
fn check_template(link: &str) -> Result<(), String> {
    let rest = link
        .strip_prefix("https://")
        .or_else(|| link.strip_prefix("http://"))
        .ok_or_else(|| format!("{link:?} must start with https:// or http://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains('{') {
        return Err(format!("{link:?} needs a fixed host name"));
    }
    // It becomes a Location header: visible ASCII only.
    if !link.chars().all(|c| c.is_ascii_graphic()) {
        return Err(format!(
            "{link:?} may only hold visible ASCII characters (no spaces; percent-encode accents)"
        ));
    }
    let mut s = link;
    while let Some(open) = s.find(['{', '}']) {
        let after = &s[open + 1..];
        let close = after.find('}').filter(|_| s[open..].starts_with('{'));
        let Some(close) = close else {
            return Err(format!("{link:?} has an unmatched brace"));
        };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{name}}}; known: {{item}}, {{area}}, {{commune}}, {{postcode}}"
            ));
        }
        s = &after[close + 1..];
    }
    Ok(())
}
