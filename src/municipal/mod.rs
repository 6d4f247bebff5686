//! What the municipalities that pay for the network get (issue 18): staff who sign in to a
//! small server-rendered web interface, announcements relayed to their areas' rooms and
//! subscribers, polls with one tally across channels, a quartier report private by
//! construction, and a private line from residents to the commune's contact.
//!
//! Staff pages live under `/mairie/{commune}/…` (the commune's slug, see [`commune_slug`]) and
//! take a [`auth::Staff`] argument, which is only ever built for a signed-in member of that
//! commune's staff. Public pages (the announcement archive and its feed, poll results, the
//! signed email vote links) live under `/communes/{commune}/…` and `/sondage/…`.

pub mod announcements;
pub mod auth;
pub mod page;
pub mod polls;
pub mod report;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::core::Core;
use crate::i18n::escape_html;
use auth::{Session, Staff};
use page::{browser_lang, tr};

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
    /// The settings of the `[municipal]` section, checked against the areas: every commune
    /// named must be some area's `commune`.
    pub fn from_config(c: &crate::config::MunicipalSettings, areas: &crate::areas::Areas) -> anyhow::Result<Settings> {
        let mut communes = Vec::with_capacity(c.commune.len());
        for (i, commune) in c.commune.iter().enumerate() {
            if !areas.all().iter().any(|a| a.commune == commune.name) {
                let mut known: Vec<&str> = areas.all().iter().map(|a| a.commune.as_str()).collect();
                known.sort_unstable();
                known.dedup();
                anyhow::bail!(
                    "municipal.commune[{i}].name: \"{}\" is no area's commune in the areas file (communes there: {})",
                    commune.name,
                    known.join(", ")
                );
            }
            let staff = commune
                .staff
                .iter()
                .map(|s| StaffEntry {
                    email: s.email.trim().to_lowercase(),
                    role: if s.role == "editor" { Role::Editor } else { Role::Viewer },
                })
                .collect();
            communes.push(CommuneSettings {
                name: commune.name.clone(),
                slug: commune_slug(&commune.name),
                staff,
                contact_email: commune.contact_email.as_ref().map(|e| e.trim().to_lowercase()),
            });
        }
        Ok(Settings {
            communes,
            report_k: c.report_k,
        })
    }

    /// The communes whose staff lists `email`, with the role there.
    pub fn communes_of(&self, email: &str) -> Vec<(&CommuneSettings, Role)> {
        self.communes
            .iter()
            .filter_map(|c| c.staff.iter().find(|s| s.email == email).map(|s| (c, s.role)))
            .collect()
    }

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

/// The municipal routes: sign-in and sign-out, the staff's home pages, and the pages of each
/// capability (the quartier report; polls are added by their own module).
pub fn router(state: MuniState) -> Router {
    Router::new()
        .route("/mairie", get(home))
        .route("/mairie/connexion", get(auth::signin_page).post(auth::signin_post))
        .route("/mairie/connexion/lien", get(auth::link_page).post(auth::link_post))
        .route("/mairie/deconnexion", post(auth::signout_post))
        .route("/mairie/{commune}", get(commune_home))
        .merge(report::page::router())
        .merge(polls::router())
        .merge(announcements::router())
        .with_state(state)
}

/// `/mairie`: the communes the signed-in person can open.
async fn home(State(state): State<MuniState>, headers: HeaderMap, session: Session) -> Response {
    let lang = browser_lang(&headers);
    let mine = state.settings.communes_of(&session.email);
    let mut body = format!(
        "<p>{} <strong>{}</strong></p>",
        tr(lang, "Connecté en tant que", "Signed in as"),
        escape_html(&session.email)
    );
    if mine.is_empty() {
        body.push_str(&format!(
            "<p>{}</p>",
            tr(
                lang,
                "Cette adresse ne fait plus partie des agents d'aucune commune.",
                "This address is no longer on any commune's staff."
            )
        ));
    } else {
        body.push_str("<ul>");
        for (c, role) in mine {
            body.push_str(&format!(
                "<li><a href=\"/mairie/{}\">{}</a> ({})</li>",
                c.slug,
                escape_html(&c.name),
                role_word(lang, role)
            ));
        }
        body.push_str("</ul>");
    }
    body.push_str(&auth::signout_form(lang, &session.csrf_field()));
    page::layout(StatusCode::OK, lang, tr(lang, "Espace mairie", "Staff pages"), &body).into_response()
}

fn role_word(lang: crate::i18n::Lang, role: Role) -> &'static str {
    match role {
        Role::Editor => tr(lang, "éditeur", "editor"),
        Role::Viewer => tr(lang, "lecteur", "viewer"),
    }
}

/// `/mairie/{commune}`: what this staff member can do for the commune.
async fn commune_home(State(state): State<MuniState>, headers: HeaderMap, staff: Staff) -> Response {
    let lang = browser_lang(&headers);
    let name = state
        .settings
        .commune(&staff.commune)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let body = format!(
        "<p>{} ({})</p><nav><ul><li><a href=\"/mairie/{c}/rapport\">{}</a></li>\
         <li><a href=\"/mairie/{c}/annonces/nouvelle\">{}</a></li><li><a href=\"/communes/{c}/annonces\">{}</a></li>\
         <li><a href=\"/mairie/{c}/sondages/nouveau\">{}</a></li>\
         <li><a href=\"/communes/{c}/sondages\">{}</a></li></ul></nav>{}",
        escape_html(&staff.email),
        role_word(lang, staff.role),
        tr(lang, "Le rapport des quartiers", "The quartier report"),
        tr(lang, "Nouvelle annonce (éditeurs)", "New announcement (editors)"),
        tr(lang, "Les annonces publiées", "Published announcements"),
        tr(lang, "Nouveau sondage (éditeurs)", "New poll (editors)"),
        tr(lang, "Les sondages et leurs résultats", "Polls and their results"),
        auth::signout_form(lang, &staff.csrf_field()),
        c = escape_html(&staff.commune),
    );
    let title = format!("{} {name}", tr(lang, "Mairie de", "Town hall of"));
    page::layout(StatusCode::OK, lang, &title, &body).into_response()
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
    use super::{Role, Settings, commune_slug};

    #[derive(Debug)]
    struct Config {
        municipal: crate::config::MunicipalSettings,
    }

    /// The `[municipal]` section `municipal` (its tables written `[[municipal.commune]]`).
    fn config(municipal: &str) -> Result<Config, String> {
        let src = format!("[municipal]\n{municipal}").replace("[[municipal.commune]]", "[[commune]]");
        let section: crate::config::MunicipalSettings =
            toml::from_str(&src.replacen("[municipal]\n", "", 1)).map_err(|e| e.to_string())?;
        match section.check() {
            Some((key, why)) => Err(format!("{key}: {why}")),
            None => Ok(Config { municipal: section }),
        }
    }

    #[test]
    fn communes_are_checked_against_the_areas_and_staff_against_the_rules() {
        let ok = config(
            "[[municipal.commune]]\nname = \"Saint-Malo\"\n\
             staff = [{ email = \"Com@Ville.example\", role = \"editor\" }]\n",
        )
        .unwrap();
        let areas = crate::areas::Areas::example();
        let s = Settings::from_config(&ok.municipal, &areas).unwrap();
        assert_eq!(s.report_k, 5);
        assert_eq!(s.communes[0].slug, "saint-malo");
        assert_eq!(s.communes_of("com@ville.example")[0].1, Role::Editor);
        let unknown = config("[[municipal.commune]]\nname = \"Atlantis\"\n").unwrap();
        let err = Settings::from_config(&unknown.municipal, &areas)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"Atlantis\" is no area's commune") && err.contains("Saint-Malo"),
            "{err}"
        );
        let role = config(
            "[[municipal.commune]]\nname = \"Dinard\"\n\
             staff = [{ email = \"a@b.example\", role = \"boss\" }]\n",
        )
        .unwrap_err();
        assert!(
            role.contains("municipal.commune[0].staff[0].role") && role.contains("editor"),
            "{role}"
        );
        let email = config("[[municipal.commune]]\nname = \"Dinard\"\ncontact_email = \"nope\"\n").unwrap_err();
        assert!(email.contains("municipal.commune[0].contact_email"), "{email}");
    }

    #[test]
    fn slugs_are_ascii_words_joined_by_hyphens() {
        assert_eq!(commune_slug("Saint-Malo"), "saint-malo");
        assert_eq!(commune_slug("Pont-l'Abbé"), "pont-l-abbe");
        assert_eq!(commune_slug("  Île  de Bréhat "), "ile-de-brehat");
        assert_eq!(commune_slug("Œuilly"), "oeuilly");
    }
}
