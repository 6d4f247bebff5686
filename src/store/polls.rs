//! Municipal polls (issue 18): the owner of `polls`, `poll_rooms` and `poll_votes`. A vote is
//! keyed by member, so linked identities vote once and the last vote counts.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor, PgPool};

use super::Tx;
use crate::core::model::{ChannelKind, PollSpec};

/// A poll as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Poll {
    pub id: i64,
    #[sqlx(flatten)]
    pub spec: PollSpec,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl Poll {
    /// Whether votes are still taken at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.closed_at.is_none() && now < self.spec.closes_at
    }
}

const COLUMNS: &str =
    "id, commune, commune_slug, question, options, multiple, areas, closes_at, created_by, created_at, closed_at";

/// Stores a poll created from the form whose one-time token is `submission`: its id, or None
/// when that form already created one (it waits for a concurrent creation to commit).
pub async fn insert(tx: &mut Tx<'_>, p: &PollSpec, submission: Option<&str>) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO polls (commune, commune_slug, question, options, multiple, areas, closes_at, created_by,
                            submission)
         VALUES ($1, $8, $2, $3, $4, $5, $6, $7, $9)
         ON CONFLICT (submission) DO NOTHING RETURNING id",
    )
    .bind(&p.commune)
    .bind(&p.question)
    .bind(&p.options)
    .bind(p.multiple)
    .bind(&p.areas)
    .bind(p.closes_at)
    .bind(&p.created_by)
    .bind(&p.commune_slug)
    .bind(submission)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The poll created from the form whose one-time token is `submission`.
pub async fn by_submission(db: impl PgExecutor<'_>, submission: &str) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM polls WHERE submission = $1")
        .bind(submission)
        .fetch_optional(db)
        .await?)
}

/// A room the poll is posted in; `dedupe_key` names the delivery that posts it.
pub async fn add_room(
    tx: &mut Tx<'_>,
    poll: i64,
    channel: ChannelKind,
    chat: &str,
    area: &str,
    dedupe_key: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO poll_rooms (poll_id, channel, chat, area_slug, dedupe_key) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(poll)
    .bind(channel.as_str())
    .bind(chat)
    .bind(area)
    .bind(dedupe_key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<Poll>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM polls WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The polls of a commune, newest first.
pub async fn of_commune(pool: &PgPool, commune: &str) -> anyhow::Result<Vec<Poll>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM polls WHERE commune = $1 ORDER BY created_at DESC, id DESC"
    )))
    .bind(commune)
    .fetch_all(pool)
    .await?)
}

/// The poll a native poll message belongs to, and the area of its room: a Telegram poll by
/// Telegram's poll id (the sent delivery's remote id is `poll:<poll id>:<message id>`), a
/// Matrix poll by its room and start event id.
pub async fn of_native(
    tx: &mut Tx<'_>,
    channel: ChannelKind,
    chat: Option<&str>,
    native: &str,
) -> anyhow::Result<Option<(Poll, String)>> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT r.poll_id, r.area_slug FROM poll_rooms r JOIN deliveries d ON d.dedupe_key = r.dedupe_key
         WHERE r.channel = $1 AND ($2::text IS NULL OR r.chat = $2)
           AND CASE WHEN $1 = 'telegram'
                    THEN d.remote_id LIKE 'poll:%' AND split_part(d.remote_id, ':', 2) = $3
                    ELSE d.remote_id = $3 END",
    )
    .bind(channel.as_str())
    .bind(chat)
    .bind(native)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((id, area)) = row else {
        return Ok(None);
    };
    Ok(get(&mut **tx, id).await?.map(|p| (p, area)))
}

/// Records `member`'s vote, replacing their earlier one (on any channel): the last one counts.
pub async fn vote(
    tx: &mut Tx<'_>,
    poll: i64,
    member: i64,
    choices: &[i16],
    area: Option<&str>,
    channel: ChannelKind,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO poll_votes (poll_id, member_id, choices, area_slug, channel) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (poll_id, member_id) DO UPDATE
           SET choices = $3, area_slug = $4, channel = $5, voted_at = now()",
    )
    .bind(poll)
    .bind(member)
    .bind(choices)
    .bind(area)
    .bind(channel.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes back `member`'s vote, if it was cast on `channel` (a Telegram retraction does not
/// undo a later vote by email).
pub async fn retract(tx: &mut Tx<'_>, poll: i64, member: i64, channel: ChannelKind) -> anyhow::Result<bool> {
    let r = sqlx::query("DELETE FROM poll_votes WHERE poll_id = $1 AND member_id = $2 AND channel = $3")
        .bind(poll)
        .bind(member)
        .bind(channel.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Closes the polls due at `now`, once: the UPDATE takes each row's lock, so a second daemon
/// running the same step finds them closed and gets nothing.
pub async fn close_due(tx: &mut Tx<'_>, now: DateTime<Utc>) -> anyhow::Result<Vec<Poll>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE polls SET closed_at = $1
         WHERE id IN (SELECT id FROM polls WHERE closed_at IS NULL AND closes_at <= $1
                      ORDER BY id FOR UPDATE SKIP LOCKED)
         RETURNING {COLUMNS}"
    )))
    .bind(now)
    .fetch_all(&mut **tx)
    .await?)
}

/// A room a poll went to, with the delivery that posted it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PollRoom {
    pub channel: ChannelKind,
    pub chat: String,
    pub area_slug: String,
    pub delivery: Option<i64>,
}

pub async fn rooms(tx: &mut Tx<'_>, poll: i64) -> anyhow::Result<Vec<PollRoom>> {
    Ok(sqlx::query_as(
        "SELECT r.channel, r.chat, r.area_slug, d.id AS delivery FROM poll_rooms r
         LEFT JOIN deliveries d ON d.dedupe_key = r.dedupe_key
         WHERE r.poll_id = $1 ORDER BY r.area_slug, r.channel",
    )
    .bind(poll)
    .fetch_all(&mut **tx)
    .await?)
}

/// Votes per option, per area, and voters per area: (area, option, count) with option -1
/// holding the area's number of voters.
pub async fn counts(db: impl PgExecutor<'_>, poll: i64) -> anyhow::Result<Vec<(String, i16, i64)>> {
    Ok(sqlx::query_as(
        "SELECT coalesce(area_slug, ''), c, count(*) FROM poll_votes, unnest(choices) c WHERE poll_id = $1
         GROUP BY 1, 2
         UNION ALL
         SELECT coalesce(area_slug, ''), -1::smallint, count(*) FROM poll_votes WHERE poll_id = $1 GROUP BY 1
         ORDER BY 1, 2",
    )
    .bind(poll)
    .fetch_all(db)
    .await?)
}

/// How many people the poll could reach in each of `areas`: the members living there and the
/// active email subscribers of those areas who are no such member (an address counts once).
pub async fn reachable(db: impl PgExecutor<'_>, areas: &[String]) -> anyhow::Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT area, count(DISTINCT who) FROM (
             SELECT area_slug AS area, 'm' || id AS who FROM members
             WHERE area_slug = ANY($1) AND erased_at IS NULL
             UNION ALL
             SELECT s.area_slug, coalesce('m' || coalesce(i.member_id, s.member_id), 's' || s.id)
             FROM email_subscriptions s LEFT JOIN identities i ON i.channel = 'email' AND i.external_id = s.address
             WHERE s.area_slug = ANY($1) AND s.status = 'active'
         ) x GROUP BY area ORDER BY area",
    )
    .bind(areas)
    .fetch_all(db)
    .await?)
}
