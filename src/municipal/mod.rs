//! What the municipalities that pay for the network get (issue 18): staff who sign in to a
//! small server-rendered web interface, announcements relayed to their areas' rooms and
//! subscribers, polls with one tally across channels, a quartier report private by
//! construction, and a private line from residents to the commune's contact.
//!
//! Staff pages live under `/mairie/{commune}/…` (the commune's slug, see [`commune_slug`]) and
//! take a [`auth::Staff`] argument, which is only ever built for a signed-in member of that
//! commune's staff. Public pages (the announcement archive and its feed, poll results, the
//! signed email vote links) live under `/communes/{commune}/…` and `/sondage/…`.

pub mod auth;
pub mod page;
pub mod polls;

use std::sync::Arc;

use crate::core::Core;

/// A staff member's rights in one commune.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the report and the poll results.
    Viewer,
    /// Also writes announcements and creates polls.
    Editor,
}

/// One person of a commune's staff, as the configuration lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffEntry {
    /// Lower-cased email address: where the sign-in link goes.
    pub email: String,
    pub role: Role,
}

/// One commune's municipal settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommuneSettings {
    /// The commune's name exactly as the areas' `commune` property says it ("Saint-Malo").
    pub name: String,
    /// [`commune_slug`] of the name: what the URLs carry.
    pub slug: String,
    pub staff: Vec<StaffEntry>,
    /// Where `/mairie …` messages from residents go (CCAS, accueil); none: the line is closed.
    pub contact_email: Option<String>,
}

/// The municipal settings of the whole daemon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub communes: Vec<CommuneSettings>,
    /// A figure from fewer than this many people is shown as "< k" in the report.
    pub report_k: u32,
}

impl Settings {
    /// The commune whose URL slug this is.
    pub fn commune(&self, slug: &str) -> Option<&CommuneSettings> {
        self.communes.iter().find(|c| c.slug == slug)
    }
}

/// What the municipal routes share.
#[derive(Clone)]
pub struct MuniState {
    pub core: Arc<Core>,
    pub settings: Arc<Settings>,
}

/// The URL form of a commune's name: lower case ASCII letters and digits, words joined by one
/// hyphen ("Saint-Malo" → "saint-malo", "Pont-l'Abbé" → "pont-l-abbe").
pub fn commune_slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars().flat_map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

fn fold_accent(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' | 'Á' => "a",
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => "e",
        'î' | 'ï' | 'í' | 'Î' | 'Ï' | 'Í' => "i",
        'ô' | 'ö' | 'ó' | 'Ô' | 'Ö' | 'Ó' => "o",
        'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' | 'Ú' => "u",
        'ç' | 'Ç' => "c",
        'ÿ' | 'Ÿ' => "y",
        'œ' | 'Œ' => "oe",
        'æ' | 'Æ' => "ae",
        _ => "",
    };
    let own = if folded.is_empty() { Some(c) } else { None };
    folded.chars().chain(own)
}

#[cfg(test)]
mod tests {
    use super::commune_slug;

    #[test]
    fn slugs_are_ascii_words_joined_by_hyphens() {
        assert_eq!(commune_slug("Saint-Malo"), "saint-malo");
        assert_eq!(commune_slug("Pont-l'Abbé"), "pont-l-abbe");
        assert_eq!(commune_slug("  Île  de Bréhat "), "ile-de-brehat");
        assert_eq!(commune_slug("Œuilly"), "oeuilly");
    }
}
