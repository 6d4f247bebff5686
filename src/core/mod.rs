//! The channel-neutral heart: adapters give it `Inbound` messages and implement `Channel`;
//! it decides what is stored and what is sent. It never imports a channel's library, nor
//! channels/, partners/, config.rs or http.rs: what it needs comes in as plain values.
//!
//! `Core` is the narrow context every part of the daemon shares. Its modules form a tree
//! (scripts/check-modules.py checks it): `model`, `channel` and `links` are leaves; `commands`
//! and the rest answer members; `ingest` runs the stages of one inbound message.

pub mod announcements;
pub mod channel;
pub mod command;
pub mod commands;
pub mod edits;
pub mod expiry;
pub mod failures;
pub mod held;
pub mod ingest;
pub mod links;
pub mod loan_reminders;
pub mod loans;
pub mod mail;
pub mod mail_auth;
pub mod media;
pub mod model;
pub mod moderation;
pub mod onboarding;
pub mod outbox;
pub mod polls;
pub mod privacy;
pub mod questions;
pub mod rooms;
pub mod router;
pub mod subscriptions;
pub mod town_hall;

use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;

pub use channel::{Admins, Channel, SendError};
use links::Links;
use model::{AckPolicy, Address, FailureCause, MailTrust, OutKind, Outgoing, PostLife, TrustPolicy};

use crate::areas::Areas;
use crate::i18n::Texts;
use crate::parse::Parser;
use crate::store::Tx;
use crate::store::deliveries::{self, NewDelivery};
use crate::telemetry::Metrics;

/// What the core needs to decide: the store, the areas, the bot's words, the parser and the few
/// settings it reads. Built once by `app::Daemon::build` (or `Core::with_defaults` in tests).
pub struct Core {
    pub pool: PgPool,
    pub parser: &'static Parser,
    pub texts: &'static Texts,
    pub areas: Arc<Areas>,
    pub metrics: Arc<Metrics>,
    /// Rung when something was queued, so this daemon's outbox sends it at once instead of
    /// at its next idle round (other daemons find it at theirs).
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// The daemon's public address and link-signing key (email confirmations, unsubscribe).
    pub links: Links,
    /// How posts are acknowledged in each area's rooms.
    pub ack: AckPolicy,
    /// How long posts stay open.
    pub post_life: PostLife,
    /// Only the first this many characters of a message are parsed for posts.
    pub parse_max_chars: usize,
    /// Parses (and mail cleaning) run on the blocking pool, at most this many at once (one per
    /// core), so that a burst of huge messages neither stalls the runtime's workers nor takes
    /// every blocking thread.
    pub parse_slots: Arc<tokio::sync::Semaphore>,
    /// When a reading is unsure enough to ask its author, and how long the question stands.
    pub questions: questions::QuestionPolicy,
    /// Moderators named in the configuration, retention (issue 14).
    pub trust: TrustPolicy,
    /// Who administers each room, asked of its channel and cached.
    pub admins: Arc<Admins>,
    /// Which subscribers' emails are trusted (`channels.email.sender_check`, `authserv_id`).
    pub mail_trust: MailTrust,
    /// How long loans last and when their reminders go (issue 16).
    pub loans: loan_reminders::LoanPolicy,
    /// Where photos and files are kept, and what is taken in (issue 15).
    pub media: Arc<crate::media::MediaStore>,
    /// Each commune's contact for `/mairie` (commune name as in the areas file → address);
    /// a commune without one has no private line (issue 18).
    pub town_halls: Arc<std::collections::HashMap<String, String>>,
}

/// `parser.max_chars` when the settings do not say.
pub const DEFAULT_PARSE_MAX_CHARS: usize = 4000;

impl Core {
    /// A core on `pool` with the built-in parser and texts, replies as acknowledgements and
    /// fresh metrics (tests and benches; the daemon builds its own from the settings).
    pub fn with_defaults(pool: PgPool, areas: Arc<Areas>) -> Core {
        Core {
            pool,
            parser: Parser::embedded(),
            texts: Texts::embedded(),
            areas,
            metrics: Arc::new(Metrics::default()),
            outbox_wake: Default::default(),
            links: Links {
                public_url: "http://127.0.0.1:8080".into(),
                signer: crate::tokens::Signer::new(&rand::random::<[u8; 32]>()),
            },
            ack: AckPolicy::default(),
            post_life: PostLife::default(),
            parse_max_chars: DEFAULT_PARSE_MAX_CHARS,
            parse_slots: Core::parse_slots(),
            questions: questions::QuestionPolicy::default(),
            trust: TrustPolicy::default(),
            admins: Arc::default(),
            // No sender check: tests of the email path that need one set it.
            mail_trust: MailTrust {
                check: model::SenderCheck::Off,
                authserv_id: None,
            },
            loans: loan_reminders::LoanPolicy::default(),
            // A directory of its own per core: tests look at what is stored there.
            media: Arc::new(crate::media::MediaStore::on_disk(
                std::env::temp_dir().join(format!("voisinage-media-{}", rand::random::<u64>())),
                crate::media::MediaLimits::default(),
            )),
            town_halls: Arc::default(),
        }
    }

    /// One parse slot per core.
    pub fn parse_slots() -> Arc<tokio::sync::Semaphore> {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Arc::new(tokio::sync::Semaphore::new(cores))
    }

    /// Queues something the bot says on its own in a chat (a greeting when added to a group),
    /// once per `dedupe_key`. Returns whether it was queued now.
    pub async fn notify(&self, to: Address, text: String, dedupe_key: String) -> anyhow::Result<bool> {
        self.queue_one(to, Outgoing::new(OutKind::Notice, text), dedupe_key)
            .await
    }

    /// Queues one message, once per `dedupe_key`. Returns whether it was queued now.
    pub async fn queue_one(&self, to: Address, msg: Outgoing, dedupe_key: String) -> anyhow::Result<bool> {
        let tx = self.pool.begin().await?;
        let d = NewDelivery {
            to,
            msg,
            dedupe_key,
            cause: None,
        };
        Ok(self.commit_queue(tx, &[d]).await? == 1)
    }

    /// Copies among `failed` (deliveries marked failed) failed for good for `cause`: their
    /// authors are told, once per message and cause (a chat found gone by its adapter).
    pub async fn copies_failed(&self, failed: &[i64], cause: FailureCause) -> anyhow::Result<u64> {
        let n = failures::tell_authors(&self.pool, self.texts, failed, cause).await?;
        if n > 0 {
            self.outbox_wake.notify_one();
        }
        Ok(n)
    }

    /// Queues `queue` in `tx`, commits, and wakes this daemon's outbox when something was
    /// queued. Returns how many deliveries were queued (dedupe keys already used are skipped).
    pub async fn commit_queue(&self, mut tx: Tx<'_>, queue: &[NewDelivery]) -> anyhow::Result<u64> {
        let n = deliveries::enqueue_many(&mut tx, queue).await?;
        self.commit_and_wake(tx, n).await?;
        Ok(n)
    }

    /// Commits `tx`, in which `queued` deliveries were queued, and then wakes this daemon's
    /// outbox if there are any (the outbox must not look before the commit).
    pub(crate) async fn commit_and_wake(&self, tx: Tx<'_>, queued: u64) -> anyhow::Result<()> {
        tx.commit().await.context("committing what was queued")?;
        if queued > 0 {
            self.outbox_wake.notify_one();
        }
        Ok(())
    }
}
