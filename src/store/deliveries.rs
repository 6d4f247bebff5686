//! The outbox table: enqueue in the cause's transaction, claim with SKIP LOCKED, complete.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

use super::Tx;
pub use super::enums::DeliveryStatus;
use crate::core::model::{Address, ChannelKind, Op, Outgoing, split_text};

/// A claimed delivery.
#[derive(Debug, Clone, FromRow)]
pub struct Claimed {
    pub id: i64,
    pub channel: ChannelKind,
    pub target: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
}

/// Claims up to `limit` deliveries: for each target, only its oldest unsent delivery, if it
/// is due (or its previous claim's lease ran out). Claimed rows are marked `sending` with a
/// lease, in a transaction of their own, so a crash after this leaves them to be claimed again.
pub async fn claim(pool: &PgPool, channels: &[String], limit: i64, lease: Duration) -> anyhow::Result<Vec<Claimed>> {
    let mut tx = pool.begin().await?;
    let rows: Vec<Claimed> = sqlx::query_as(
        "WITH heads AS (
             SELECT DISTINCT ON (channel, target) id FROM deliveries
             WHERE status IN ('pending', 'sending') AND channel = ANY($1)
             ORDER BY channel, target, id
         )
         SELECT d.id, d.channel, d.target, d.payload, d.attempts FROM deliveries d JOIN heads h ON h.id = d.id
         WHERE (d.status = 'pending' AND d.next_attempt_at <= now())
            OR (d.status = 'sending' AND d.claimed_until < now())
         ORDER BY d.id
         LIMIT $2
         FOR UPDATE OF d SKIP LOCKED",
    )
    .bind(channels)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    if !rows.is_empty() {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        sqlx::query(
            "UPDATE deliveries SET status = 'sending', attempts = attempts + 1,
               claimed_until = now() + make_interval(secs => $2) WHERE id = ANY($1)",
        )
        .bind(&ids)
        .bind(lease.as_secs_f64())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            r.attempts += 1;
            r
        })
        .collect())
}

/// When the next of `channels`' deliveries that a claim could take becomes due: the earliest
/// retry time of a pending head of its target's queue, or lease end of one being sent. None
/// when nothing is queued. Idle outbox workers sleep until then (or until woken).
pub async fn next_due(pool: &PgPool, channels: &[String]) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar(
        "WITH heads AS (
             SELECT DISTINCT ON (channel, target) id FROM deliveries
             WHERE status IN ('pending', 'sending') AND channel = ANY($1)
             ORDER BY channel, target, id
         )
         SELECT min(CASE WHEN d.status = 'pending' THEN d.next_attempt_at ELSE d.claimed_until END)
         FROM deliveries d JOIN heads h ON h.id = d.id",
    )
    .bind(channels)
    .fetch_one(pool)
    .await?)
}

/// Renews the lease of claim `attempts` of delivery `id`, if it is still held: false when the
/// lease ran out (another worker may have claimed the delivery again, and send it).
pub async fn renew(pool: &PgPool, id: i64, attempts: i32, lease: Duration) -> anyhow::Result<bool> {
    let renewed = sqlx::query(
        "UPDATE deliveries SET claimed_until = now() + make_interval(secs => $3)
         WHERE id = $1 AND attempts = $2 AND status = 'sending' AND claimed_until > now()",
    )
    .bind(id)
    .bind(attempts)
    .bind(lease.as_secs_f64())
    .execute(pool)
    .await?
    .rows_affected();
    Ok(renewed == 1)
}

/// Records a successful send.
pub async fn mark_sent(pool: &PgPool, id: i64, remote_id: &str) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE deliveries SET status = 'sent', remote_id = $2, sent_at = now(), claimed_until = NULL, last_error = NULL
         WHERE id = $1",
    )
    .bind(id)
    .bind(remote_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Puts a delivery back in the queue, due after `delay`. A rate limit is not a failed attempt,
/// so it gives the attempt back (`refund`).
pub async fn retry_later(pool: &PgPool, id: i64, delay: Duration, error: &str, refund: bool) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE deliveries SET status = 'pending', claimed_until = NULL, last_error = $3,
           next_attempt_at = now() + make_interval(secs => $2),
           attempts = attempts - CASE WHEN $4 THEN 1 ELSE 0 END
         WHERE id = $1",
    )
    .bind(id)
    .bind(delay.as_secs_f64())
    .bind(error)
    .bind(refund)
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives up on a delivery, keeping the reason.
pub async fn mark_failed(pool: &PgPool, id: i64, error: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE deliveries SET status = 'failed', claimed_until = NULL, last_error = $2 WHERE id = $1")
        .bind(id)
        .bind(error)
        .execute(pool)
        .await?;
    Ok(())
}

/// The remote id of what delivery `id` sent, if it was sent.
pub async fn remote_id(pool: &PgPool, id: i64) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT remote_id FROM deliveries WHERE id = $1 AND status = 'sent'")
            .bind(id)
            .fetch_optional(pool)
            .await?
            .flatten(),
    )
}

/// Forgets where delivery `id` went and what it said (the last answer to an erased member).
pub async fn forget(pool: &PgPool, id: i64) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE deliveries SET target = 'erased', payload = jsonb_build_object('kind', payload->'kind', 'text', ''),
           last_error = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records that the copy delivery `id` sent now has another remote id (an edit re-sent it).
pub async fn set_remote_id(pool: &PgPool, id: i64, remote_id: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE deliveries SET remote_id = $2 WHERE id = $1")
        .bind(id)
        .bind(remote_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The target of delivery `id` is gone for the bot: this delivery fails with the reason, the
/// chat is marked, and what else was queued for it fails too. Returns the deliveries that
/// failed (this one first), so that their authors can be told.
pub async fn mark_target_gone(
    pool: &PgPool,
    id: i64,
    channel: ChannelKind,
    target: &str,
    reason: &str,
) -> anyhow::Result<Vec<i64>> {
    mark_failed(pool, id, reason).await?;
    if channel == ChannelKind::Email {
        // An address refused for good is a hard bounce: its subscription is suspended.
        super::subscriptions::suspend_address(pool, target, reason).await?;
    }
    let mut failed = vec![id];
    failed.extend(super::chats::mark_gone(pool, channel, target, reason).await?);
    Ok(failed)
}

/// Deliveries by status, for /metrics.
pub async fn counts(pool: &PgPool) -> anyhow::Result<Vec<(DeliveryStatus, i64)>> {
    Ok(
        sqlx::query_as("SELECT status, count(*) FROM deliveries GROUP BY status ORDER BY status")
            .fetch_all(pool)
            .await?,
    )
}

/// Texts longer than their channel allows become several deliveries (in order, so they
/// arrive in order): the first keeps the dedupe key and the reply, the last the buttons. The
/// parts are plain text: cutting HTML could break its tags.
fn split_long(items: &[NewDelivery]) -> std::borrow::Cow<'_, [NewDelivery]> {
    let too_long =
        |d: &NewDelivery| d.msg.op == Op::Send && d.msg.text.encode_utf16().count() > d.to.channel.max_text_units();
    if !items.iter().any(too_long) {
        return std::borrow::Cow::Borrowed(items);
    }
    let mut out = Vec::with_capacity(items.len() + 2);
    for d in items {
        if !too_long(d) {
            out.push(d.clone());
            continue;
        }
        let parts = split_text(&d.msg.text, d.to.channel.max_text_units());
        let last = parts.len() - 1;
        for (i, text) in parts.into_iter().enumerate() {
            let mut part = d.clone();
            part.msg.text = text;
            part.msg.html = None;
            part.msg.reaction = None;
            if i > 0 {
                part.dedupe_key = format!("{}:part{}", d.dedupe_key, i + 1);
                part.msg.reply_to = None;
            }
            if i < last {
                part.msg.choices.clear();
            }
            out.push(part);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// One delivery to queue.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub to: Address,
    pub msg: Outgoing,
    pub dedupe_key: String,
    pub cause: Option<i64>,
}

impl NewDelivery {
    /// A delivery no inbound message caused (what the town hall publishes, for instance).
    pub fn uncaused(channel: ChannelKind, target: &str, msg: Outgoing, dedupe_key: String) -> NewDelivery {
        NewDelivery {
            to: Address {
                channel,
                target: target.to_owned(),
            },
            msg,
            dedupe_key,
            cause: None,
        }
    }
}

/// Queues several deliveries in one statement (one round trip), skipping those whose dedupe
/// key exists. Rows are inserted in the given order, so ids keep the order of the causes.
/// Returns how many were queued.
pub async fn enqueue_many(tx: &mut Tx<'_>, items: &[NewDelivery]) -> anyhow::Result<u64> {
    if items.is_empty() {
        return Ok(0);
    }
    let items = split_long(items);
    let mut channels = Vec::with_capacity(items.len());
    let mut targets = Vec::with_capacity(items.len());
    let mut payloads = Vec::with_capacity(items.len());
    let mut keys = Vec::with_capacity(items.len());
    let mut causes = Vec::with_capacity(items.len());
    for d in items.iter() {
        channels.push(d.to.channel.as_str().to_owned());
        targets.push(d.to.target.clone());
        payloads.push(serde_json::to_value(&d.msg)?);
        keys.push(d.dedupe_key.clone());
        causes.push(d.cause);
    }
    let r = sqlx::query(
        "INSERT INTO deliveries (channel, target, payload, dedupe_key, cause_message_id)
         SELECT c, t, p, k, m FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::bigint[])
           WITH ORDINALITY AS u(c, t, p, k, m, n)
         ORDER BY n
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&channels)
    .bind(&targets)
    .bind(&payloads)
    .bind(&keys)
    .bind(&causes)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected())
}

/// When the delivery with `dedupe_key` was queued, if one was: asking twice for something
/// queued once a day can say when it went.
pub async fn queued_at(tx: &mut Tx<'_>, dedupe_key: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(
        sqlx::query_scalar("SELECT created_at FROM deliveries WHERE dedupe_key = $1")
            .bind(dedupe_key)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// A copy of a neighbour's message that the bridge queued or sent.
#[derive(Debug, FromRow)]
pub struct RelayCopy {
    pub id: i64,
    pub channel: ChannelKind,
    pub target: String,
    /// Not sent yet: it can still be changed or cancelled in place.
    pub pending: bool,
    pub payload: serde_json::Value,
}

/// Adds `media` to the copies of `message` on `channels` not sent nor claimed yet (a later
/// photo of its album, or a lone photo that joined it): the copy's photo, or its next one.
/// Returns the places of the copies that now carry it.
pub async fn add_media_to_pending_relays(
    tx: &mut Tx<'_>,
    message: i64,
    media: &crate::core::model::Media,
    channels: &[&str],
) -> anyhow::Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "UPDATE deliveries SET payload = CASE
             WHEN payload->'media' IS NULL THEN payload || jsonb_build_object('media', $2::jsonb)
             ELSE payload || jsonb_build_object('more_media',
                                                coalesce(payload->'more_media', '[]'::jsonb) || jsonb_build_array($2::jsonb))
           END
         WHERE cause_message_id = $1 AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < now())
           AND payload->>'kind' = 'relay' AND payload->'op' IS NULL AND channel = ANY($3)
           AND coalesce(payload->'media'->>'mime', 'image/') LIKE 'image/%'
           -- A Telegram media group holds ten photos at most.
           AND jsonb_array_length(coalesce(payload->'more_media', '[]'::jsonb)) < 9
         RETURNING channel, target",
    )
    .bind(message)
    .bind(serde_json::to_value(media)?)
    .bind(channels)
    .fetch_all(&mut **tx)
    .await?)
}

/// The relayed copies of `message` (not its edits or deletions, not failed ones), in order.
pub async fn relay_copies(tx: &mut Tx<'_>, message: i64) -> anyhow::Result<Vec<RelayCopy>> {
    Ok(sqlx::query_as(
        "SELECT id, channel, target, status = 'pending' AS pending, payload FROM deliveries
         WHERE cause_message_id = $1 AND payload->>'kind' = 'relay' AND payload->'op' IS NULL AND status <> 'failed'
         ORDER BY id",
    )
    .bind(message)
    .fetch_all(&mut **tx)
    .await?)
}

/// What the bot said about `message` in the chat where it was said (its acknowledgement, a
/// question, an answer), not failed: these go with the message when a moderator removes it.
pub async fn said_about_in(
    tx: &mut Tx<'_>,
    message: i64,
    channel: ChannelKind,
    chat: &str,
) -> anyhow::Result<Vec<RelayCopy>> {
    Ok(sqlx::query_as(
        "SELECT id, channel, target, status = 'pending' AS pending, payload FROM deliveries
         WHERE cause_message_id = $1 AND channel = $2 AND target = $3
           AND payload->>'kind' IN ('notice', 'answer') AND payload->'op' IS NULL AND status <> 'failed'
         ORDER BY id",
    )
    .bind(message)
    .bind(channel.as_str())
    .bind(chat)
    .fetch_all(&mut **tx)
    .await?)
}

/// Replaces the payload of a delivery not sent yet. Returns whether it was still pending.
pub async fn rewrite_pending(tx: &mut Tx<'_>, id: i64, msg: &Outgoing) -> anyhow::Result<bool> {
    let r = sqlx::query("UPDATE deliveries SET payload = $2 WHERE id = $1 AND status = 'pending'")
        .bind(id)
        .bind(serde_json::to_value(msg)?)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Cancels a delivery not sent yet, with the reason. Returns whether it was still pending.
pub async fn cancel_pending(tx: &mut Tx<'_>, id: i64, reason: &str) -> anyhow::Result<bool> {
    let r =
        sqlx::query("UPDATE deliveries SET status = 'failed', last_error = $2 WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .bind(reason)
            .execute(&mut **tx)
            .await?;
    Ok(r.rows_affected() == 1)
}

/// The remote id of the copy of `message` sent to `to`, if one was sent.
pub async fn relayed_remote_id(tx: &mut Tx<'_>, message: i64, to: &Address) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT remote_id FROM deliveries WHERE cause_message_id = $1 AND channel = $2 AND target = $3
           AND status = 'sent' AND payload->>'kind' = 'relay' ORDER BY id LIMIT 1",
    )
    .bind(message)
    .bind(to.channel.as_str())
    .bind(&to.target)
    .fetch_optional(&mut **tx)
    .await?
    .flatten())
}

/// What the bot said about `message`'s reading: its acknowledgements ("offer recorded",
/// dedupe keys `notice:M:N`) and its question (`question:M`), not failed ones, in order. They
/// are [`RelayCopy`]-shaped so a correction edits them as edits.rs edits copies.
pub async fn reading_notices(tx: &mut Tx<'_>, message: i64) -> anyhow::Result<Vec<RelayCopy>> {
    Ok(sqlx::query_as(
        "SELECT id, channel, target, status = 'pending' AS pending, payload FROM deliveries
         WHERE cause_message_id = $1 AND (dedupe_key LIKE 'notice:' || $1::bigint || ':%' OR dedupe_key = 'question:' || $1::bigint)
           AND payload->'op' IS NULL AND status <> 'failed'
         ORDER BY id",
    )
    .bind(message)
    .fetch_all(&mut **tx)
    .await?)
}

/// The message whose question is the delivery sent to `chat` on `channel` as `remote_id`.
pub async fn question_at(
    tx: &mut Tx<'_>,
    channel: ChannelKind,
    chat: &str,
    remote_id: &str,
) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT cause_message_id FROM deliveries
         WHERE channel = $1 AND target = $2 AND remote_id = $3 AND dedupe_key LIKE 'question:%' LIMIT 1",
    )
    .bind(channel.as_str())
    .bind(chat)
    .bind(remote_id)
    .fetch_optional(&mut **tx)
    .await?
    .flatten())
}

/// The question asked about `message`, if one was queued (and did not fail).
pub async fn question_of(tx: &mut Tx<'_>, message: i64) -> anyhow::Result<Option<RelayCopy>> {
    Ok(sqlx::query_as(
        "SELECT id, channel, target, status = 'pending' AS pending, payload FROM deliveries
         WHERE dedupe_key = 'question:' || $1::bigint AND status <> 'failed'",
    )
    .bind(message)
    .fetch_optional(&mut **tx)
    .await?)
}
