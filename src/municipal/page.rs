//! The chrome of the municipal pages: one accessible, server-rendered layout (no JavaScript),
//! readable on a phone, with high contrast and visible keyboard focus.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Html;

use crate::i18n::{Lang, escape_html};

/// A whole page: `body_html` is already escaped HTML; `title` is plain text.
pub fn layout(status: StatusCode, lang: Lang, title: &str, body_html: &str) -> (StatusCode, Html<String>) {
    layout_with_head(status, lang, title, "", body_html)
}

/// [`layout`] with more in the page's `<head>` (`head_html`, already escaped: a feed's
/// `<link rel="alternate">`).
pub fn layout_with_head(
    status: StatusCode,
    lang: Lang,
    title: &str,
    head_html: &str,
    body_html: &str,
) -> (StatusCode, Html<String>) {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title>{head_html}<style>{STYLE}</style></head><body>\
             <a class=\"skip\" href=\"#main\">{skip}</a>\
             <main id=\"main\"><h1>{title}</h1>{body_html}</main></body></html>",
            title = escape_html(title),
            skip = match lang {
                Lang::En => "Skip to content",
                Lang::Fr => "Aller au contenu",
            },
        )),
    )
}

/// The language the browser prefers (Accept-Language): English when it asks for it first.
pub fn browser_lang(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::accepted)
        .unwrap_or_default()
}

/// The staff pages' own words, French or English (what residents read is in bot-scripts/).
pub fn tr(lang: Lang, fr: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

/// Dark text on white (contrast above 12:1), a focus ring on every control, tables and forms
/// that fit a phone's width.
const STYLE: &str = "body{font:1.1rem/1.5 system-ui,sans-serif;max-width:48rem;margin:0 auto;\
padding:1rem;color:#111;background:#fff}h1{font-size:1.7rem}h2{font-size:1.3rem}\
a{color:#0645ad}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid \
#c60;outline-offset:2px}.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;\
background:#fff;padding:.4rem}label{display:block;font-weight:600;margin-top:1rem}\
input,select,textarea{font:inherit;width:100%;max-width:100%;box-sizing:border-box;\
padding:.5rem;border:2px solid #555;border-radius:.3rem}input[type=checkbox],\
input[type=radio]{width:auto}button{font:inherit;padding:.6rem 1.2rem;background:#064;\
color:#fff;border:0;border-radius:.3rem;margin-top:1rem}table{border-collapse:collapse;\
width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #999}\
.note{color:#333;font-size:.95rem}.error{color:#a00;font-weight:600}\
.signout button{background:#444}fieldset{border:2px solid #999;border-radius:.3rem;\
margin-top:1rem}[aria-invalid=true]{border-color:#a00}article{border-top:1px solid #999;\
padding:.3rem 0 .8rem}article h2{margin:.5rem 0}.text{white-space:pre-line}\
.urgent{display:inline-block;background:#a00;color:#fff;padding:0 .4rem;border-radius:.2rem}@media print{.skip,form,nav{display:none}}";

/// The page of an unknown commune, announcement or poll.
pub fn not_found() -> (StatusCode, Html<String>) {
    layout(
        StatusCode::NOT_FOUND,
        Lang::Fr,
        "Page introuvable / Not found",
        "<p>Cette page n'existe pas. / This page does not exist.</p>",
    )
}

/// The page shown when the store failed (logged with what failed: "a poll", …).
pub fn failed(e: &anyhow::Error, what: &str) -> (StatusCode, Html<String>) {
    tracing::warn!(error = %format!("{e:#}"), "{what} page failed");
    layout(
        StatusCode::SERVICE_UNAVAILABLE,
        Lang::Fr,
        "Réessayez / Try again",
        "<p>Un problème passager : réessayez dans un instant. / A passing problem: try again shortly.</p>",
    )
}
