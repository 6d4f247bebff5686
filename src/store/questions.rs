//! Questions asked of authors whose message the parser read unsure: the owner of `questions`.
//! The unsure posts themselves are `pending` rows of `posts` (store/posts.rs).

use chrono::{DateTime, Utc};

use super::Tx;
use crate::core::model::ChannelKind;

/// How a question ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    Corrected,
    Expired,
}

impl Answer {
    fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::Corrected => "corrected",
            Answer::Expired => "expired",
        }
    }
}

/// Records the question about message `message`, asked of `member` at `asked_at`, once.
/// None when it was already asked; otherwise where to ask it privately: the direct chat on
/// `private_on` the member last wrote in, not gone (None: in reply, in front of the room).
/// One statement for both.
pub async fn ask(
    tx: &mut Tx<'_>,
    message: i64,
    member: i64,
    asked_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    private_on: Option<ChannelKind>,
) -> anyhow::Result<Option<Option<String>>> {
    Ok(sqlx::query_scalar(
        "WITH q AS (
           INSERT INTO questions (message_id, member_id, asked_at, expires_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (message_id) DO NOTHING RETURNING message_id)
         SELECT (SELECT c.external_id FROM messages m JOIN chats c ON c.id = m.chat_id
                 WHERE m.member_id = $2 AND m.channel = $5 AND c.kind = 'direct' AND c.gone_at IS NULL
                 ORDER BY m.id DESC LIMIT 1)
         FROM q",
    )
    .bind(message)
    .bind(member)
    .bind(asked_at)
    .bind(expires_at)
    .bind(private_on.map(ChannelKind::as_str))
    .fetch_optional(&mut **tx)
    .await?)
}

/// The member asked about message `message`, locked, while the question is unanswered.
pub async fn lock_open(tx: &mut Tx<'_>, message: i64) -> anyhow::Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT member_id FROM questions WHERE message_id = $1 AND answer IS NULL FOR UPDATE")
            .bind(message)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// Whether a question was ever asked about message `message` (answered or not).
pub async fn asked(tx: &mut Tx<'_>, message: i64) -> anyhow::Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM questions WHERE message_id = $1)")
            .bind(message)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// The message of `member`'s latest unanswered question, if any.
pub async fn latest_open(tx: &mut Tx<'_>, member: i64) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT message_id FROM questions WHERE member_id = $1 AND answer IS NULL
         ORDER BY asked_at DESC, message_id DESC LIMIT 1",
    )
    .bind(member)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Answers the question about `message` if it is still open; returns whether it was.
pub async fn answer(tx: &mut Tx<'_>, message: i64, answer: Answer, now: DateTime<Utc>) -> anyhow::Result<bool> {
    Ok(
        sqlx::query("UPDATE questions SET answer = $2, answered_at = $3 WHERE message_id = $1 AND answer IS NULL")
            .bind(message)
            .bind(answer.as_str())
            .bind(now)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Marks as expired up to `limit` unanswered questions whose time ran out at `now`, skipping
/// those another daemon holds; returns their messages.
pub async fn expire(tx: &mut Tx<'_>, now: DateTime<Utc>, limit: i64) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "UPDATE questions SET answer = 'expired', answered_at = $1
         WHERE message_id IN (SELECT message_id FROM questions WHERE answer IS NULL AND expires_at <= $1
                              ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING message_id",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?)
}

/// Questions asked, by answer ("open" while unanswered), for /metrics.
pub async fn counts(db: impl sqlx::PgExecutor<'_>) -> anyhow::Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT coalesce(answer, 'open'), count(*) FROM questions GROUP BY 1 ORDER BY 1")
            .fetch_all(db)
            .await?,
    )
}
