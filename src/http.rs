//! The daemon's HTTP server (axum): /healthz checks the database, /metrics exposes Prometheus
//! figures, /email/confirm and /email/unsubscribe handle the links sent by email (a GET shows
//! a page with a button, only a POST acts: mail scanners follow links), /email/held shows a
//! held mail to its owner ("was this you?") and posts it on POST, /p/PARTNER/TOKEN counts
//! a click on a partner link and redirects to the partner.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::core::Core;
use crate::core::links::Rhythm;
use crate::i18n::{Arg, Lang, escape_html};
use crate::municipal::page::browser_lang;
use crate::partners::Partners;
use crate::store::{self, deliveries, subscriptions};
use crate::telemetry::{ChannelState, Metrics};

#[derive(Clone)]
struct AppState {
    pool: PgPool,
    metrics: Arc<Metrics>,
}

/// The routes.
pub fn router(core: Arc<Core>, partners: Arc<Partners>) -> Router {
    let state = AppState {
        pool: core.pool.clone(),
        metrics: core.metrics.clone(),
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_page))
        .with_state(state)
        .merge(
            Router::new()
                .route("/email/confirm", get(confirm_page).post(confirm_post))
                .route("/email/unsubscribe", get(unsubscribe_page).post(unsubscribe_post))
                .route("/email/held", get(held_page).post(held_post))
                .route("/email/loan", get(loan_page).post(loan_post))
                .route("/m/{token}", get(media_link))
                .with_state(core.clone()),
        )
        .merge(
            Router::new()
                .route("/p/{partner}/{token}", get(partner_link))
                .with_state((core, partners)),
        )
}

/// The routes with the municipal pages of `municipal` (issue 18).
pub fn router_with_municipal(
    core: Arc<Core>,
    partners: Arc<Partners>,
    municipal: Arc<crate::municipal::Settings>,
) -> Router {
    let state = crate::municipal::MuniState {
        core: core.clone(),
        settings: municipal,
    };
    router(core, partners).merge(crate::municipal::router(state))
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    #[serde(default)]
    t: String,
}

/// A page for people: large type, high contrast, readable on a phone.
fn page(status: StatusCode, lang: Lang, title: &str, body: &str) -> (StatusCode, Html<String>) {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title><style>body{{font:1.4rem/1.5 system-ui,sans-serif;max-width:36rem;\
             margin:2rem auto;padding:0 1rem;color:#111;background:#fff}}h1{{font-size:1.8rem}}\
             button{{font-size:1.4rem;padding:.8rem 1.6rem;background:#0b5;color:#fff;border:0;\
             border-radius:.4rem}}</style></head><body><h1>{title}</h1>{body}</body></html>",
            title = escape_html(title),
        )),
    )
}

fn button_form(action: &str, token: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{action}?t={t}\"><button type=\"submit\">{label}</button></form>",
        t = escape_html(token),
        label = escape_html(label)
    )
}

fn bad_link(core: &Core, lang: Lang) -> (StatusCode, Html<String>) {
    let t = core.texts;
    page(
        StatusCode::BAD_REQUEST,
        lang,
        &t.get(lang, "web-confirm-title", &[]),
        &format!("<p>{}</p>", escape_html(&t.get(lang, "web-bad-link", &[]))),
    )
}

/// The database failed: try again later (details are in the log).
fn try_again(core: &Core, lang: Lang) -> (StatusCode, Html<String>) {
    let t = core.texts;
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        lang,
        &t.get(lang, "web-try-again-title", &[]),
        &format!("<p>{}</p>", escape_html(&t.get(lang, "web-try-again", &[]))),
    )
}

fn area_and_rhythm(core: &Core, lang: Lang, area: &str, rhythm: Rhythm) -> (String, String) {
    let name = core
        .areas
        .get(area)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| area.to_owned());
    (name, core.texts.get(lang, &format!("rhythm-{}", rhythm.as_str()), &[]))
}

/// The request a confirmation link names: None for a link that is not (or no longer) valid,
/// Err when the database did not answer (logged).
async fn confirmation_of(core: &Core, token: &str) -> Result<Option<crate::core::links::Request>, ()> {
    use crate::core::links::Confirmation;
    match core.links.read_confirmation(token, chrono::Utc::now().timestamp()) {
        None => Ok(None),
        Some(Confirmation::Inline(r)) => Ok(Some(r)),
        Some(Confirmation::Pending(id)) => subscriptions::pending(&core.pool, id).await.map_err(|e| {
            tracing::warn!(error = %format!("{e:#}"), "reading a pending subscription failed");
        }),
    }
}

async fn confirm_page(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> (StatusCode, Html<String>) {
    let r = match confirmation_of(&core, &q.t).await {
        Ok(Some(r)) => r,
        Ok(None) => return bad_link(&core, browser_lang(&headers)),
        Err(()) => return try_again(&core, browser_lang(&headers)),
    };
    let (t, lang) = (core.texts, r.lang);
    let (area, rhythm) = area_and_rhythm(&core, lang, &r.area, r.rhythm);
    let text = t.get(
        lang,
        "web-confirm-text",
        &[
            ("address", Arg::from(r.address.as_str())),
            ("area", Arg::from(area)),
            ("rhythm", Arg::from(rhythm)),
        ],
    );
    let body = format!(
        "<p>{}</p>{}",
        escape_html(&text),
        button_form("/email/confirm", &q.t, &t.get(lang, "web-confirm-button", &[]))
    );
    page(StatusCode::OK, lang, &t.get(lang, "web-confirm-title", &[]), &body)
}

async fn confirm_post(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> (StatusCode, Html<String>) {
    let r = match confirmation_of(&core, &q.t).await {
        Ok(Some(r)) => r,
        Ok(None) => return bad_link(&core, browser_lang(&headers)),
        Err(()) => return try_again(&core, browser_lang(&headers)),
    };
    let (t, lang) = (core.texts, r.lang);
    if core.areas.get(&r.area).is_none() {
        return bad_link(&core, lang);
    }
    if let Err(e) = subscriptions::confirm(&core.pool, &r).await {
        tracing::warn!(error = %format!("{e:#}"), "confirming a subscription failed");
        return try_again(&core, lang);
    }
    let (area, rhythm) = area_and_rhythm(&core, lang, &r.area, r.rhythm);
    let text = t.get(
        lang,
        "web-confirmed",
        &[
            ("address", Arg::from(r.address.as_str())),
            ("area", Arg::from(area)),
            ("rhythm", Arg::from(rhythm)),
        ],
    );
    page(
        StatusCode::OK,
        lang,
        &t.get(lang, "web-confirm-title", &[]),
        &format!("<p>{}</p>", escape_html(&text)),
    )
}

async fn unsubscribe_page(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> (StatusCode, Html<String>) {
    let asked = browser_lang(&headers);
    let Some(id) = core.links.read_unsubscribe(&q.t) else {
        return bad_link(&core, asked);
    };
    let (address, lang) = match subscriptions::address(&core.pool, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return bad_link(&core, asked),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "reading a subscription failed");
            return try_again(&core, asked);
        }
    };
    let t = core.texts;
    let body = format!(
        "<p>{}</p>{}",
        escape_html(&t.get(lang, "web-unsubscribe-text", &[("address", Arg::from(address))])),
        button_form("/email/unsubscribe", &q.t, &t.get(lang, "web-unsubscribe-button", &[]))
    );
    page(StatusCode::OK, lang, &t.get(lang, "web-unsubscribe-title", &[]), &body)
}

/// RFC 8058 one-click: a POST to the List-Unsubscribe URL unsubscribes at once.
async fn unsubscribe_post(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> (StatusCode, Html<String>) {
    let asked = browser_lang(&headers);
    let Some(id) = core.links.read_unsubscribe(&q.t) else {
        return bad_link(&core, asked);
    };
    let t = core.texts;
    match subscriptions::unsubscribe(&core.pool, id).await {
        Ok(Some(subscriptions::Unsubscribed {
            address,
            area_slug,
            lang,
        })) => {
            let area = core.areas.get(&area_slug).map(|a| a.name.clone()).unwrap_or_default();
            let text = t.get(
                lang,
                "web-unsubscribed",
                &[("address", Arg::from(address)), ("area", Arg::from(area))],
            );
            page(
                StatusCode::OK,
                lang,
                &t.get(lang, "web-unsubscribe-title", &[]),
                &format!("<p>{}</p>", escape_html(&text)),
            )
        }
        Ok(None) => bad_link(&core, asked),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "unsubscribing failed");
            try_again(&core, asked)
        }
    }
}

/// "Was this you?": shows a held mail (and the others held under the same address), each
/// with a button; only the POST posts (mail scanners follow links).
async fn held_page(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> (StatusCode, Html<String>) {
    let asked = browser_lang(&headers);
    let now = chrono::Utc::now();
    let Some(id) = core.links.read_held(&q.t, now.timestamp()) else {
        return bad_link(&core, asked);
    };
    let found = async {
        let Some(h) = store::held_mails::get(&core.pool, id).await? else {
            return anyhow::Ok(None);
        };
        let others = store::held_mails::others_held(&core.pool, &h.address, id).await?;
        Ok(Some((core.held_lang(&h.address).await?, h, others)))
    };
    let (lang, held, others) = match found.await {
        Ok(Some(found)) => found,
        Ok(None) => return bad_link(&core, asked),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "reading a held mail failed");
            return try_again(&core, asked);
        }
    };
    let t = core.texts;
    let title = t.get(lang, "web-held-title", &[]);
    if held.posted {
        let text = t.get(lang, "web-held-already", &[]);
        return page(StatusCode::OK, lang, &title, &format!("<p>{}</p>", escape_html(&text)));
    }
    let field = |name: &str| held.mail.get(name).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let mut body = format!(
        "<p>{}</p><section aria-label=\"{label}\" style=\"border-left:.4rem solid #0b5;padding:.2rem 1rem;margin:1rem 0\">\
         <p><strong>{}</strong></p><p style=\"white-space:pre-wrap\">{}</p></section>{}<p>{}</p>",
        escape_html(&t.get(lang, "web-held-intro", &[("address", Arg::from(held.address.as_str()))])),
        escape_html(&t.get(lang, "web-held-subject", &[("subject", Arg::from(field("subject")))])),
        escape_html(&field("text")),
        button_form("/email/held", &q.t, &t.get(lang, "web-held-button", &[])),
        escape_html(&t.get(lang, "web-held-not-me", &[])),
        label = escape_html(&field("subject")),
    );
    if !others.is_empty() {
        body.push_str(&format!(
            "<h2>{}</h2><ul>",
            escape_html(&t.get(lang, "web-held-others", &[]))
        ));
        for (other, subject) in others {
            let url = core.links.held_url(other, now.timestamp());
            body.push_str(&format!(
                "<li><a href=\"{}\">{}</a></li>",
                escape_html(&url),
                escape_html(if subject.is_empty() { "…" } else { &subject })
            ));
        }
        body.push_str("</ul>");
    }
    page(StatusCode::OK, lang, &title, &body)
}

async fn held_post(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> (StatusCode, Html<String>) {
    use crate::core::held::Released;
    let asked = browser_lang(&headers);
    let now = chrono::Utc::now();
    let Some(id) = core.links.read_held(&q.t, now.timestamp()) else {
        return bad_link(&core, asked);
    };
    let t = core.texts;
    let (lang, text) = match core.release_held(id, now).await {
        Ok(Released::Posted { area, lang }) => {
            let name = core.areas.get(&area).map(|a| a.name.clone()).unwrap_or(area);
            (lang, t.get(lang, "web-held-posted", &[("area", Arg::from(name))]))
        }
        Ok(Released::AlreadyPosted { lang }) => (lang, t.get(lang, "web-held-already", &[])),
        Ok(Released::NotSubscribed) => (asked, t.get(asked, "web-held-not-subscribed", &[])),
        Ok(Released::Gone) => return bad_link(&core, asked),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "posting a held mail failed");
            return try_again(&core, asked);
        }
    };
    let title = t.get(lang, "web-held-title", &[]);
    page(StatusCode::OK, lang, &title, &format!("<p>{}</p>", escape_html(&text)))
}

/// A loan proposal's link in an email: the page asks, its button (POST) confirms or declines.
async fn loan_page(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> (StatusCode, Html<String>) {
    let asked = browser_lang(&headers);
    match core.loan_link_page(&q.t).await {
        Ok(Some((lang, text, button))) => {
            let title = core.texts.get(lang, "web-loan-title", &[]);
            let body = format!(
                "<p>{}</p>{}",
                escape_html(&text),
                button_form("/email/loan", &q.t, &button)
            );
            page(StatusCode::OK, lang, &title, &body)
        }
        Ok(None) => bad_link(&core, asked),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "reading a loan link failed");
            try_again(&core, asked)
        }
    }
}

async fn loan_post(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> (StatusCode, Html<String>) {
    let asked = browser_lang(&headers);
    match core.loan_link_post(&q.t).await {
        Ok(Some((lang, text))) => {
            let title = core.texts.get(lang, "web-loan-title", &[]);
            page(StatusCode::OK, lang, &title, &format!("<p>{}</p>", escape_html(&text)))
        }
        Ok(None) => bad_link(&core, asked),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "following a loan link failed");
            try_again(&core, asked)
        }
    }
}

/// A partner link: counted for the partner and the day (nothing about who follows it), then
/// redirected to the partner. A link this daemon did not sign for this partner is a 404.
async fn partner_link(
    State((core, partners)): State<(Arc<Core>, Arc<Partners>)>,
    headers: HeaderMap,
    Path((id, token)): Path<(String, String)>,
) -> Response {
    let Some(f) = partners.follow(&core.links, &id, &token) else {
        let (t, lang) = (core.texts, browser_lang(&headers));
        return page(
            StatusCode::NOT_FOUND,
            lang,
            &t.get(lang, "web-partner-link-title", &[]),
            &format!("<p>{}</p>", escape_html(&t.get(lang, "web-partner-link-bad", &[]))),
        )
        .into_response();
    };
    let day = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Paris).date_naive();
    if let Err(e) = crate::store::partners::count_click(&core.pool, &f.partner.id, day).await {
        // The neighbour still gets to the partner; only the counter misses one.
        tracing::warn!(partner = %f.partner.id, error = %format!("{e:#}"), "cannot count a partner click");
    }
    Redirect::to(&f.partner.target(core.areas.get(&f.area), &f.item)).into_response()
}

/// A photo (or a document, a video) behind a signed link: the thumbnail or the file while the
/// link is valid (410 once expired), 404 once the file went with its message.
async fn media_link(State(core): State<Arc<Core>>, Path(token): Path<String>) -> Response {
    use crate::core::links::MediaSize;
    let (hash, size) = match core.links.read_media(&token, chrono::Utc::now().timestamp()) {
        Ok(x) => x,
        Err(true) => return (StatusCode::GONE, "this link has expired").into_response(),
        Err(false) => return StatusCode::NOT_FOUND.into_response(),
    };
    let media = match store::media::get(&core.pool, &hash).await {
        Ok(Some(m)) => m,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "cannot read a photo's row");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    // A document or a video is downloaded, not shown by the browser under the daemon's name.
    let disposition = match media.is_image() {
        true => "inline".to_owned(),
        false => format!("attachment; filename=\"{}\"", media.file_name()),
    };
    let (key, mime) = match (size, media.thumb_hash) {
        (MediaSize::Thumb, Some(t)) => (t, "image/jpeg".to_owned()),
        _ => (media.hash, media.mime),
    };
    match core.media_bytes(&key).await {
        Ok(bytes) => (
            [
                (axum::http::header::CONTENT_TYPE, mime),
                (axum::http::header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
                (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                (axum::http::header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a photo from the media store");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// How long /healthz waits for the database: a probe must get an answer even when it is gone.
const HEALTH_DB_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// The database, then each channel's receiving side ("matrix: failing" during a homeserver
/// outage). 503 when the database or a channel is failing. Details are in the logs only: the
/// page is public.
async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    let db_ok = match tokio::time::timeout(HEALTH_DB_WAIT, store::ping(&s.pool)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "/healthz: the database does not answer");
            false
        }
        Err(_) => {
            tracing::warn!(wait = ?HEALTH_DB_WAIT, "/healthz: the database did not answer in time");
            false
        }
    };
    let states = s.metrics.channel_states();
    let failing = states.iter().any(|(_, st)| *st == ChannelState::Failing);
    let mut body = format!(
        "{}\ndatabase: {}\n",
        if db_ok && !failing { "ok" } else { "unhealthy" },
        if db_ok { "ok" } else { "unavailable" }
    );
    for (channel, state) in states {
        body.push_str(&format!("{channel}: {}\n", state.as_str()));
    }
    let status = if db_ok && !failing {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
}

async fn metrics_page(State(s): State<AppState>) -> impl IntoResponse {
    let counts = deliveries::counts(&s.pool).await.unwrap_or_default();
    let mut page = s.metrics.render(&counts);
    // Figures kept in the database (shared by every daemon): digests made, partner clicks.
    let digests = store::digests::counts(&s.pool).await.unwrap_or_default();
    page.push_str("# HELP voisinage_digests_total Digests made, by period and status (empty: nothing sent).\n");
    page.push_str("# TYPE voisinage_digests_total counter\n");
    for (period, status, n) in digests {
        page.push_str(&format!(
            "voisinage_digests_total{{period=\"{period}\",status=\"{status}\"}} {n}\n"
        ));
    }
    let clicks = store::partners::click_totals(&s.pool).await.unwrap_or_default();
    page.push_str(
        "# HELP voisinage_partner_clicks_total Clicks on partner links (per partner; per day in partner_clicks).\n",
    );
    page.push_str("# TYPE voisinage_partner_clicks_total counter\n");
    for (partner, n) in clicks {
        page.push_str(&format!(
            "voisinage_partner_clicks_total{{partner=\"{partner}\"}} {n}\n"
        ));
    }
    let notices = store::failures::counts(&s.pool).await.unwrap_or_default();
    page.push_str(
        "# HELP voisinage_failure_notices_total Authors told that a copy of their message failed for good, by the copy's channel and cause.\n",
    );
    page.push_str("# TYPE voisinage_failure_notices_total counter\n");
    for (channel, cause, n) in notices {
        page.push_str(&format!(
            "voisinage_failure_notices_total{{channel=\"{channel}\",cause=\"{}\"}} {n}\n",
            cause.as_str()
        ));
    }
    trust_metrics(&s.pool, &mut page).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], page)
}

/// The trust-and-safety and question figures of /metrics, from the database: one label each.
async fn trust_metrics(pool: &sqlx::PgPool, page: &mut String) {
    let families = [
        (
            "voisinage_held_mails",
            "Mails held under a subscriber's address until its owner confirms them, by status (held, posted).",
            "gauge",
            "status",
            store::held_mails::counts(pool).await,
        ),
        (
            "voisinage_moderation_actions_total",
            "Moderation actions logged, by action.",
            "counter",
            "action",
            store::moderation::counts(pool).await,
        ),
        (
            "voisinage_questions_total",
            "Questions asked about unsure readings, by answer (open while unanswered).",
            "counter",
            "answer",
            store::questions::counts(pool).await,
        ),
        (
            "voisinage_loans",
            "Loans between neighbours, by state (proposed, active, overdue, returned, cancelled, declined).",
            "gauge",
            "state",
            store::loans::counts(pool).await,
        ),
    ];
    for (name, help, kind, label, rows) in families {
        page.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (value, n) in rows.unwrap_or_default() {
            page.push_str(&format!("{name}{{{label}=\"{value}\"}} {n}\n"));
        }
    }
}

/// Serves until `shutdown`.
pub async fn serve(listener: tokio::net::TcpListener, app: Router, shutdown: CancellationToken) -> anyhow::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
    Ok(())
}

/// Binds the listen address, with a clear error when it is taken.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (http.listen): {e}"))
}
