//! Posts do not stay open for ever: a post closes `after` days after it was made or last kept,
//! and its author is reminded `remind_before` days earlier (answering /garder keeps it,
//! /fini closes it). Each reminder and each closing is a delivery with a dedupe key, written
//! in the transaction that marks the post, so it happens once across restarts and daemons.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tracing::instrument;

use super::Core;
use super::model::{Address, ChannelKind, OutKind, Outgoing};
use crate::i18n::{Arg, Lang, format_dates};
use crate::store::deliveries::{self, NewDelivery};
use crate::store::posts::{self, AuthorPlace};

/// Posts marked per transaction.
const BATCH: i64 = 500;

/// What a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expired {
    pub reminded: usize,
    pub closed: usize,
}

impl Core {
    /// Reminds the authors of posts about to expire and closes the expired ones, as of `now`
    /// (the scheduler's clock; tests pass theirs).
    #[instrument(skip_all, fields(%now))]
    pub async fn expire_once(&self, now: DateTime<Utc>) -> anyhow::Result<Expired> {
        let life = self.post_life;
        let mut out = Expired::default();
        loop {
            let n = self.close_expired(now - life.after(), now).await?;
            out.closed += n;
            if (n as i64) < BATCH {
                break;
            }
        }
        loop {
            let n = self.remind(now - life.remind_at(), now - life.after(), now).await?;
            out.reminded += n;
            if (n as i64) < BATCH {
                break;
            }
        }
        if out.closed + out.reminded > 0 {
            self.outbox_wake.notify_one();
        }
        Ok(out)
    }

    async fn close_expired(&self, renewed_before: DateTime<Utc>, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let ids = posts::close_expired(&mut tx, renewed_before, now, BATCH).await?;
        let places = posts::author_places(&mut *tx, &ids).await?;
        let days = i64::from(self.post_life.after_days);
        let mut queue = Vec::with_capacity(places.len());
        for p in &places {
            let lang = p.lang;
            let text = self.texts.get(
                lang,
                "post-expired",
                &[
                    ("number", Arg::from(p.post_id)),
                    ("item", Arg::from(p.item.as_str())),
                    ("days", Arg::from(days)),
                ],
            );
            queue.push(self.to_author(p, lang, text, format!("expired:{}", p.post_id)));
        }
        deliveries::enqueue_many(&mut tx, &queue).await?;
        tx.commit().await?;
        Ok(ids.len())
    }

    /// Reminds once per life of a post (a kept post has a new `renewed_at`, hence a new key).
    async fn remind(
        &self,
        renewed_before: DateTime<Utc>,
        not_expired_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let rows = posts::mark_reminded(&mut tx, renewed_before, not_expired_since, now, BATCH).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        // RETURNING gives no order: each post's renewal is looked up by its id.
        let renewed_of: HashMap<i64, DateTime<Utc>> = rows.iter().copied().collect();
        let places = posts::author_places(&mut *tx, &ids).await?;
        let life = self.post_life;
        let mut queue = Vec::with_capacity(places.len());
        for p in &places {
            let (lang, renewed) = (p.lang, &renewed_of[&p.post_id]);
            let end = (*renewed + life.after())
                .with_timezone(&self.areas.timezone(&p.area_slug))
                .date_naive();
            let text = self.texts.get(
                lang,
                "post-expiry-reminder",
                &[
                    ("number", Arg::from(p.post_id)),
                    ("item", Arg::from(p.item.as_str())),
                    ("date", Arg::from(format_dates(lang, end, end))),
                    ("days", Arg::from(i64::from(life.after_days))),
                ],
            );
            let key = format!("remind:{}:{}", p.post_id, renewed.timestamp_micros());
            queue.push(self.to_author(p, lang, text, key));
        }
        deliveries::enqueue_many(&mut tx, &queue).await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// A message to a post's author where they made it, as a reply; its cause is the post's
    /// message, so /fini or /garder in reply to it finds the post.
    fn to_author(&self, p: &AuthorPlace, lang: Lang, text: String, dedupe_key: String) -> NewDelivery {
        let channel = p.channel;
        let mut msg = Outgoing::new(OutKind::Reminder, text).in_lang(lang);
        if channel == ChannelKind::Email {
            msg.subject = Some(self.texts.get(lang, "email-notice-subject", &[]));
        } else {
            msg.reply_to = Some(p.native_id.clone());
        }
        NewDelivery {
            to: Address {
                channel,
                target: p.target.clone(),
            },
            msg,
            dedupe_key,
            cause: Some(p.message_id),
        }
    }
}
