//! Partner services (car sharing, tool library, repair café…) suggested to a neighbour whose
//! request no neighbour answered. The list is config/partners.toml ([`load`]); the suggestion
//! round is [`suggest::suggest_once`]. Links go through the daemon (`/p/PARTNER/TOKEN`), which
//! counts clicks per partner and day and redirects: the token signs the partner, the area and
//! the item only, never a person or a request.

pub mod load;
pub mod suggest;

use std::path::Path;

use crate::areas::{Area, Areas};
use crate::config::PartnersSettings;
use crate::core::links::Links;
use crate::parse::Category;
use crate::parse::token::fold;

pub use load::PartnersError;
pub use suggest::suggest_once;

/// The example partners of config/partners.toml, compiled in.
pub const EXAMPLE_TOML: &str = include_str!("../../config/partners.toml");
const EXAMPLE_LABEL: &str = "config/partners.toml (built in)";
const DEFAULT_FILE: &str = "config/partners.toml";

/// One partner service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// Lower-case letters, digits and hyphens: it appears in links.
    pub id: String,
    pub name: String,
    pub description: String,
    /// The link template, with `{item}`, `{area}`, `{commune}`, `{postcode}` placeholders.
    pub link: String,
    pub categories: Vec<Category>,
    /// Each keyword as its folded, singular words ("grille-pain" → ["grille", "pain"]).
    pub keywords: Vec<Vec<String>>,
    pub served: Served,
    /// A paid affiliation: the suggestion says so.
    pub paid: bool,
}

/// The areas a partner serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    All,
    /// These area slugs (checked against the areas at load time).
    Areas(Vec<String>),
}

/// The partners, in file order.
#[derive(Debug, Clone, Default)]
pub struct Partners {
    list: Vec<Partner>,
}

/// A verified partner link, as followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed<'a> {
    pub partner: &'a Partner,
    pub area: String,
    pub item: String,
}

impl Partners {
    /// The example partners of config/partners.toml, checked against the example areas.
    pub fn example() -> Partners {
        Partners::from_toml(EXAMPLE_LABEL, EXAMPLE_TOML, &Areas::example())
            .expect("the built-in config/partners.toml is valid (a unit test loads it)")
    }

    /// The partners the settings ask for: the file, or the examples when the file is the
    /// default one and missing. Disabled partners are an empty list.
    pub fn for_settings(settings: &PartnersSettings, areas: &Areas) -> Result<Partners, PartnersError> {
        if !settings.enabled {
            return Ok(Partners::default());
        }
        let file = &settings.file;
        if !file.exists() && file == Path::new(DEFAULT_FILE) {
            return Ok(Partners::example());
        }
        Partners::load(file, areas)
    }

    /// All partners, in file order.
    pub fn all(&self) -> &[Partner] {
        &self.list
    }

    /// The partner with this id.
    pub fn get(&self, id: &str) -> Option<&Partner> {
        self.list.iter().find(|p| p.id == id)
    }

    /// The partner that best fits a request in `area` of `category` for `item`: it must serve
    /// the area and match the category or a keyword (whole words, ignoring case and accents).
    /// A keyword (specific) counts more than the category (broad); on a tie an unpaid partner
    /// wins over a paid one, then the first in the file.
    pub fn best_for(&self, area: &str, category: &str, item: &str) -> Option<&Partner> {
        let category = Category::parse(category);
        let text = words(item);
        self.list
            .iter()
            .enumerate()
            .filter(|(_, p)| p.serves(area))
            .filter_map(|(i, p)| {
                let by_category = category.is_some_and(|c| p.categories.contains(&c));
                let by_keyword = p.keywords.iter().any(|k| contains_run(&text, k));
                let score = 2 * u8::from(by_keyword) + u8::from(by_category);
                (score > 0).then_some((score, !p.paid, std::cmp::Reverse(i), p))
            })
            .max_by_key(|(score, unpaid, order, _)| (*score, *unpaid, *order))
            .map(|(.., p)| p)
    }

    /// The partner link of a token this daemon signed, if it names partner `id` and that
    /// partner exists; None for anything else.
    pub fn follow(&self, links: &Links, id: &str, token: &str) -> Option<Followed<'_>> {
        let payload = links.signer.verify(token)?;
        let mut parts = payload.splitn(4, '|');
        let (Some("p"), Some(signed_id), Some(area), Some(item)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if signed_id != id {
            return None;
        }
        Some(Followed {
            partner: self.get(id)?,
            area: area.to_owned(),
            item: item.to_owned(),
        })
    }
}

impl Partner {
    /// Whether the partner serves area `slug`.
    pub fn serves(&self, slug: &str) -> bool {
        match &self.served {
            Served::All => true,
            Served::Areas(list) => list.iter().any(|s| s == slug),
        }
    }

    /// The link a neighbour is given: `{public_url}/p/{id}/{token}`, the token signing the
    /// partner, the area and the item (no person, no request).
    pub fn link(&self, links: &Links, area: &str, item: &str) -> String {
        let token = links.signer.sign(&format!("p|{}|{area}|{item}", self.id));
        format!("{}/p/{}/{token}", links.public_url, self.id)
    }

    /// The partner's own URL: the template with the placeholders filled and URL-encoded.
    /// `area` is None when the area is no longer configured (its fields are left empty).
    pub fn target(&self, area: Option<&Area>, item: &str) -> String {
        let value = |name: &str| match name {
            "item" => item.to_owned(),
            "area" => area.map(|a| a.name.clone()).unwrap_or_default(),
            "commune" => area.map(|a| a.commune.clone()).unwrap_or_default(),
            "postcode" => area
                .and_then(|a| a.postcodes.first())
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        let mut out = String::with_capacity(self.link.len() + item.len());
        let mut rest = self.link.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').unwrap_or(after.len());
            out.push_str(&url_encode(&value(&after[..close])));
            rest = after.get(close + 1..).unwrap_or_default();
        }
        out.push_str(rest);
        out
    }
}

/// The folded words of `text`, each made singular the simple way (a final s or x dropped),
/// so that "Perceuses" and "perceuse", "Échelle" and "echelle" meet.
pub(crate) fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| match w.strip_suffix(['s', 'x']) {
            Some(stem) if stem.len() >= 3 => stem.to_owned(),
            _ => w.to_owned(),
        })
        .collect()
}

/// Whether `run` appears in `text` as consecutive whole words.
fn contains_run(text: &[String], run: &[String]) -> bool {
    !run.is_empty() && text.windows(run.len()).any(|w| w == run)
}

/// Percent-encodes everything but the unreserved characters of RFC 3986.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
