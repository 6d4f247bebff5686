//! The email channel (lettre): every email has a plain-text part and an HTML part (the layout
//! in bot-scripts/email/layout.html, a minijinja template: large type, high contrast), and, for subscribers, a
//! `List-Unsubscribe` link with `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
//! Email leaves through an SMTP server (a connection pool) or as .eml files (`voisinage try`,
//! tests). The Message-ID is made from the delivery id, so a resent email is recognisable.
//! Everything the bot sends is marked `Auto-Submitted` (RFC 3834), so that vacation responders
//! do not answer it; an answer to a received mail threads with it (`In-Reply-To`, `References`).

mod clean;
mod imap;

pub use imap::MailReader;

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::{Environment, Value, context};
use secrecy::ExposeSecret;
use sqlx::PgPool;

use crate::config::{EmailSettings, EmailTransport, SmtpSecurity};
use crate::core::links::Links;
use crate::core::model::{ChannelKind, OutKind, Outgoing};
use crate::core::subscriptions::plus_address;
use crate::core::{Channel, SendError};
use crate::i18n::{Arg, Texts, escape_html};
use crate::store;

/// The HTML layout, built in (edited in bot-scripts/email/): a minijinja template, rendered in
/// one pass (a neighbour writing "{{footer}}" stays text) and with its notes in `{# #}`
/// comments, which do not reach the email.
static LAYOUT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("layout.html", include_str!("../../../bot-scripts/email/layout.html"))
        .expect("the built-in email layout compiles");
    env
});

/// The layout filled in with `title`, `body` and `footer`, each already escaped HTML.
fn layout(title: &str, body: &str, footer: &str) -> Result<String, minijinja::Error> {
    LAYOUT.get_template("layout.html")?.render(context! {
        title => Value::from_safe_string(title.to_owned()),
        body => Value::from_safe_string(body.to_owned()),
        footer => Value::from_safe_string(footer.to_owned()),
    })
}

/// The Message-ID (with its angle brackets) of the message `reply_to` names, for `In-Reply-To`:
/// a received mail's Message-ID, or one of the bot's own emails (`voisinage-N`, the remote id
/// `send` returns); None for a mail that had no Message-ID (its fingerprint, `sha:…`).
fn message_ref(reply_to: &str, domain: &str) -> Option<String> {
    let id = reply_to.trim().trim_matches(['<', '>']);
    let bare_ok = |s: &str| !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || "<>\"".contains(c));
    if id.contains('@') && bare_ok(id) {
        return Some(format!("<{id}>"));
    }
    let ours = id
        .strip_prefix("voisinage-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    ours.then(|| format!("<{id}@{domain}>"))
}

enum Transport {
    /// The pool, and the server ("host:port") for logs.
    Smtp(AsyncSmtpTransport<Tokio1Executor>, String),
    Files(PathBuf),
}

/// The email adapter.
pub struct Email {
    transport: Transport,
    from: Mailbox,
    pool: PgPool,
    links: Links,
    texts: &'static Texts,
    /// The media store, for photos shown inline (given once the core is built).
    media: std::sync::OnceLock<crate::channels::MediaAccess>,
    /// Mails carrying a photo built at once: as many as SMTP connections, so a photo sent to
    /// thousands of subscribers holds a few mails in memory, not one per outbox slot waiting
    /// for a connection.
    photo_slots: tokio::sync::Semaphore,
}

/// A photo inside an email: its Content-ID and bytes, and the `<img>` that shows it; or a
/// document or a video, attached under `attached` (its file name), `html` then naming it.
struct Inline {
    cid: String,
    mime: lettre::message::header::ContentType,
    bytes: Vec<u8>,
    html: String,
    attached: Option<String>,
}

impl Email {
    /// Gives the adapter the media store, to show photos inline (called once).
    pub fn use_media(&self, access: crate::channels::MediaAccess) {
        let _ = self.media.set(access);
    }

    /// The photos of `msg` (an album has several), to show inline (cid:) in the HTML part, or
    /// its document or video, attached; empty for a message without one. Digests carry no file
    /// here: their thumbnails link to the daemon instead.
    async fn inline_photos(&self, msg: &Outgoing, domain: &str) -> Result<Vec<Inline>, SendError> {
        let mut out = Vec::new();
        for media in msg.media.iter().chain(&msg.more_media) {
            out.push(self.inline_photo(media, domain).await?);
        }
        Ok(out)
    }

    /// One file of a message, as [`inline_photos`](Self::inline_photos) shows it.
    async fn inline_photo(&self, media: &crate::core::model::Media, domain: &str) -> Result<Inline, SendError> {
        let access = self
            .media
            .get()
            .ok_or_else(|| SendError::Permanent("the email channel has no media store".into()))?;
        let bytes = access.bytes(media).await?;
        let mime = lettre::message::header::ContentType::parse(&media.mime)
            .map_err(|e| SendError::Permanent(format!("bad media type {}: {e}", media.mime)))?;
        if !media.is_image() {
            let name = media.file_name();
            return Ok(Inline {
                cid: String::new(),
                mime,
                bytes,
                html: format!("<p>📎 {}</p>", escape_html(&name)),
                attached: Some(name),
            });
        }
        let cid = format!("photo-{}@{domain}", &media.hash[..16.min(media.hash.len())]);
        let size = match (media.width, media.height) {
            // Shown at most 600 px wide, as mail layouts are.
            (Some(w), Some(h)) if w > 0 => {
                let shown = w.min(600);
                format!(
                    " width=\"{shown}\" height=\"{}\"",
                    i64::from(h) * i64::from(shown) / i64::from(w)
                )
            }
            _ => String::new(),
        };
        let html = format!(
            "<p><img src=\"cid:{cid}\" alt=\"photo\"{size} style=\"max-width:100%;height:auto;border-radius:6px\"></p>"
        );
        Ok(Inline {
            cid,
            mime,
            bytes,
            html,
            attached: None,
        })
    }

    /// The adapter for `settings`; `data_dir` anchors a relative `files_dir`.
    pub fn new(
        settings: &EmailSettings,
        data_dir: &std::path::Path,
        pool: PgPool,
        links: Links,
        texts: &'static Texts,
    ) -> anyhow::Result<Arc<Email>> {
        let from: Mailbox = settings
            .from
            .parse()
            .with_context(|| format!("channels.email.from `{}` is not an address", settings.from))?;
        let transport = match settings.transport {
            EmailTransport::Files => Transport::Files(data_dir.join(&settings.files_dir)),
            EmailTransport::Smtp => {
                let host = settings.smtp_host.as_str();
                let builder = match settings.smtp_security {
                    SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
                    SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
                    SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                };
                let mut builder = builder
                    .port(settings.smtp_port)
                    .timeout(Some(Duration::from_secs(30)))
                    .pool_config(PoolConfig::new().max_size(settings.smtp_pool.max(1)));
                if let (Some(user), Some(password)) = (&settings.smtp_user, &settings.smtp_password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.expose_secret().to_owned()));
                }
                Transport::Smtp(builder.build(), format!("{host}:{}", settings.smtp_port))
            }
        };
        Ok(Arc::new(Email {
            transport,
            from,
            pool,
            links,
            texts,
            media: std::sync::OnceLock::new(),
            photo_slots: tokio::sync::Semaphore::new(settings.smtp_pool.max(1) as usize),
        }))
    }

    /// Logs once whether the SMTP server answers: INFO when it does; a WARN when it does not
    /// (emails wait in the outbox meanwhile, and the outbox logs when sends work again).
    pub async fn log_connection(&self) {
        let Transport::Smtp(smtp, server) = &self.transport else {
            return;
        };
        match smtp.test_connection().await {
            Ok(true) => tracing::info!(%server, "SMTP: connected"),
            Ok(false) => tracing::warn!(%server, "SMTP: the server did not answer; emails wait in the outbox"),
            Err(e) => tracing::warn!(%server, error = %e, "SMTP: cannot connect; emails wait in the outbox"),
        }
    }

    /// The message for `to`: both parts, the unsubscribe headers for a subscriber.
    async fn compose(&self, delivery_id: i64, to: &str, msg: &Outgoing) -> Result<Message, SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| SendError::Gone(format!("`{to}` is not an email address: {e}")))?;
        // The words added here (footer, reply line) in the reader's language: the message
        // names it (the core sets it on what it sends by email).
        let lang = msg.lang.unwrap_or_default();
        let subscription = store::subscriptions::active_footer(&self.pool, to.email.as_ref())
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let subject = msg.subject.clone().unwrap_or_else(|| "Voisinage".to_owned());
        let (footer_text, footer_html, unsubscribe) = match subscription {
            Some((id, area)) => {
                let link = self.links.unsubscribe_url(id);
                let args = [("area", Arg::from(area))];
                // Words with the link behind them in HTML; plain text has no links, so the
                // URL follows the words on its own line there.
                let text = format!(
                    "{}\n{}\n{link}",
                    self.texts.get(lang, "email-footer", &args),
                    self.texts.get(lang, "email-unsubscribe-text", &[])
                );
                let html = format!(
                    "{}<br><a href=\"{}\">{}</a>",
                    self.texts.get_html(lang, "email-footer", &args, &["area"], &[]),
                    escape_html(&link),
                    escape_html(&self.texts.get(lang, "email-unsubscribe", &[]))
                );
                (text, html, Some(link))
            }
            None => (String::new(), String::new(), None),
        };
        // Answering this email reaches the author of the relayed message: Reply-To and a link
        // go to the bot's plus-address carrying the message's token.
        let reply_to: Option<Mailbox> = msg
            .reply_token
            .as_ref()
            .and_then(|t| plus_address(self.from.email.as_ref(), t)?.parse().ok());
        let (reply_line, reply_html) = match &reply_to {
            Some(r) => {
                let line = self
                    .texts
                    .get(lang, "email-reply-line", &[("address", Arg::from(r.email.to_string()))]);
                (
                    format!("\n\n{line}"),
                    format!(
                        "<p><a href=\"mailto:{addr}\">{label}</a></p>",
                        addr = escape_html(r.email.as_ref()),
                        label = escape_html(&self.texts.get(lang, "email-reply-button", &[]))
                    ),
                )
            }
            None => (String::new(), String::new()),
        };
        let plain = if footer_text.is_empty() {
            format!("{}{reply_line}", msg.text)
        } else {
            format!("{}{reply_line}\n\n-- \n{footer_text}", msg.text)
        };
        let body_html = msg.html.clone().unwrap_or_else(|| escape_html(&msg.text));
        let domain = self.from.email.domain().to_owned();
        let inline = self.inline_photos(msg, &domain).await?;
        let photo_html: String = inline.iter().map(|i| i.html.as_str()).collect();
        let html = layout(
            &escape_html(&subject),
            &format!("{}{photo_html}{reply_html}", linkify(&body_html)),
            &footer_html,
        )
        .map_err(|e| SendError::Permanent(format!("cannot lay the email out: {e}")))?;
        // A neighbour's words come from the bot's address under their name ("Marie via
        // Voisinage"): her own address in From would fail her domain's DMARC here.
        let from = match &msg.from_name {
            Some(name) => {
                let bot = self.from.name.clone().unwrap_or_else(|| "Voisinage".to_owned());
                let name: String = name.chars().filter(|c| !c.is_control()).collect();
                let args = [("name", Arg::from(name.trim())), ("bot", Arg::from(bot))];
                Mailbox::new(
                    Some(self.texts.get(lang, "email-from-via", &args)),
                    self.from.email.clone(),
                )
            }
            None => self.from.clone(),
        };
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<voisinage-{delivery_id}@{domain}>")));
        // RFC 3834: what the bot sends is automatic, so vacation responders leave it alone;
        // an answer or notice about a received mail is a reply to it, in its thread.
        let answered = msg.reply_to.as_deref().and_then(|r| message_ref(r, &domain));
        let replied = answered.is_some() && matches!(msg.kind, OutKind::Answer | OutKind::Notice);
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            if replied { "auto-replied" } else { "auto-generated" }.to_owned(),
        ));
        if let Some(id) = answered {
            builder = builder.in_reply_to(id.clone()).references(id);
        }
        if let Some(r) = reply_to {
            builder = builder.reply_to(r);
        }
        if let Some(link) = unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{link}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let body = with_files(MultiPart::alternative_plain_html(plain, html), inline);
        builder
            .multipart(body)
            .map_err(|e| SendError::Permanent(format!("cannot build the email: {e}")))
    }
}

/// The words of a mail with its files: multipart/related with the photos the HTML shows by
/// their Content-ID, inside multipart/mixed with the documents or videos attached.
fn with_files(body: MultiPart, files: Vec<Inline>) -> MultiPart {
    let (attached, shown): (Vec<Inline>, Vec<Inline>) = files.into_iter().partition(|f| f.attached.is_some());
    let body = match shown.is_empty() {
        true => body,
        false => shown.into_iter().fold(MultiPart::related().multipart(body), |m, i| {
            m.singlepart(lettre::message::Attachment::new_inline(i.cid).body(i.bytes, i.mime))
        }),
    };
    match attached.is_empty() {
        true => body,
        false => attached.into_iter().fold(MultiPart::mixed().multipart(body), |m, f| {
            let name = f.attached.unwrap_or_default();
            m.singlepart(lettre::message::Attachment::new(name).body(f.bytes, f.mime))
        }),
    }
}

/// Makes the http(s) links of escaped HTML clickable (links already shown as words, in an
/// `href`, or the address of an image, `src`, stay as they are).
fn linkify(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("http") {
        let (before, from) = rest.split_at(i);
        out.push_str(before);
        if !(from.starts_with("https://") || from.starts_with("http://")) {
            out.push_str("http");
            rest = &from[4..];
            continue;
        }
        let end = from
            .find(|c: char| c.is_whitespace() || c == '<' || c == '"')
            .unwrap_or(from.len());
        let url = &from[..end];
        if out.ends_with("href=\"") || out.ends_with("src=\"") {
            out.push_str(url);
        } else {
            out.push_str(&format!("<a href=\"{url}\">{url}</a>"));
        }
        rest = &from[end..];
    }
    out.push_str(rest);
    out
}

#[async_trait]
impl Channel for Email {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    async fn send(&self, delivery_id: i64, target: &str, msg: &Outgoing) -> Result<String, SendError> {
        let _slot = match msg.media {
            Some(_) => Some(
                self.photo_slots
                    .acquire()
                    .await
                    .map_err(|e| SendError::Transient(e.to_string()))?,
            ),
            None => None,
        };
        let email = self.compose(delivery_id, target, msg).await?;
        let id = format!("voisinage-{delivery_id}");
        match &self.transport {
            Transport::Files(dir) => {
                let write = || -> std::io::Result<()> {
                    std::fs::create_dir_all(dir)?;
                    let tmp = dir.join(format!(".{id}.eml.tmp"));
                    std::fs::write(&tmp, email.formatted())?;
                    std::fs::rename(&tmp, dir.join(format!("{id}.eml")))
                };
                write().map_err(|e| SendError::Unavailable(format!("writing to {}: {e}", dir.display())))?;
                Ok(id)
            }
            Transport::Smtp(smtp, _) => match smtp.send(email).await {
                Ok(_) => Ok(id),
                // The recipient refused for good (unknown mailbox…): this address is gone.
                Err(e) if e.is_permanent() => Err(SendError::Gone(e.to_string())),
                Err(e) => Err(SendError::Unavailable(e.to_string())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{layout, linkify, message_ref};

    #[test]
    fn the_layout_carries_its_content_once_and_no_comment() {
        let html = layout("Sujet", "Corps {{footer}}", "Pied").unwrap();
        assert_eq!(html.matches("Sujet").count(), 2, "the <title> and the heading: {html}");
        assert_eq!(html.matches("Corps").count(), 1, "{html}");
        assert_eq!(html.matches("Pied").count(), 1, "{html}");
        assert!(html.contains("Corps {{footer}}"), "one pass: {html}");
        assert!(!html.contains("<!--") && !html.contains("{#"), "{html}");
        assert!(html.starts_with("<!doctype html>"), "{html}");
    }

    #[test]
    fn answers_name_the_mail_they_answer() {
        assert_eq!(
            message_ref("m1@exemple.fr", "v.test").as_deref(),
            Some("<m1@exemple.fr>")
        );
        assert_eq!(
            message_ref("<m1@exemple.fr>", "v.test").as_deref(),
            Some("<m1@exemple.fr>")
        );
        assert_eq!(
            message_ref("voisinage-12", "v.test").as_deref(),
            Some("<voisinage-12@v.test>")
        );
        assert_eq!(message_ref("sha:0123456789abcdef", "v.test"), None);
        assert_eq!(message_ref("12", "v.test"), None);
    }

    #[test]
    fn links_become_clickable() {
        assert_eq!(
            linkify("Voir https://v.example/email/confirm?t=ab.cd et fin"),
            "Voir <a href=\"https://v.example/email/confirm?t=ab.cd\">https://v.example/email/confirm?t=ab.cd</a> et fin"
        );
        assert_eq!(linkify("httpx pas un lien"), "httpx pas un lien");
        let worded = "Suivez <a href=\"https://v.example/c?t=1\">Confirmer</a>";
        assert_eq!(linkify(worded), worded);
        let pictured = "<a href=\"https://v.example/m/f\"><img src=\"https://v.example/m/t\" alt=\"photo\"></a>";
        assert_eq!(linkify(pictured), pictured);
    }
}
