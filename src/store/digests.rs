//! The `digests` table: what happened in an area's period, the row that makes each digest
//! happen once, its email, and the deliveries it queues (one per subscriber, read from
//! `email_subscriptions`).

use chrono::{DateTime, NaiveDate, Utc};

use super::Tx;
use crate::digest::build::{DigestInput, Figures, PostLine};
use crate::digest::schedule::Period;

const POST_LINE: &str =
    "SELECT p.id, p.direction, p.item, p.category, m.display_name AS author, p.when_from, p.when_to,
                                p.message_id, p.created_at
                         FROM posts p JOIN members m ON m.id = p.member_id";

/// The slot of the area's latest digest of `period` before `slot`.
pub async fn last_slot(
    tx: &mut Tx<'_>,
    area: &str,
    period: Period,
    slot: DateTime<Utc>,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(
        sqlx::query_scalar("SELECT max(slot) FROM digests WHERE area_slug = $1 AND period = $2 AND slot < $3")
            .bind(area)
            .bind(period.as_str())
            .bind(slot)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// Claims the digest (area, period, slot): its id, or None when it exists already (sent, or
/// being sent by another daemon: its row stays locked until that transaction ends).
pub async fn claim(
    tx: &mut Tx<'_>,
    area: &str,
    period: Period,
    slot: DateTime<Utc>,
    since: DateTime<Utc>,
    manual: bool,
) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO digests (area_slug, period, slot, since, manual, status) VALUES ($1, $2, $3, $4, $5, 'empty')
         ON CONFLICT (area_slug, period, slot) DO NOTHING RETURNING id",
    )
    .bind(area)
    .bind(period.as_str())
    .bind(slot)
    .bind(since)
    .bind(manual)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Which of these (area, period, slot) digests exist already.
pub async fn existing(
    pool: &sqlx::PgPool,
    keys: &[(String, Period, DateTime<Utc>)],
) -> anyhow::Result<Vec<(String, String, DateTime<Utc>)>> {
    let areas: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let periods: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    let slots: Vec<DateTime<Utc>> = keys.iter().map(|k| k.2).collect();
    Ok(sqlx::query_as(
        "SELECT d.area_slug, d.period, d.slot FROM digests d
         JOIN unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(a, p, s)
           ON d.area_slug = k.a AND d.period = k.p AND d.slot = k.s",
    )
    .bind(&areas)
    .bind(&periods)
    .bind(&slots)
    .fetch_all(pool)
    .await?)
}

/// Everything the digest of `area` for (since, until] is made of (without the partner).
/// `today` is the area's local date at `until`; "coming" means within `horizon` days of it.
#[allow(clippy::too_many_arguments)]
pub async fn input(
    tx: &mut Tx<'_>,
    area: &str,
    area_name: &str,
    period: Period,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    today: NaiveDate,
    horizon: i64,
    limit: i64,
) -> anyhow::Result<DigestInput> {
    let new_posts: Vec<PostLine> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{POST_LINE} WHERE p.area_slug = $1 AND p.status = 'open' AND p.created_at > $2 AND p.created_at <= $3
         ORDER BY p.id LIMIT $4"
    )))
    .bind(area)
    .bind(since)
    .bind(until)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    let unanswered: Vec<PostLine> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{POST_LINE} WHERE p.area_slug = $1 AND p.status = 'open' AND p.direction = 'request' AND p.created_at <= $2
           AND NOT EXISTS (SELECT 1 FROM matches mt WHERE mt.request_id = p.id)
         ORDER BY p.id DESC LIMIT $3"
    )))
    .bind(area)
    .bind(since)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    let coming: Vec<PostLine> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{POST_LINE} WHERE p.area_slug = $1 AND p.status = 'open' AND p.created_at <= $2
           AND p.when_from IS NOT NULL AND p.when_from <= $3::date + $4::int
           AND coalesce(p.when_to, p.when_from) >= $3::date
         ORDER BY p.when_from, p.id LIMIT $5"
    )))
    .bind(area)
    .bind(since)
    .bind(today)
    .bind(horizon as i32)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    let figures: Figures = sqlx::query_as(
        "SELECT (SELECT count(*) FROM members WHERE area_slug = $1 AND created_at > $2 AND created_at <= $3) AS new_members,
                (SELECT count(*) FROM posts WHERE area_slug = $1 AND direction = 'offer'
                   AND created_at > $2 AND created_at <= $3) AS offers,
                (SELECT count(*) FROM posts WHERE area_slug = $1 AND direction = 'request'
                   AND created_at > $2 AND created_at <= $3) AS requests,
                (SELECT count(*) FROM matches mt JOIN posts r ON r.id = mt.request_id
                 WHERE r.area_slug = $1 AND mt.created_at > $2 AND mt.created_at <= $3) AS matches",
    )
    .bind(area)
    .bind(since)
    .bind(until)
    .fetch_one(&mut **tx)
    .await?;
    Ok(DigestInput {
        area: area.to_owned(),
        area_name: area_name.to_owned(),
        period,
        since,
        until,
        new_posts,
        unanswered,
        coming,
        figures,
        partner: None,
    })
}

/// Stores the rendered email on the digest row.
pub async fn set_body(
    tx: &mut Tx<'_>,
    id: i64,
    subject: &str,
    text: &str,
    html: &str,
    posts: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE digests SET status = 'queued', subject = $2, body_text = $3, body_html = $4, posts = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(subject)
    .bind(text)
    .bind(html)
    .bind(posts as i32)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Queues digest `id` for every active subscriber of the area with the period's rhythm, in
/// one statement (the body is the digest row's: each delivery only points at it).
pub async fn queue_subscribers(
    tx: &mut Tx<'_>,
    id: i64,
    area: &str,
    period: Period,
    subject: &str,
) -> anyhow::Result<u64> {
    let payload = serde_json::json!({ "kind": "digest", "text": "", "subject": subject, "digest": id });
    Ok(sqlx::query(
        "INSERT INTO deliveries (channel, target, payload, dedupe_key)
         SELECT 'email', s.address, $4, 'digest:' || $1 || ':email:' || s.id
         FROM email_subscriptions s
         WHERE s.area_slug = $2 AND s.status = 'active' AND s.rhythm = $3
         ORDER BY s.id
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(id)
    .bind(area)
    .bind(period.rhythm())
    .bind(payload)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Records how many deliveries the digest queued.
pub async fn set_recipients(tx: &mut Tx<'_>, id: i64, n: u64) -> anyhow::Result<()> {
    sqlx::query("UPDATE digests SET recipients = $2 WHERE id = $1")
        .bind(id)
        .bind(n as i32)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many active subscribers of the rhythm the area has.
pub async fn subscribers(tx: &mut Tx<'_>, area: &str, period: Period) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM email_subscriptions WHERE area_slug = $1 AND status = 'active' AND rhythm = $2",
    )
    .bind(area)
    .bind(period.rhythm())
    .fetch_one(&mut **tx)
    .await?)
}
