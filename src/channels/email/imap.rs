//! Reading the bot's mailbox over IMAP. One daemon reads (an advisory lock); each message not
//! yet marked `$VoisinageDone` is handled, then marked, so a restart does not handle it again
//! (and a replay would change nothing: messages are keyed by Message-ID). Mail from a confirmed
//! subscriber enters the core as a message of their area; anyone else gets one polite answer a
//! day on how to subscribe, and never reaches a room.

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
use tracing::{info, warn};

use super::clean::{clean_text, html_to_text};
use crate::config::{EmailSettings, SmtpSecurity};
use crate::core::Core;
use crate::core::model::{Address, ChannelKind, Inbound};
use crate::i18n::Lang;
use crate::store::chats;
use crate::store::locks::{Hold, ReaderLock};

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

    /// Waits for new mail: with IDLE where the server offers it (until something happens, or
    /// `max`), otherwise `imap_poll_secs`.
    pub async fn wait_for_mail(&self, max: Duration) -> anyhow::Result<()> {
        let every = Duration::from_secs(self.settings.imap_poll_secs.max(1));
        let mut session = self.session().await?;
        if !session.capabilities().await?.has_str("IDLE") {
            let _ = session.logout().await;
            tokio::time::sleep(every).await;
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

    /// One email.
    async fn handle(&self, raw: &[u8]) -> anyhow::Result<()> {
        let core = &self.core;
        let Some(mail) = MessageParser::default().parse(raw) else {
            chats::dead_letter(
                &core.pool,
                ChannelKind::Email,
                &String::from_utf8_lossy(raw),
                "not an email",
            )
            .await?;
            return Ok(());
        };
        let Some(from) = mail.from().and_then(|f| f.first()) else {
            chats::dead_letter(
                &core.pool,
                ChannelKind::Email,
                &String::from_utf8_lossy(raw),
                "no sender",
            )
            .await?;
            return Ok(());
        };
        if let Some((recipient, status)) = delivery_status(raw) {
            info!(%recipient, %status, "bounce");
            let reason = format!("bounce {status}");
            if status.starts_with('5') {
                crate::store::subscriptions::suspend_address(&core.pool, &recipient, &reason).await?;
            } else if status.starts_with('4') {
                crate::store::subscriptions::soft_bounce(&core.pool, &recipient, &reason).await?;
            }
            return Ok(());
        }
        let address = from.address().unwrap_or_default().to_lowercase();
        let name = from
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|| address.split('@').next().unwrap_or("").to_owned());
        let native_id = mail
            .message_id()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("sha:{:016x}", fingerprint(raw)));
        let text = match mail.body_text(0) {
            Some(t) => clean_text(&t),
            None => clean_text(&mail.body_html(0).map(|h| html_to_text(&h)).unwrap_or_default()),
        };
        let subscription = crate::store::subscriptions::active_area(&core.pool, &address).await?;
        // An answer to a relayed message, through the bot's plus-address.
        let answered = mail
            .to()
            .into_iter()
            .flat_map(|l| l.iter())
            .filter_map(|a| a.address())
            .chain(mail.header_values("Delivered-To").filter_map(|v| v.as_text()))
            .chain(mail.header_values("X-Original-To").filter_map(|v| v.as_text()))
            .find_map(|to| {
                let local = to.trim().trim_matches(['<', '>']).split('@').next()?;
                let token = local.split_once('+')?.1;
                core.links
                    .signer
                    .verify_short(token)?
                    .strip_prefix('r')?
                    .parse::<i64>()
                    .ok()
            });
        if let (Some(message), Some(_)) = (answered, &subscription) {
            return self.answer(message, &address, &name, &native_id, &text).await;
        }
        let Some(area) = subscription else {
            info!(from = %address, "mail from someone who is not a subscriber: answered, not relayed");
            // "inscription 35400": a confirmation link to this address (a forged From cannot
            // subscribe anyone: only the address's owner can follow the link).
            let asked = format!("{} {text}", mail.subject().unwrap_or(""));
            match crate::core::subscriptions::read_email_request(core, &asked) {
                Some(Ok((area, rhythm))) => {
                    let d = crate::core::subscriptions::confirmation(core, &address, &area, rhythm, None, Lang::Fr);
                    core.queue_one(d.to, d.msg, d.dedupe_key).await?;
                    return Ok(());
                }
                Some(Err(slugs)) => {
                    let text = core.texts.get(
                        Lang::Fr,
                        "email-which-area",
                        &[("areas", crate::i18n::Arg::from(slugs.join(", ")))],
                    );
                    let key = format!("email-which:{address}:{}", chrono::Utc::now().date_naive());
                    let to = Address {
                        channel: ChannelKind::Email,
                        target: address.clone(),
                    };
                    core.notify(to, text, key).await?;
                    return Ok(());
                }
                None => {}
            }
            let text = core.texts.get(Lang::Fr, "email-not-subscribed", &[]);
            core.notify(
                Address {
                    channel: ChannelKind::Email,
                    target: address.clone(),
                },
                text,
                format!("email-unknown:{address}:{}", chrono::Utc::now().date_naive()),
            )
            .await?;
            return Ok(());
        };
        if text.trim().is_empty() {
            return Ok(());
        }
        let chat = chats::ensure_list(&core.pool, &area).await?;
        let sent_at = mail
            .date()
            .and_then(|d| chrono::DateTime::from_timestamp(d.to_timestamp(), 0))
            .unwrap_or_else(chrono::Utc::now);
        core.ingest(&Inbound {
            channel: ChannelKind::Email,
            chat,
            native_id,
            sender: address,
            sender_name: name,
            text,
            sent_at,
            ..Default::default()
        })
        .await?;
        Ok(())
    }

    /// Passes an email answer to the author of message `message`, in their own chat, as a reply.
    async fn answer(&self, message: i64, from: &str, name: &str, native_id: &str, text: &str) -> anyhow::Result<()> {
        let core = &self.core;
        let original = crate::store::messages::origin(&core.pool, message).await?;
        // Kept like every message (in no room: the answer is for the author alone).
        core.ingest(&Inbound {
            channel: ChannelKind::Email,
            chat: format!("reply:{message}"),
            native_id: native_id.to_owned(),
            sender: from.to_owned(),
            sender_name: name.to_owned(),
            text: text.to_owned(),
            sent_at: chrono::Utc::now(),
            ..Default::default()
        })
        .await?;
        let Some(crate::store::messages::Origin {
            channel,
            chat,
            native_id: replied,
            author,
        }) = original
        else {
            return Ok(());
        };
        let mut msg = core.relay_text(ChannelKind::Email, name, text, Lang::Fr);
        let to = if channel == ChannelKind::Email {
            author
        } else {
            msg.reply_to = Some(replied);
            chat
        };
        core.queue_one(
            Address { channel, target: to },
            msg,
            format!("email-answer:{native_id}"),
        )
        .await?;
        Ok(())
    }

    /// Reads the mailbox every `imap_poll_secs` until `shutdown`.
    pub async fn run(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let every = Duration::from_secs(self.settings.imap_poll_secs.max(1));
        let mut delay = every;
        loop {
            let outcome = tokio::select! {
                _ = shutdown.cancelled() => break,
                r = self.poll_once() => r,
            };
            match outcome {
                // The mailbox is ours: wait for news (IDLE), at most ten rounds' time.
                Ok(Some(_)) => {
                    delay = every;
                    let waited = tokio::select! {
                        _ = shutdown.cancelled() => break,
                        r = self.wait_for_mail(every * 10) => r,
                    };
                    if let Err(e) = waited {
                        warn!(error = %format!("{e:#}"), "waiting for mail failed; polling instead");
                    } else {
                        continue;
                    }
                }
                // Another daemon reads it.
                Ok(None) => delay = every,
                Err(e) => {
                    warn!(error = %format!("{e:#}"), retry_in = ?delay, "reading the mailbox failed");
                    self.core.metrics.channel_error(ChannelKind::Email);
                    delay = (delay * 2).min(Duration::from_secs(600));
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(delay) => {}
            }
        }
        self.release().await;
        Ok(())
    }
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
    let status = field("status:")?;
    Some((recipient, status.split_whitespace().next()?.to_owned()))
}

fn fingerprint(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ x as u64).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::delivery_status;

    #[test]
    fn reads_bounces() {
        let dsn = "From: MAILER-DAEMON@x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; Marie@Exemple.fr\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n";
        assert_eq!(
            delivery_status(dsn.as_bytes()),
            Some(("marie@exemple.fr".into(), "5.1.1".into()))
        );
        assert_eq!(delivery_status(b"From: a@b\r\n\r\nStatus: 5.1.1"), None);
    }
}
