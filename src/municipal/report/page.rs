//! The report's routes, for signed-in staff of the commune: the page
//! (`/mairie/{commune}/rapport?mois=YYYY-MM&quartier=slug`), its CSV
//! (`/mairie/{commune}/rapport.csv?mois=YYYY-MM`) and its printable page
//! (`/mairie/{commune}/rapport/imprimer?mois=…&quartier=…`). The handlers only check who asks
//! ([`Staff`]); [`ask`] and the renderers are what the tests call.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};

use super::{Month, Report, build, commune_tz, last_closed, render};
use crate::i18n::{Lang, escape_html};
use crate::municipal::MuniState;
use crate::municipal::auth::Staff;
use crate::municipal::page::layout;

/// How many closed months the month chooser offers.
const MONTHS_OFFERED: usize = 24;

/// The report's routes (merged into the daemon's web server with the other municipal ones).
pub fn router() -> Router<MuniState> {
    Router::new()
        .route("/mairie/{commune}/rapport", get(report_page))
        .route("/mairie/{commune}/rapport.csv", get(report_csv))
        .route("/mairie/{commune}/rapport/imprimer", get(report_print))
}

/// The query string of the three views.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ReportQuery {
    /// "YYYY-MM"; absent or empty: the last closed month.
    pub mois: Option<String>,
    /// An area's slug; absent or empty: the whole commune.
    pub quartier: Option<String>,
}

/// A view of the report that was asked for and may be shown.
#[derive(Clone, Debug)]
pub struct Asked {
    pub report: Report,
    /// The area chosen (an index of `report.areas`), or None for the commune.
    pub area: Option<usize>,
    /// The months the chooser offers, latest first.
    pub months: Vec<Month>,
}

/// Why a view cannot be shown; each is a short page in French and English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    UnknownCommune,
    BadMonth(String),
    NotClosed(Month),
    UnknownArea(String),
    Failed,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let (status, text) = match &self {
            Refused::UnknownCommune => (
                StatusCode::NOT_FOUND,
                "Cette commune n'est pas configurée. / This commune is not configured.".to_owned(),
            ),
            Refused::BadMonth(m) => (
                StatusCode::BAD_REQUEST,
                format!("Mois « {m} » invalide : écrivez-le AAAA-MM, par exemple 2026-11. / Invalid month: write it YYYY-MM."),
            ),
            Refused::NotClosed(m) => (
                StatusCode::BAD_REQUEST,
                format!(
                    "Le rapport de {} paraîtra quand le mois sera terminé : un mois en cours changerait d'un jour \
                     à l'autre et laisserait voir ce qu'ont fait quelques personnes. / A month's report is \
                     published once the month is over.",
                    m.label()
                ),
            ),
            Refused::UnknownArea(a) => (
                StatusCode::BAD_REQUEST,
                format!("Le quartier « {a} » n'est pas dans cette commune. / This area is not in this commune."),
            ),
            Refused::Failed => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Le rapport n'a pas pu être calculé ; réessayez dans un instant. / The report could not be made; try again.".to_owned(),
            ),
        };
        let body = format!("<p>{}</p>", escape_html(&text));
        layout(status, Lang::Fr, "Rapport de quartier", &body).into_response()
    }
}

/// The view asked for by `query` of commune `slug`'s report, at `now`.
pub async fn ask(state: &MuniState, slug: &str, query: &ReportQuery, now: DateTime<Utc>) -> Result<Asked, Refused> {
    let commune = state.settings.commune(slug).ok_or(Refused::UnknownCommune)?;
    let last = last_closed(now, commune_tz(&state.core, commune));
    let month = match query.mois.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        None => last,
        Some(m) => Month::parse(m).ok_or_else(|| Refused::BadMonth(m.chars().take(20).collect()))?,
    };
    if month > last {
        return Err(Refused::NotClosed(month));
    }
    let report = build(&state.core, commune, month, state.settings.report_k)
        .await
        .map_err(|e| {
            tracing::warn!(commune = slug, error = %format!("{e:#}"), "the quartier report failed");
            Refused::Failed
        })?;
    let area = match query.quartier.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(
            report
                .areas
                .iter()
                .position(|(s, _)| s == a)
                .ok_or_else(|| Refused::UnknownArea(a.chars().take(40).collect()))?,
        ),
    };
    let months = std::iter::successors(Some(last), |m| Some(m.previous()))
        .take(MONTHS_OFFERED)
        .collect();
    Ok(Asked { report, area, months })
}

/// Wide tables scroll sideways on a phone; the printable page fits an A4 sheet, without the
/// chooser, the links or the skip link.
const EXTRA_STYLE: &str = "<style>.scroll{overflow-x:auto}caption{text-align:left;font-weight:600;\
padding:.4rem 0}td{font-variant-numeric:tabular-nums}.chart{max-width:40rem;display:block;margin:.5rem 0}\
@page{size:A4;margin:14mm}@media print{body{max-width:none;font-size:10pt;padding:0}h2{break-after:avoid}\
table,svg{break-inside:avoid}.scroll{overflow:visible}}</style>";

fn title(report: &Report) -> String {
    format!("Rapport de quartier — {} — {}", report.commune, report.month.label())
}

/// The whole report page.
pub fn page_html(asked: &Asked) -> String {
    let r = &asked.report;
    let body = format!(
        "{EXTRA_STYLE}{}{}",
        render::chooser(r, asked.area, &asked.months),
        render::figures(r, asked.area)
    );
    layout(StatusCode::OK, Lang::Fr, &title(r), &body).1.0
}

/// The printable page: the same figures, no form and no links.
pub fn print_html(asked: &Asked) -> String {
    let body = format!("{EXTRA_STYLE}{}", render::figures(&asked.report, asked.area));
    layout(StatusCode::OK, Lang::Fr, &title(&asked.report), &body).1.0
}

async fn report_page(State(state): State<MuniState>, staff: Staff, Query(q): Query<ReportQuery>) -> Response {
    match ask(&state, &staff.commune, &q, Utc::now()).await {
        Ok(asked) => Html(page_html(&asked)).into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn report_print(State(state): State<MuniState>, staff: Staff, Query(q): Query<ReportQuery>) -> Response {
    match ask(&state, &staff.commune, &q, Utc::now()).await {
        Ok(asked) => Html(print_html(&asked)).into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn report_csv(State(state): State<MuniState>, staff: Staff, Query(q): Query<ReportQuery>) -> Response {
    // The CSV covers the whole commune: every area is a line of it.
    let q = ReportQuery { quartier: None, ..q };
    match ask(&state, &staff.commune, &q, Utc::now()).await {
        Ok(asked) => {
            let file = format!(
                "attachment; filename=\"rapport-{}-{}.csv\"",
                asked.report.slug, asked.report.month
            );
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, file),
                ],
                render::csv(&asked.report),
            )
                .into_response()
        }
        Err(refused) => refused.into_response(),
    }
}
