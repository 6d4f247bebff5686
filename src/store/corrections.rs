//! Labelled examples from authors' answers and corrections: the owner of `corrections`.

use sqlx::{FromRow, PgPool};

use super::Tx;

/// What an author's answer did to a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// "Yes, that is it": the parser's reading, confirmed.
    Confirmed,
    /// "No" or "not a post": the message holds no post.
    Rejected,
    /// The author said what the posts are.
    Corrected,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Confirmed => "confirmed",
            Kind::Rejected => "rejected",
            Kind::Corrected => "corrected",
        }
    }
}

/// One labelled example: the text as read, when it was sent (RFC 3339, local time) and the
/// posts it holds, in the corpus format (SCHEMA.md's `expect`).
#[derive(Debug, Clone)]
pub struct Example<'a> {
    pub message: i64,
    pub by_member: i64,
    pub kind: Kind,
    pub text: &'a str,
    pub sent_at: &'a str,
    pub expect: serde_json::Value,
}

/// Stores one example.
pub async fn record(tx: &mut Tx<'_>, e: &Example<'_>) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO corrections (message_id, by_member, kind, text, sent_at, expect)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(e.message)
    .bind(e.by_member)
    .bind(e.kind.as_str())
    .bind(e.text)
    .bind(e.sent_at)
    .bind(&e.expect)
    .fetch_one(&mut **tx)
    .await?)
}

/// A stored example, with the display names of the message's author (to be removed from the
/// text on export).
#[derive(Debug, Clone, FromRow)]
pub struct Stored {
    pub id: i64,
    pub message_id: i64,
    pub kind: String,
    pub text: String,
    pub sent_at: String,
    pub expect: serde_json::Value,
    pub names: Vec<String>,
}

/// The latest example of each message (a later correction supersedes an earlier answer), in
/// message order.
pub async fn latest_per_message(pool: &PgPool) -> anyhow::Result<Vec<Stored>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT ON (c.message_id) c.id, c.message_id, c.kind, c.text, c.sent_at, c.expect,
                array_remove(ARRAY[mb.display_name] || coalesce(
                    (SELECT array_agg(i.display_name) FROM identities i
                     WHERE i.member_id = msg.member_id AND i.display_name IS NOT NULL), '{}'), NULL) AS names
         FROM corrections c JOIN messages msg ON msg.id = c.message_id LEFT JOIN members mb ON mb.id = msg.member_id
         ORDER BY c.message_id, c.id DESC",
    )
    .fetch_all(pool)
    .await?)
}
