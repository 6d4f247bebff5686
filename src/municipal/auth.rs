//! Staff sign-in and sessions for the municipal pages.
//!
//! - `/mairie/connexion`: an address asks for a link. When it is on some commune's staff, a
//!   signed, single-use link valid 15 minutes is queued by email (through the outbox, in the
//!   transaction that stores the link's hash). The answer page is the same whether or not the
//!   address is known; requests are limited per address and per client.
//! - `/mairie/connexion/lien?t=…`: GET shows a button (mail scanners follow links), POST uses
//!   the link once and opens a session: a cookie holding a signed secret (HMAC with the link
//!   key), HttpOnly, SameSite=Strict, Secure under https, Path=/mairie, 12 hours, whose hash is
//!   a `muni_sessions` row (revocable: `/mairie/deconnexion`).
//! - [`Staff`]: the extractor of the staff pages; CSRF: a per-session token on every form.

use axum::extract::{Form, FromRequestParts, Query, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};

use super::page::{self, browser_lang, tr};
use super::{MuniState, Role};
use crate::core::model::{Address, ChannelKind, OutKind, Outgoing};
use crate::i18n::{Arg, Lang, escape_html};
use crate::store::deliveries::NewDelivery;
use crate::store::municipal as db;

/// How long a sign-in link is valid.
pub const LINK_VALID_MINUTES: i64 = 15;
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Sign-in requests allowed per address, and per client, in [`RATE_WINDOW_MINUTES`].
pub const PER_ADDRESS: i64 = 5;
pub const PER_CLIENT: i64 = 20;
pub const RATE_WINDOW_MINUTES: i64 = 15;

const SESSION_COOKIE: &str = "muni_session";
/// The double-submit cookie of the forms used before signing in.
const PRE_COOKIE: &str = "muni_pre";

/// A signed-in staff member of the commune named by the request's `{commune}` path segment.
/// Only [`FromRequestParts`] builds one, after checking the session cookie and that this
/// person is on that commune's staff; a handler taking a `Staff` is therefore staff-only.
#[derive(Clone, Debug)]
pub struct Staff {
    pub email: String,
    /// The commune's slug (the URL's `{commune}`).
    pub commune: String,
    pub role: Role,
    /// This session's anti-CSRF token.
    csrf: String,
}

impl Staff {
    pub fn is_editor(&self) -> bool {
        self.role == Role::Editor
    }

    /// The hidden form field every staff form must carry.
    pub fn csrf_field(&self) -> String {
        format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", self.csrf)
    }

    /// Checks a submitted form's `csrf` field.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Denied> {
        if !self.csrf.is_empty() && submitted == self.csrf {
            Ok(())
        } else {
            Err(Denied::FORM_EXPIRED)
        }
    }

    /// Editors only.
    pub fn require_editor(&self) -> Result<(), Denied> {
        if self.is_editor() {
            Ok(())
        } else {
            Err(Denied::EDITORS_ONLY)
        }
    }
}

/// A refusal of a staff request; its response is a short page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied {
    pub status: StatusCode,
    /// French then English, plain text.
    pub message: &'static str,
}

impl Denied {
    pub const FORM_EXPIRED: Denied = Denied {
        status: StatusCode::FORBIDDEN,
        message: "Ce formulaire a expiré : rechargez la page. / This form expired: reload the page.",
    };
    pub const EDITORS_ONLY: Denied = Denied {
        status: StatusCode::FORBIDDEN,
        message: "Réservé aux éditeurs de la commune. / Editors of the commune only.",
    };
    pub const WRONG_COMMUNE: Denied = Denied {
        status: StatusCode::FORBIDDEN,
        message: "Vous ne faites pas partie des agents de cette commune. / You are not on this commune's staff.",
    };
    pub const NO_COMMUNE: Denied = Denied {
        status: StatusCode::NOT_FOUND,
        message: "Cette commune n'a pas d'espace mairie. / This commune has no staff pages.",
    };
    pub const TRY_AGAIN: Denied = Denied {
        status: StatusCode::SERVICE_UNAVAILABLE,
        message: "Le service ne répond pas : réessayez dans un instant. / The service did not answer: try again shortly.",
    };
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        let (fr, en) = self.message.split_once(" / ").unwrap_or((self.message, self.message));
        let body = format!(
            "<p>{}</p><p lang=\"en\">{}</p><p><a href=\"/mairie\">Espace mairie / Staff pages</a></p>",
            escape_html(fr),
            escape_html(en)
        );
        page::layout(self.status, Lang::Fr, "Mairie", &body).into_response()
    }
}

/// A valid session: who, its CSRF token, and the hash that names it.
#[derive(Clone, Debug)]
pub struct Session {
    pub email: String,
    csrf: String,
    hash: String,
}

impl Session {
    pub fn csrf_field(&self) -> String {
        format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", self.csrf)
    }
}

impl FromRequestParts<MuniState> for Session {
    type Rejection = Response;

    /// A signed-in person (any commune); not signed in: a redirection to the sign-in page.
    async fn from_request_parts(parts: &mut Parts, state: &MuniState) -> Result<Self, Self::Rejection> {
        match session_of(&parts.headers, state).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(to_signin()),
            Err(()) => Err(Denied::TRY_AGAIN.into_response()),
        }
    }
}

impl FromRequestParts<MuniState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &MuniState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let slug = params
            .iter()
            .find(|(k, _)| *k == "commune")
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default();
        let Some(commune) = state.settings.commune(&slug) else {
            return Err(Denied::NO_COMMUNE.into_response());
        };
        let Some(entry) = commune.staff.iter().find(|s| s.email == session.email) else {
            return Err(Denied::WRONG_COMMUNE.into_response());
        };
        Ok(Staff {
            email: session.email,
            commune: commune.slug.clone(),
            role: entry.role,
            csrf: session.csrf,
        })
    }
}

/// The peer's address, when the server was started with connection info (http::serve is).
pub struct Peer(Option<std::net::SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let info = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(Peer(info.map(|c| c.0)))
    }
}

fn to_signin() -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/mairie/connexion")]).into_response()
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `N` random bytes in hexadecimal: secrets (32) and the forms' one-time tokens (16).
pub fn random_hex<const N: usize>() -> String {
    rand::random::<[u8; N]>().iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of cookie `name` in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('='))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/mairie, Secure under https.
fn set_cookie(state: &MuniState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.core.links.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Max-Age={max_age}; Path=/mairie; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("cookie values are hex and ASCII")
}

/// The session the request's cookie names, if it is genuine, open and unexpired.
async fn session_of(headers: &HeaderMap, state: &MuniState) -> Result<Option<Session>, ()> {
    let Some(secret) = cookie(headers, SESSION_COOKIE)
        .and_then(|c| state.core.links.signer.verify(c))
        .and_then(|p| p.strip_prefix("ms|").map(str::to_owned))
    else {
        return Ok(None);
    };
    let hash = sha256_hex(&secret);
    match db::session(&state.core.pool, &hash, Utc::now()).await {
        Ok(found) => Ok(found.map(|(email, csrf)| Session { email, csrf, hash })),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "reading a staff session failed");
            Err(())
        }
    }
}

/// The client a request comes from: the peer's address, or, when the peer is this machine (a
/// reverse proxy in front of the daemon), the last address of X-Forwarded-For.
fn client_of(parts_headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> String {
    let forwarded = || {
        parts_headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    match peer {
        Some(p) if !p.ip().is_loopback() => p.ip().to_string(),
        _ => forwarded().unwrap_or_else(|| peer.map_or("unknown".into(), |p| p.ip().to_string())),
    }
}

/// The double-submit token of the forms before sign-in: the cookie's, or a fresh one.
fn pre_token(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, PRE_COOKIE).filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(c) => (c.to_owned(), false),
        None => (random_hex::<32>(), true),
    }
}

/// A page of the sign-in, setting the double-submit cookie when it is new.
fn pre_page(
    state: &MuniState,
    headers: &HeaderMap,
    status: StatusCode,
    lang: Lang,
    title: &str,
    body: &dyn Fn(&str) -> String,
) -> Response {
    let (token, fresh) = pre_token(headers);
    let field = format!("<input type=\"hidden\" name=\"csrf\" value=\"{token}\">");
    let mut r = page::layout(status, lang, title, &body(&field)).into_response();
    if fresh {
        r.headers_mut()
            .append(header::SET_COOKIE, set_cookie(state, PRE_COOKIE, &token, 3600));
    }
    r
}

fn pre_ok(headers: &HeaderMap, submitted: &str) -> bool {
    cookie(headers, PRE_COOKIE).is_some_and(|c| !c.is_empty() && c == submitted)
}

fn signin_form(lang: Lang, field: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{}</p>", escape_html(e)))
        .unwrap_or_default();
    format!(
        "{error}<p>{intro}</p><form method=\"post\" action=\"/mairie/connexion\">{field}\
         <label for=\"email\">{label}</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required>\
         <button type=\"submit\">{button}</button></form>",
        intro = escape_html(tr(
            lang,
            "Agents de la mairie : indiquez votre adresse, nous vous envoyons un lien de connexion.",
            "Municipal staff: give your address and we will send you a sign-in link."
        )),
        label = tr(lang, "Adresse électronique", "Email address"),
        button = tr(lang, "Recevoir le lien", "Send me the link"),
    )
}

fn signin_title(lang: Lang) -> &'static str {
    tr(lang, "Connexion à l'espace mairie", "Sign in to the staff pages")
}

/// How long an ended sign-in link or session is kept (for an operator looking into a
/// sign-in) before the scheduler deletes it.
pub const ENDED_KEPT_HOURS: i64 = 24;

/// Deletes the sign-in links and sessions that ended more than [`ENDED_KEPT_HOURS`] before
/// `now` (the scheduler's step); how many.
pub async fn purge_ended(pool: &sqlx::PgPool, now: chrono::DateTime<Utc>) -> anyhow::Result<u64> {
    db::purge_ended(pool, now - Duration::hours(ENDED_KEPT_HOURS)).await
}

pub async fn signin_page(State(state): State<MuniState>, headers: HeaderMap) -> Response {
    let lang = browser_lang(&headers);
    pre_page(&state, &headers, StatusCode::OK, lang, signin_title(lang), &|f| {
        signin_form(lang, f, None)
    })
}

#[derive(serde::Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf: String,
}

pub async fn signin_post(
    State(state): State<MuniState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(form): Form<SigninForm>,
) -> Response {
    let lang = browser_lang(&headers);
    if !pre_ok(&headers, &form.csrf) {
        return Denied::FORM_EXPIRED.into_response();
    }
    let Some(email) = crate::core::subscriptions::normalize_address(&form.email) else {
        let error = tr(
            lang,
            "Ce n'est pas une adresse électronique.",
            "That is not an email address.",
        );
        return pre_page(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            lang,
            signin_title(lang),
            &|f| signin_form(lang, f, Some(error)),
        );
    };
    let client = client_of(&headers, peer);
    let since = Utc::now() - Duration::minutes(RATE_WINDOW_MINUTES);
    let sent = async {
        let (by_address, by_client) = db::record_signin_request(&state.core.pool, &email, &client, since).await?;
        if by_address > PER_ADDRESS || by_client > PER_CLIENT {
            return anyhow::Ok(false);
        }
        if state
            .settings
            .communes
            .iter()
            .any(|c| c.staff.iter().any(|s| s.email == email))
        {
            send_link(&state, &email, lang).await?;
        }
        Ok(true)
    };
    match sent.await {
        Ok(true) => {
            let text = tr(
                lang,
                "Si cette adresse est celle d'un agent d'une commune, un lien de connexion vient d'y partir. Il est valable 15 minutes et ne sert qu'une fois.",
                "If this address belongs to a commune's staff, a sign-in link is on its way to it. It is valid for 15 minutes and works once.",
            );
            page::layout(
                StatusCode::OK,
                lang,
                signin_title(lang),
                &format!("<p>{}</p>", escape_html(text)),
            )
            .into_response()
        }
        Ok(false) => {
            let text = tr(
                lang,
                "Trop de demandes de connexion : attendez un quart d'heure avant de réessayer.",
                "Too many sign-in requests: wait a quarter of an hour before trying again.",
            );
            page::layout(
                StatusCode::TOO_MANY_REQUESTS,
                lang,
                signin_title(lang),
                &format!("<p role=\"alert\">{}</p>", escape_html(text)),
            )
            .into_response()
        }
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "a staff sign-in request failed");
            Denied::TRY_AGAIN.into_response()
        }
    }
}

/// Stores a fresh link for `email` and queues its mail, in one transaction.
async fn send_link(state: &MuniState, email: &str, lang: Lang) -> anyhow::Result<()> {
    let core = &state.core;
    let secret = random_hex::<32>();
    let hash = sha256_hex(&secret);
    let url = format!(
        "{}/mairie/connexion/lien?t={}",
        core.links.public_url,
        core.links.signer.sign(&format!("ml|{secret}"))
    );
    let mut tx = core.pool.begin().await?;
    db::add_signin_link(
        &mut tx,
        &hash,
        email,
        Utc::now() + Duration::minutes(LINK_VALID_MINUTES),
    )
    .await?;
    let t = core.texts;
    let args = [("link", Arg::from(url.as_str()))];
    let mut mail = Outgoing::new(OutKind::Answer, t.get(lang, "muni-signin-body", &args)).in_lang(lang);
    mail.subject = Some(t.get(lang, "muni-signin-subject", &[]));
    let delivery = NewDelivery {
        to: Address {
            channel: ChannelKind::Email,
            target: email.to_owned(),
        },
        msg: mail,
        dedupe_key: format!("muni-signin:{hash}"),
        cause: None,
    };
    core.commit_queue(tx, &[delivery]).await?;
    Ok(())
}

/// The secret a sign-in link carries, if this daemon signed it.
fn link_secret(state: &MuniState, token: &str) -> Option<String> {
    state
        .core
        .links
        .signer
        .verify(token)?
        .strip_prefix("ml|")
        .map(str::to_owned)
}

fn bad_link(lang: Lang) -> Response {
    let text = tr(
        lang,
        "Ce lien de connexion n'est pas valable : il a déjà servi, a expiré (15 minutes) ou est incomplet.",
        "This sign-in link is not valid: it was used already, expired (15 minutes) or is incomplete.",
    );
    let again = tr(lang, "Demander un nouveau lien", "Ask for a new link");
    page::layout(
        StatusCode::BAD_REQUEST,
        lang,
        signin_title(lang),
        &format!(
            "<p role=\"alert\">{}</p><p><a href=\"/mairie/connexion\">{again}</a></p>",
            escape_html(text)
        ),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    t: String,
}

pub async fn link_page(State(state): State<MuniState>, headers: HeaderMap, Query(q): Query<LinkQuery>) -> Response {
    let lang = browser_lang(&headers);
    let Some(secret) = link_secret(&state, &q.t) else {
        return bad_link(lang);
    };
    match db::signin_link(&state.core.pool, &sha256_hex(&secret), Utc::now()).await {
        Ok(Some(_)) => {}
        Ok(None) => return bad_link(lang),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "reading a sign-in link failed");
            return Denied::TRY_AGAIN.into_response();
        }
    }
    let body = |field: &str| {
        format!(
            "<form method=\"post\" action=\"/mairie/connexion/lien\">{field}\
             <input type=\"hidden\" name=\"t\" value=\"{t}\"><button type=\"submit\">{button}</button></form>",
            t = escape_html(&q.t),
            button = tr(lang, "Me connecter", "Sign me in"),
        )
    };
    pre_page(&state, &headers, StatusCode::OK, lang, signin_title(lang), &body)
}

#[derive(serde::Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    t: String,
    #[serde(default)]
    csrf: String,
}

pub async fn link_post(State(state): State<MuniState>, headers: HeaderMap, Form(form): Form<LinkForm>) -> Response {
    let lang = browser_lang(&headers);
    if !pre_ok(&headers, &form.csrf) {
        return Denied::FORM_EXPIRED.into_response();
    }
    let Some(secret) = link_secret(&state, &form.t) else {
        return bad_link(lang);
    };
    let session = random_hex::<32>();
    let opened = async {
        let mut tx = state.core.pool.begin().await?;
        let Some(email) = db::take_signin_link(&mut tx, &sha256_hex(&secret), Utc::now()).await? else {
            return anyhow::Ok(false);
        };
        let expires = Utc::now() + Duration::hours(SESSION_HOURS);
        db::add_session(&mut tx, &sha256_hex(&session), &email, &random_hex::<32>(), expires).await?;
        tx.commit().await?;
        Ok(true)
    };
    match opened.await {
        Ok(true) => {
            let value = state.core.links.signer.sign(&format!("ms|{session}"));
            let mut r = to_home();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, &value, SESSION_HOURS * 3600),
            );
            r
        }
        Ok(false) => bad_link(lang),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "opening a staff session failed");
            Denied::TRY_AGAIN.into_response()
        }
    }
}

fn to_home() -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/mairie")]).into_response()
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn signout_post(State(state): State<MuniState>, session: Session, Form(form): Form<CsrfForm>) -> Response {
    if session.csrf.is_empty() || form.csrf != session.csrf {
        return Denied::FORM_EXPIRED.into_response();
    }
    if let Err(e) = db::revoke_session(&state.core.pool, &session.hash).await {
        tracing::warn!(error = %format!("{e:#}"), "signing out failed");
        return Denied::TRY_AGAIN.into_response();
    }
    let mut r = to_signin();
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", 0));
    r
}

/// The sign-out button, for every staff page.
pub fn signout_form(lang: Lang, csrf_field: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/mairie/deconnexion\" class=\"signout\">{csrf_field}\
         <button type=\"submit\">{}</button></form>",
        tr(lang, "Me déconnecter", "Sign out")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; muni_pre=xyz; muni_session=s"),
        );
        assert_eq!(cookie(&h, "muni_session"), Some("s"));
        assert_eq!(cookie(&h, "muni_pre"), Some("xyz"));
        assert_eq!(cookie(&h, "muni"), None);
    }

    #[test]
    fn the_client_is_the_peer_unless_a_local_proxy_forwards() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9, 198.51.100.7"));
        let local = "127.0.0.1:9".parse().ok();
        let remote = "192.0.2.1:9".parse().ok();
        assert_eq!(client_of(&h, local), "198.51.100.7");
        assert_eq!(client_of(&h, remote), "192.0.2.1");
        assert_eq!(client_of(&HeaderMap::new(), local), "127.0.0.1");
    }
}
