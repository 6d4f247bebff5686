//! The Telegram channel (teloxide): an area's room is a Telegram group; private chats with
//! the bot are for onboarding and commands. Updates come by long polling (getUpdates, one
//! daemon per bot token through an advisory lock, offset kept in PostgreSQL) or by webhook;
//! each becomes an `Inbound`, an `Edit` or a membership change for the core. Sending goes
//! through the outbox and keeps Telegram's limits (`limits.rs`).

mod limits;
mod media;
mod poll;
mod send;
mod updates;
mod vote;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use teloxide::Bot;
use teloxide::requests::Requester;

pub use limits::{Limiter, Limits};
pub use poll::{PollStats, Poller, webhook_router};

use crate::config::{TelegramMode, TelegramSettings};

/// Who the bot is (from getMe).
#[derive(Debug, Clone)]
pub struct BotIdentity {
    pub id: i64,
    pub username: String,
}

/// The Telegram adapter: sends for the outbox, and reads updates for the core.
pub struct Telegram {
    bot: Bot,
    /// For getUpdates, read update by update so that one unreadable update is kept aside
    /// instead of blocking all the others.
    http: reqwest::Client,
    api_url: String,
    token: SecretString,
    settings: TelegramSettings,
    limiter: Limiter,
    me: OnceLock<BotIdentity>,
    /// The media store, to send photos (given once the core is built).
    media: OnceLock<crate::channels::MediaAccess>,
}

impl Telegram {
    /// The adapter for `settings` (which must hold a token).
    pub fn new(settings: &TelegramSettings) -> anyhow::Result<Arc<Telegram>> {
        let token = settings
            .token
            .clone()
            .context("channels.telegram.token is missing: set VOISINAGE__CHANNELS__TELEGRAM__TOKEN")?;
        let api_url = settings.api_url.trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&api_url).context("channels.telegram.api_url is not a URL")?;
        // Sends must not hang a worker: Telegram answers in well under this.
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()?;
        let bot = Bot::with_client(token.expose_secret(), client).set_api_url(url);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(settings.poll_timeout_secs + 15))
            .build()?;
        Ok(Arc::new(Telegram {
            bot,
            http,
            api_url,
            token,
            settings: settings.clone(),
            limiter: Limiter::new(Limits {
                chat_interval: Duration::from_millis(settings.chat_interval_ms),
                group_per_minute: settings.group_per_minute,
                global_per_second: settings.global_per_second,
            }),
            me: OnceLock::new(),
            media: OnceLock::new(),
        }))
    }

    /// Who the bot is, asked once (getMe). A refused token is an error worth stopping for.
    pub async fn identity(&self) -> anyhow::Result<&BotIdentity> {
        if let Some(me) = self.me.get() {
            return Ok(me);
        }
        let me = self.bot.get_me().await.map_err(|e| match e {
            teloxide::RequestError::Api(teloxide::ApiError::InvalidToken) => anyhow::anyhow!(
                "Telegram refused the bot token (VOISINAGE__CHANNELS__TELEGRAM__TOKEN): check it with BotFather"
            ),
            e => anyhow::anyhow!("cannot reach the Telegram Bot API at {}: {e}", self.api_url),
        })?;
        let id = BotIdentity {
            id: me.user.id.0 as i64,
            username: me.user.username.clone().unwrap_or_default(),
        };
        Ok(self.me.get_or_init(|| id))
    }

    /// Who the bot is, when getMe already answered.
    pub fn known_identity(&self) -> Option<&BotIdentity> {
        self.me.get()
    }

    /// Whether updates come by webhook.
    pub fn uses_webhook(&self) -> bool {
        self.settings.mode == TelegramMode::Webhook
    }

    /// Tells Telegram where updates go: the webhook (with its secret), or nowhere (polling:
    /// getUpdates fails while a webhook is set). Checks the token first (getMe): a wrong one is
    /// then reported as such.
    pub async fn configure_delivery(&self) -> anyhow::Result<()> {
        self.identity().await?;
        let mut body = serde_json::json!({});
        let method = if self.uses_webhook() {
            body["url"] = self.settings.webhook_url.clone().unwrap_or_default().into();
            body["secret_token"] = self
                .settings
                .webhook_secret
                .as_ref()
                .map(|s| s.expose_secret().to_owned())
                .unwrap_or_default()
                .into();
            body["allowed_updates"] = serde_json::json!(updates::ALLOWED);
            "setWebhook"
        } else {
            "deleteWebhook"
        };
        self.raw_call(method, &body, Duration::from_secs(30))
            .await
            .with_context(|| format!("Telegram {method}"))?;
        Ok(())
    }

    /// Calls a Bot API method with a JSON body and returns its `result`.
    async fn raw_call(
        &self,
        method: &str,
        body: &serde_json::Value,
        timeout: Duration,
    ) -> anyhow::Result<serde_json::Value> {
        let url = format!("{}/bot{}/{method}", self.api_url, self.token.expose_secret());
        let resp = self
            .http
            .post(&url)
            .json(body)
            .timeout(timeout)
            .send()
            .await
            // reqwest errors quote the URL, and the URL holds the token.
            .map_err(|e| anyhow::anyhow!("{method}: {}", e.without_url()))?;
        let status = resp.status();
        let value: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| anyhow::anyhow!("{method}: HTTP {status}, unreadable answer: {}", e.without_url()))?;
        if value["ok"].as_bool() != Some(true) {
            anyhow::bail!(
                "{method}: HTTP {status}: {}",
                value["description"].as_str().unwrap_or("no description")
            );
        }
        Ok(value["result"].clone())
    }
}
