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
use sqlx::Postgres;
use sqlx::pool::PoolConnection;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::clean::{clean_text, html_to_text};
use crate::config::{EmailSettings, SmtpSecurity};
use crate::core::ingest::Core;
use crate::core::model::{Address, ChannelKind, Inbound};
use crate::i18n::Lang;
use crate::store::chats;

/// The keyword marking handled mail.
const DONE: &str = "$VoisinageDone";

trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Stream for T {}

/// Reads the mailbox.
pub struct MailReader {
    settings: EmailSettings,
    core: Arc<Core>,
    conn: Option<PoolConnection<Postgres>>,
    key: String,
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
            conn: None,
            key,
        }
    }

    async fn lock(&mut self) -> anyhow::Result<bool> {
        if let Some(conn) = self.conn.as_mut()
            && sqlx::query("SELECT 1").execute(&mut **conn).await.is_ok()
        {
            return Ok(true);
        }
        self.conn = None;
        let mut conn = self.core.pool.acquire().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
            .bind(&self.key)
            .fetch_one(&mut *conn)
            .await?;
        if got {
            self.conn = Some(conn);
        }
        Ok(got)
    }

    /// Lets the lock go.
    pub async fn release(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
                .bind(&self.key)
                .execute(&mut *conn)
                .await;
        }
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

    /// One look at the mailbox: handles what is new. Returns how many messages were handled;
    /// None when another daemon reads the mailbox.
    pub async fn poll_once(&mut self) -> anyhow::Result<Option<usize>> {
        if !self.lock().await? {
            return Ok(None);
        }
        let s = &self.settings;
        let stream = self.connect().await?;
        let mut client = async_imap::Client::new(stream);
        client.read_response().await?.context("the IMAP server said nothing")?;
        let mut session = client
            .login(
                s.imap_user.clone().unwrap_or_default(),
                s.imap_password
                    .as_ref()
                    .map(|p| p.expose_secret().to_owned())
                    .unwrap_or_default(),
            )
            .await
            .map_err(|(e, _)| anyhow::anyhow!("IMAP login refused: {e}"))?;
        session.select(&s.imap_mailbox).await?;
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
        let subscription: Option<String> =
            sqlx::query_scalar("SELECT area_slug FROM email_subscriptions WHERE address = $1 AND status = 'active'")
                .bind(&address)
                .fetch_optional(&core.pool)
                .await?;
        let Some(area) = subscription else {
            info!(from = %address, "mail from someone who is not a subscriber: answered, not relayed");
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

    /// Reads the mailbox every `imap_poll_secs` until `shutdown`.
    pub async fn run(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let every = Duration::from_secs(self.settings.imap_poll_secs.max(1));
        let mut delay = every;
        loop {
            let outcome = tokio::select! {
                _ = shutdown.cancelled() => break,
                r = self.poll_once() => r,
            };
            delay = match outcome {
                Ok(_) => every,
                Err(e) => {
                    warn!(error = %format!("{e:#}"), retry_in = ?delay, "reading the mailbox failed");
                    self.core.metrics.channel_error(ChannelKind::Email);
                    (delay * 2).min(Duration::from_secs(600))
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(delay) => {}
            }
        }
        self.release().await;
        Ok(())
    }
}

fn fingerprint(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ x as u64).wrapping_mul(0x100_0000_01b3)
    })
}
