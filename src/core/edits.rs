//! Edits and deletions of a neighbour's message reach every copy the bridge made of it. A copy
//! still waiting in the outbox is changed (or cancelled) in place; a copy already sent gets an
//! edit (or a deletion) queued behind it, so it reaches the copy in order.

use tracing::instrument;

use super::Core;
use super::model::{Address, ChannelKind, Edit, Op, OutKind, Outgoing};
use crate::i18n::Lang;
use crate::store::deliveries::{self, DeliveryStatus, NewDelivery};

/// What an edit or a deletion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// No such message stored (said before the bot was there, or in no chat it knows).
    Unknown,
    /// Already applied: a redelivery.
    Duplicate,
    /// Applied: `queued` edits or deletions were queued for copies already sent.
    Applied { queued: u64 },
}

/// A copy of a message made by the bridge.
#[derive(sqlx::FromRow)]
struct Copy {
    id: i64,
    channel: ChannelKind,
    target: String,
    status: DeliveryStatus,
    payload: serde_json::Value,
}

const COPIES: &str = "SELECT id, channel, target, status, payload FROM deliveries
     WHERE cause_message_id = $1 AND payload->>'kind' = 'relay' AND payload->'op' IS NULL AND status <> 'failed'
     ORDER BY id";

impl Core {
    /// Applies an edit made on its channel: the message's body changes (the previous one is
    /// kept) and every copy follows.
    #[instrument(skip_all, fields(channel = %e.channel, chat = %e.chat, native_id = %e.native_id))]
    pub async fn edit(&self, e: &Edit) -> anyhow::Result<Changed> {
        let mut tx = self.pool.begin().await?;
        let found: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT m.id, m.body, coalesce(mb.display_name, '') FROM messages m LEFT JOIN members mb ON mb.id = m.member_id
             WHERE m.channel = $1 AND m.chat_external_id = $2 AND m.native_id = $3 AND m.deleted_at IS NULL
             FOR UPDATE OF m",
        )
        .bind(e.channel.as_str())
        .bind(&e.chat)
        .bind(&e.native_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((message_id, previous, name)) = found else {
            return Ok(Changed::Unknown);
        };
        let edit_id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO message_edits (message_id, edit_key, previous_body, body, edited_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (message_id, edit_key) DO NOTHING RETURNING id",
        )
        .bind(message_id)
        .bind(&e.edit_key)
        .bind(&previous)
        .bind(&e.text)
        .bind(e.edited_at)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(edit_id) = edit_id else {
            return Ok(Changed::Duplicate);
        };
        if previous == e.text {
            tx.commit().await?;
            return Ok(Changed::Applied { queued: 0 });
        }
        sqlx::query("UPDATE messages SET body = $2 WHERE id = $1")
            .bind(message_id)
            .bind(&e.text)
            .execute(&mut *tx)
            .await?;
        let copies: Vec<Copy> = sqlx::query_as(COPIES).bind(message_id).fetch_all(&mut *tx).await?;
        let mut queue = Vec::new();
        for c in copies {
            let channel = c.channel;
            let mut msg = self.relay_text(e.channel, &name, &e.text, Lang::Fr);
            if c.status == DeliveryStatus::Pending {
                // Not sent yet: send the new text instead.
                let old: Outgoing = serde_json::from_value(c.payload).unwrap_or_else(|_| msg.clone());
                msg.reply_to = old.reply_to;
                sqlx::query("UPDATE deliveries SET payload = $2 WHERE id = $1 AND status = 'pending'")
                    .bind(c.id)
                    .bind(serde_json::to_value(&msg)?)
                    .execute(&mut *tx)
                    .await?;
                continue;
            }
            msg.op = Op::Edit { of: c.id };
            queue.push(NewDelivery {
                to: Address {
                    channel,
                    target: c.target,
                },
                msg,
                dedupe_key: format!("edit:{edit_id}:{}", c.id),
                cause: Some(message_id),
            });
        }
        let queued = deliveries::enqueue_many(&mut tx, &queue).await?;
        tx.commit().await?;
        if queued > 0 {
            self.outbox_wake.notify_one();
        }
        Ok(Changed::Applied { queued })
    }

    /// Applies a deletion made on its channel: the message is marked deleted (its body kept),
    /// its open posts are closed, and every copy is deleted.
    #[instrument(skip_all, fields(channel = %channel, chat = %chat, native_id = %native_id))]
    pub async fn delete(&self, channel: ChannelKind, chat: &str, native_id: &str) -> anyhow::Result<Changed> {
        let mut tx = self.pool.begin().await?;
        let found: Option<(i64, bool)> = sqlx::query_as(
            "SELECT id, deleted_at IS NOT NULL FROM messages WHERE channel = $1 AND chat_external_id = $2 AND native_id = $3
             FOR UPDATE",
        )
        .bind(channel.as_str())
        .bind(chat)
        .bind(native_id)
        .fetch_optional(&mut *tx)
        .await?;
        let message_id = match found {
            None => return Ok(Changed::Unknown),
            Some((_, true)) => return Ok(Changed::Duplicate),
            Some((id, false)) => id,
        };
        sqlx::query("UPDATE messages SET deleted_at = now() WHERE id = $1")
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE posts SET status = 'closed', closed_at = now(), closed_reason = 'deleted' WHERE message_id = $1 AND status = 'open'")
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
        let copies: Vec<Copy> = sqlx::query_as(COPIES).bind(message_id).fetch_all(&mut *tx).await?;
        let mut queue = Vec::new();
        for c in copies {
            let to_channel = c.channel;
            if c.status == DeliveryStatus::Pending {
                let cancelled = sqlx::query(
                    "UPDATE deliveries SET status = 'failed', last_error = 'the message was deleted before it was sent'
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind(c.id)
                .execute(&mut *tx)
                .await?;
                if cancelled.rows_affected() == 1 {
                    continue;
                }
            }
            let mut msg = Outgoing::new(OutKind::Relay, "");
            msg.op = Op::Delete { of: c.id };
            queue.push(NewDelivery {
                to: Address {
                    channel: to_channel,
                    target: c.target,
                },
                msg,
                dedupe_key: format!("delete:{message_id}:{}", c.id),
                cause: Some(message_id),
            });
        }
        let queued = deliveries::enqueue_many(&mut tx, &queue).await?;
        tx.commit().await?;
        if queued > 0 {
            self.outbox_wake.notify_one();
        }
        Ok(Changed::Applied { queued })
    }
}
