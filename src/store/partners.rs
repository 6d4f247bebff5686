//! Partner suggestions and the click counter.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::Tx;

/// Up to `limit` open requests made at or before `before` (but within a week of it: an older
/// request, say when partners are first switched on, is not worth a late suggestion), with id
/// above `after`, that no offer matched and that had no suggestion yet, by id: (request id,
/// member id).
pub async fn due_requests(
    pool: &PgPool,
    before: DateTime<Utc>,
    after: i64,
    limit: i64,
) -> anyhow::Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.member_id FROM posts p
         WHERE p.direction = 'request' AND p.status = 'open' AND p.created_at <= $1 AND p.created_at > $1 - interval '7 days' AND p.id > $2
           AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.request_id = p.id)
           AND NOT EXISTS (SELECT 1 FROM partner_suggestions s WHERE s.request_id = p.id)
         ORDER BY p.id LIMIT $3",
    )
    .bind(before)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Locks member `member` until the transaction ends, so that daemons counting the member's
/// suggestions take turns; then says whether request `request` still wants one (open, no
/// match, no suggestion: another daemon or a new offer may have come first).
pub async fn lock_and_recheck(tx: &mut Tx<'_>, member: i64, request: i64) -> anyhow::Result<bool> {
    sqlx::query("SELECT id FROM members WHERE id = $1 FOR UPDATE")
        .bind(member)
        .execute(&mut **tx)
        .await?;
    Ok(sqlx::query_scalar(
        "SELECT p.status = 'open'
                AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.request_id = p.id)
                AND NOT EXISTS (SELECT 1 FROM partner_suggestions s WHERE s.request_id = p.id)
         FROM posts p WHERE p.id = $1",
    )
    .bind(request)
    .fetch_optional(&mut **tx)
    .await?
    .unwrap_or(false))
}

/// How many partners were suggested to `member` in the 24 hours up to `now`.
pub async fn suggested_in_day(tx: &mut Tx<'_>, member: i64, now: DateTime<Utc>) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM partner_suggestions
         WHERE member_id = $1 AND partner_id IS NOT NULL
           AND suggested_at > $2 - interval '24 hours' AND suggested_at <= $2",
    )
    .bind(member)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// Records the suggestion for `request` (`partner` None: none fitted, do not ask again);
/// false when one was recorded before.
pub async fn record(
    tx: &mut Tx<'_>,
    request: i64,
    member: i64,
    partner: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO partner_suggestions (request_id, member_id, partner_id, suggested_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(request)
    .bind(member)
    .bind(partner)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Counts one click on `partner`'s link on `day`.
pub async fn count_click(pool: &PgPool, partner: &str, day: NaiveDate) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO partner_clicks (partner_id, day, clicks) VALUES ($1, $2, 1)
         ON CONFLICT (partner_id, day) DO UPDATE SET clicks = partner_clicks.clicks + 1",
    )
    .bind(partner)
    .bind(day)
    .execute(pool)
    .await?;
    Ok(())
}

/// The clicks on `partner`'s links on `day`.
pub async fn clicks(pool: &PgPool, partner: &str, day: NaiveDate) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT clicks FROM partner_clicks WHERE partner_id = $1 AND day = $2")
            .bind(partner)
            .bind(day)
            .fetch_optional(pool)
            .await?
            .unwrap_or(0),
    )
}

/// Every partner's clicks, all days together, by partner id (for /metrics).
pub async fn click_totals(pool: &PgPool) -> anyhow::Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT partner_id, sum(clicks)::bigint FROM partner_clicks GROUP BY 1 ORDER BY 1")
            .fetch_all(pool)
            .await?,
    )
}
