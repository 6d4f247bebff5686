//! Municipal announcements (issue 18): the owner of `announcements`. A row is written in the
//! transaction that queues its copies in the rooms (and its mails when urgent); the digests
//! read the non-urgent ones of their period.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor};

use super::Tx;
use crate::core::model::AnnouncementSpec;

/// An announcement as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Announcement {
    pub id: i64,
    #[sqlx(flatten)]
    pub spec: AnnouncementSpec,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, commune, commune_slug, title, body, happens_on, place, areas, urgent, created_by, created_at";

/// Stores an announcement published at `at` from the form whose one-time token is
/// `submission`: its id, or None when that form was already published (it waits for a
/// concurrent publication of the same form to commit).
pub async fn insert(
    tx: &mut Tx<'_>,
    a: &AnnouncementSpec,
    submission: Option<&str>,
    at: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO announcements (commune, commune_slug, title, body, happens_on, place, areas, urgent,
                                    created_by, created_at, submission)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (submission) DO NOTHING RETURNING id",
    )
    .bind(&a.commune)
    .bind(&a.commune_slug)
    .bind(&a.title)
    .bind(&a.body)
    .bind(a.happens_on)
    .bind(&a.place)
    .bind(&a.areas)
    .bind(a.urgent)
    .bind(&a.created_by)
    .bind(at)
    .bind(submission)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The announcement published from the form whose one-time token is `submission`.
pub async fn by_submission(db: impl PgExecutor<'_>, submission: &str) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM announcements WHERE submission = $1")
        .bind(submission)
        .fetch_optional(db)
        .await?)
}

/// One announcement of the commune whose URL form is `commune_slug`.
pub async fn get(db: impl PgExecutor<'_>, commune_slug: &str, id: i64) -> anyhow::Result<Option<Announcement>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM announcements WHERE id = $1 AND commune_slug = $2"
    )))
    .bind(id)
    .bind(commune_slug)
    .fetch_optional(db)
    .await?)
}

/// The latest `limit` announcements of a commune, newest first.
pub async fn of_commune(db: impl PgExecutor<'_>, commune_slug: &str, limit: i64) -> anyhow::Result<Vec<Announcement>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM announcements WHERE commune_slug = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    )))
    .bind(commune_slug)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The non-urgent announcements to each `areas[i]` published in (`sinces[i]`, `untils[i]`],
/// oldest first, with that `i`: what the digests of those periods list (each period's digest
/// has its own, so each once); one statement for all of them.
pub async fn for_digests(
    db: &mut sqlx::PgConnection,
    areas: &[&str],
    sinces: &[DateTime<Utc>],
    untils: &[DateTime<Utc>],
) -> anyhow::Result<Vec<(usize, Announcement)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        i: i64,
        #[sqlx(flatten)]
        a: Announcement,
    }
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT k.i, an.* FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS k(a, s, u, i)
         CROSS JOIN LATERAL (SELECT {COLUMNS} FROM announcements
                             WHERE areas @> ARRAY[k.a] AND NOT urgent AND created_at > k.s AND created_at <= k.u
                             ORDER BY created_at, id) an
         ORDER BY k.i, an.created_at, an.id"
    )))
    .bind(areas)
    .bind(sinces)
    .bind(untils)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| ((r.i - 1) as usize, r.a)).collect())
}
