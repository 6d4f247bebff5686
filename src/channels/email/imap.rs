//! Reading the bot's mailbox over IMAP. One daemon reads (an advisory lock); each message not
//! yet marked `$VoisinageDone` is handled, then marked, so a restart does not handle it again
//! (and a replay would change nothing: messages are keyed by Message-ID). Each mail is read
//! into a `core::mail::Mail`; what it means (a subscriber's post, an answer to a copy, a
//! stranger) is the core's decision.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::TryStreamExt;
use mail_parser::MessageParser;
use secrecy::ExposeSecret;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::clean::MAX_BODY;
use crate::config::{EmailSettings, SmtpSecurity};
use crate::core::Core;
use crate::core::mail::Mail;
use crate::core::model::ChannelKind;
use crate::hash::fnv1a64;
use crate::readers::{Pace, Reader, Round, run_reader};
use crate::store::chats;
use crate::store::locks::{Hold, ReaderLock};
use crate::telemetry::Metrics;

/// The keyword marking handled mail.
const DONE: &str = "$VoisinageDone";

trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Stream for T {}

/// Reads the mailbox.
pub struct MailReader {
    settings: EmailSettings,
    core: Arc<Core>,
    /// Held while this daemon is the one reading the mailbox.
    lock: ReaderLock,
}

impl MailReader {
    pub fn new(settings: &EmailSettings, core: Arc<Core>) -> MailReader {
        let key = format!(
            "imap:{}@{}",
            settings.imap_user.clone().unwrap_or_default(),
            settings.imap_host
        );
        MailReader {
            settings: settings.clone(),
            core,
            lock: ReaderLock::new(key),
        }
    }

    /// Lets the lock go.
    pub async fn release(&mut self) {
        self.lock.release().await;
    }

    async fn connect(&self) -> anyhow::Result<Box<dyn Stream>> {
        let s = &self.settings;
        let tcp = tokio::time::timeout(
            Duration::from_secs(30),
            TcpStream::connect((s.imap_host.as_str(), s.imap_port)),
        )
        .await
        .context("IMAP connection timed out")?
        .with_context(|| format!("cannot reach the IMAP server {}:{}", s.imap_host, s.imap_port))?;
        if s.imap_security == SmtpSecurity::None {
            return Ok(Box::new(tcp));
        }
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(s.imap_host.clone())?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .context("IMAP TLS handshake")?;
        Ok(Box::new(tls))
    }

    /// A logged-in session with the mailbox selected.
    async fn session(&self) -> anyhow::Result<async_imap::Session<Box<dyn Stream>>> {
        let s = &self.settings;
        let stream = self.connect().await?;
        let mut client = async_imap::Client::new(stream);
        client.read_response().await?.context("the IMAP server said nothing")?;
        let user = s.imap_user.clone().unwrap_or_default();
        let password = s
            .imap_password
            .as_ref()
            .map(|p| p.expose_secret().to_owned())
            .unwrap_or_default();
        let mut session = client
            .login(user, password)
            .await
            .map_err(|(e, _)| anyhow::anyhow!("IMAP login refused: {e}"))?;
        session.select(&s.imap_mailbox).await?;
        Ok(session)
    }

    /// How often the mailbox is read without IDLE.
    fn every(&self) -> Duration {
        Duration::from_secs(self.settings.imap_poll_secs.max(1))
    }

    /// Waits for new mail: with IDLE where the server offers it (until something happens, or
    /// `max`), otherwise `imap_poll_secs`.
    pub async fn wait_for_mail(&self, max: Duration) -> anyhow::Result<()> {
        let mut session = self.session().await?;
        if !session.capabilities().await?.has_str("IDLE") {
            let _ = session.logout().await;
            tokio::time::sleep(self.every()).await;
            return Ok(());
        }
        let mut idle = session.idle();
        idle.init().await?;
        let (wait, _interrupt) = idle.wait_with_timeout(max);
        wait.await?;
        let mut session = idle.done().await?;
        let _ = session.logout().await;
        Ok(())
    }

    /// One look at the mailbox: handles what is new. Returns how many messages were handled;
    /// None when another daemon reads the mailbox.
    pub async fn poll_once(&mut self) -> anyhow::Result<Option<usize>> {
        if self.lock.hold(&self.core.pool).await? == Hold::Busy {
            return Ok(None);
        }
        let mut session = self.session().await?;
        let mut uids: Vec<u32> = session
            .uid_search(format!("UNKEYWORD {DONE}"))
            .await?
            .into_iter()
            .collect();
        uids.sort_unstable();
        let mut handled = 0;
        for uid in uids {
            let raw: Option<Vec<u8>> = {
                let fetches: Vec<_> = session
                    .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                    .await?
                    .try_collect()
                    .await?;
                fetches.first().and_then(|f| f.body().map(|b| b.to_vec()))
            };
            if let Some(raw) = raw {
                self.handle(&raw).await?;
            }
            let _: Vec<_> = session
                .uid_store(uid.to_string(), format!("+FLAGS ({DONE} \\Seen)"))
                .await?
                .try_collect()
                .await?;
            handled += 1;
        }
        let _ = session.logout().await;
        Ok(Some(handled))
    }

    /// One email: read into a [`Mail`] for the core, which decides (bounces aside, which
    /// are the mail system's own messages).
    /// The cleaned body of a mail, made on the blocking pool with a parse slot held (a huge
    /// HTML body is seconds of CPU); a body over the limit is cut, noted in the text and here.
    async fn body(core: &Core, mail: &mail_parser::Message<'_>, native_id: &str) -> anyhow::Result<String> {
        let text = mail.body_text(0).map(std::borrow::Cow::into_owned);
        let html = match text {
            Some(_) => None,
            None => mail.body_html(0).map(std::borrow::Cow::into_owned),
        };
        let _slot = core.parse_slots.acquire().await.context("parse slots closed")?;
        let (text, cut) = tokio::task::spawn_blocking(move || super::clean::body(text, html))
            .await
            .context("cleaning a mail body panicked")?;
        if cut {
            warn!(native_id, max_bytes = MAX_BODY, "email body too long: cut");
        }
        Ok(text)
    }

    async fn handle(&self, raw: &[u8]) -> anyhow::Result<()> {
        let core = &self.core;
        let Some(mail) = MessageParser::default().parse(raw) else {
            let raw = String::from_utf8_lossy(raw);
            return chats::dead_letter(&core.pool, ChannelKind::Email, &raw, "not an email").await;
        };
        let Some(from) = mail.from().and_then(|f| f.first()) else {
            let raw = String::from_utf8_lossy(raw);
            return chats::dead_letter(&core.pool, ChannelKind::Email, &raw, "no sender").await;
        };
        if let Some((recipient, status)) = delivery_status(raw) {
            return core.bounce(&recipient, &status).await;
        }
        let address = from.address().unwrap_or_default().to_lowercase();
        let name = from
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|| address.split('@').next().unwrap_or("").to_owned());
        let native_id = mail
            .message_id()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("sha:{:016x}", fnv1a64(raw)));
        let mut text = Self::body(core, &mail, &native_id).await?;
        let Taken {
            media,
            more: more_media,
            refused: media_refused,
            refused_file,
        } = take_files(core, &address, &mail).await?;
        if text.trim().is_empty() && (media.is_some() || media_refused.is_some()) {
            let is_file = refused_file || media.as_ref().is_some_and(|m| !m.is_image());
            text = if is_file { "📎" } else { "📷" }.to_owned();
        }
        // The bot's plus-addresses it was sent to ("voisinage+TOKEN@…"): answers to a copy.
        let plus_tokens = mail
            .to()
            .into_iter()
            .flat_map(|l| l.iter())
            .filter_map(|a| a.address())
            .chain(mail.header_values("Delivered-To").filter_map(|v| v.as_text()))
            .chain(mail.header_values("X-Original-To").filter_map(|v| v.as_text()))
            .filter_map(|to| {
                let local = to.trim().trim_matches(['<', '>']).split('@').next()?;
                Some(local.split_once('+')?.1.to_owned())
            })
            .collect();
        let sent_at = mail
            .date()
            .and_then(|d| chrono::DateTime::from_timestamp(d.to_timestamp(), 0))
            .unwrap_or_else(chrono::Utc::now);
        let lang_hint = mail
            .header_values("Content-Language")
            .find_map(|v| v.as_text().map(str::to_owned));
        let automatic = automatic(&mail);
        // Top to bottom, as written: the core trusts only its mail server's (the topmost).
        let auth_results = mail
            .headers_raw()
            .filter(|(name, _)| name.eq_ignore_ascii_case("Authentication-Results"))
            .map(|(_, value)| value.trim().to_owned())
            .collect();
        let answers = [mail.in_reply_to(), mail.references()]
            .into_iter()
            .flat_map(|v| match (v.as_text(), v.as_text_list()) {
                (Some(one), _) => vec![one.to_owned()],
                (None, Some(list)) => list.iter().map(|s| s.to_string()).collect(),
                _ => Vec::new(),
            })
            .collect();
        core.receive_mail(&Mail {
            from: address,
            name,
            native_id,
            subject: mail.subject().unwrap_or("").to_owned(),
            text,
            sent_at,
            plus_tokens,
            lang_hint,
            automatic,
            auth_results,
            answers,
            media,
            media_refused,
            refused_file,
            more_media,
        })
        .await?;
        Ok(())
    }

    /// Reads the mailbox until `shutdown`: at once when IDLE tells of new mail, otherwise
    /// every `imap_poll_secs`.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        run_reader(self, shutdown).await;
        Ok(())
    }
}

impl Reader for MailReader {
    const NAME: &'static str = "reading the mailbox";
    const CHANNEL: ChannelKind = ChannelKind::Email;

    /// Mail is not chat: a round every `imap_poll_secs` at most, ten minutes apart at worst.
    fn pace(&self) -> Pace {
        Pace {
            retry: self.every(),
            max_retry: Duration::from_secs(600),
            standby: self.every(),
        }
    }

    async fn round(&mut self) -> anyhow::Result<Round> {
        Ok(match self.poll_once().await? {
            Some(_) => Round::Done,
            None => Round::Standby,
        })
    }

    /// The mailbox is ours: wait for news (IDLE), at most ten rounds' time.
    async fn wait(&mut self) {
        if let Err(e) = self.wait_for_mail(self.every() * 10).await {
            warn!(error = %format!("{e:#}"), "waiting for mail failed; polling instead");
            tokio::time::sleep(self.every()).await;
        }
    }

    fn metrics(&self) -> &Metrics {
        &self.core.metrics
    }

    fn reader_lock(&mut self) -> &mut ReaderLock {
        &mut self.lock
    }
}

/// Why a machine sent this mail, if its headers say so: auto-submitted (RFC 3834; anything but
/// `no`), a list's (`List-Id`, `List-Unsubscribe`, `Precedence: bulk|list|junk`) or a vacation
/// reply (`X-Autoreply`, `X-Autorespond`). Answering such mail could loop between robots.
/// What a mail carries, taken into the media store: its images (attached, or inline in its
/// HTML; ten at most), or else its first other attachment (a document, a video). The core
/// decides which types travel.
struct Taken {
    media: Option<crate::core::model::Media>,
    more: Vec<crate::core::model::Media>,
    refused: Option<crate::media::Refusal>,
    /// What was refused was a document or a video, not an image.
    refused_file: bool,
}

async fn take_files(core: &Core, from: &str, mail: &mail_parser::Message<'_>) -> anyhow::Result<Taken> {
    use mail_parser::MimeHeaders;
    let kind = |p: &mail_parser::MessagePart<'_>| {
        p.content_type().map_or_else(
            || "application/octet-stream".to_owned(),
            |c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_ascii_lowercase(),
        )
    };
    // Not files a neighbour sends: signatures, forwarded mails, texts.
    let a_file = |p: &&mail_parser::MessagePart<'_>| {
        let k = kind(p);
        !(k.starts_with("text/") || k.starts_with("message/") || k.ends_with("-signature"))
    };
    let mut parts: Vec<_> = mail
        .attachments()
        .filter(|p| kind(p).starts_with("image/"))
        .take(10)
        .collect();
    if parts.is_empty() {
        parts.extend(mail.attachments().find(a_file));
    }
    let mut taken = Taken {
        media: None,
        more: Vec::new(),
        refused: None,
        refused_file: false,
    };
    for part in parts {
        let mime = kind(part);
        match core
            .take_media(ChannelKind::Email, from, Some(&mime), part.contents().to_vec())
            .await?
        {
            Ok(m) if taken.media.is_none() => taken.media = Some(m),
            Ok(m) => taken.more.push(m),
            Err(why) => {
                taken.refused = taken.refused.or(Some(why));
                taken.refused_file = !mime.starts_with("image/");
            }
        }
    }
    Ok(taken)
}

fn automatic(mail: &mail_parser::Message<'_>) -> Option<String> {
    let header = |name: &str| mail.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if let Some(v) = header("Auto-Submitted") {
        // "auto-replied; owner-email=…": the keyword is before any parameter.
        let keyword = v.split(';').next().unwrap_or("").trim().to_owned();
        if keyword != "no" {
            return Some(format!("Auto-Submitted: {keyword}"));
        }
    }
    if let Some(v) = header("Precedence")
        && ["bulk", "list", "junk", "auto_reply"].contains(&v.as_str())
    {
        return Some(format!("Precedence: {v}"));
    }
    ["List-Id", "List-Unsubscribe", "X-Autoreply", "X-Autorespond"]
        .into_iter()
        .find(|name| mail.header_raw(*name).is_some())
        .map(|name| format!("{name} header"))
}

/// The recipient and status of a delivery status notification (a bounce), if this is one.
fn delivery_status(raw: &[u8]) -> Option<(String, String)> {
    let text = String::from_utf8_lossy(raw);
    let lower = text.to_lowercase();
    if !lower.contains("message/delivery-status") {
        return None;
    }
    let field = |name: &str| {
        text.lines()
            .find(|l| l.to_lowercase().starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    };
    let recipient = field("final-recipient:")?;
    let recipient = recipient
        .rsplit(';')
        .next()?
        .trim()
        .trim_matches(['<', '>'])
        .to_lowercase();
    // "delayed" (still trying), "delivered", "relayed", "expanded": not a failure.
    if !field("action:")?.eq_ignore_ascii_case("failed") {
        return None;
    }
    let status = field("status:")?;
    Some((recipient, status.split_whitespace().next()?.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::{automatic, delivery_status};

    fn why(headers: &str) -> Option<String> {
        let raw = format!("From: a@b.fr\r\nSubject: s\r\n{headers}\r\n\r\nbody\r\n");
        automatic(&mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap())
    }

    #[test]
    fn mail_from_machines_is_recognised() {
        assert_eq!(why("X-Mailer: Thunderbird"), None);
        assert_eq!(why("Auto-Submitted: no"), None);
        assert_eq!(why("Precedence: first-class"), None);
        assert_eq!(
            why("Auto-Submitted: Auto-Replied; owner-email=\"a@b.fr\"").as_deref(),
            Some("Auto-Submitted: auto-replied")
        );
        assert_eq!(why("Precedence: bulk").as_deref(), Some("Precedence: bulk"));
        assert_eq!(why("Precedence: auto_reply").as_deref(), Some("Precedence: auto_reply"));
        assert_eq!(
            why("List-Id: <voisins.lists.example>").as_deref(),
            Some("List-Id header")
        );
        assert_eq!(
            why("List-Unsubscribe: <mailto:u@l.example>").as_deref(),
            Some("List-Unsubscribe header")
        );
        assert_eq!(why("X-Autoreply: yes").as_deref(), Some("X-Autoreply header"));
        assert_eq!(why("X-Autorespond: vacances").as_deref(), Some("X-Autorespond header"));
    }

    #[test]
    fn reads_bounces() {
        let dsn = "From: MAILER-DAEMON@x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; Marie@Exemple.fr\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n";
        assert_eq!(
            delivery_status(dsn.as_bytes()),
            Some(("marie@exemple.fr".into(), "5.1.1".into()))
        );
        assert_eq!(delivery_status(b"From: a@b\r\n\r\nStatus: 5.1.1"), None);
        // "Still trying" is not a bounce.
        let delayed = dsn
            .replace("Action: failed", "Action: delayed")
            .replace("5.1.1", "4.4.7");
        assert_eq!(delivery_status(delayed.as_bytes()), None);
    }
}
