//! The quartier report's counts (issue 18): every statement here returns counts only, never a
//! message, a name or an id of a person. Each row is one cell of a figure: an area (None: every
//! area of the commune together), a key (a category, a channel, a kind of event; None: every
//! key together), the count, and the number of distinct people it was computed from, which the
//! report's suppression reads (municipal/report/table.rs). Margins come from GROUPING SETS, so
//! that a total's people are counted distinct, not summed.
//!
//! Every figure is about events inside one period `[from, to)`: nothing cumulative, so that two
//! months cannot be subtracted from each other (see ARCHITECTURE.md, "The quartier report").

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// One cell of a figure, before suppression.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CountRow {
    pub area: Option<String>,
    pub key: Option<String>,
    pub value: i64,
    pub people: i64,
}

/// The period and the areas a figure covers.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    pub areas: &'a [String],
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Posts that count as said: not waiting for an answer, and not withdrawn as a misreading, by
/// moderation or by erasure.
const REAL_POST: &str = "p.status <> 'pending' \
     AND coalesce(p.closed_reason, '') NOT IN ('rejected', 'corrected', 'moderated', 'erased')";

/// Offers (or requests) made in the period, by area and category: posts, and their authors.
pub async fn posts_by_category(pool: &PgPool, scope: Scope<'_>, direction: &str) -> anyhow::Result<Vec<CountRow>> {
    let sql = format!(
        "SELECT p.area_slug AS area, p.category AS key, count(*) AS value,
                count(DISTINCT p.member_id) AS people
         FROM posts p
         WHERE p.area_slug = ANY($1) AND p.direction = $2 AND p.created_at >= $3 AND p.created_at < $4
           AND {REAL_POST}
         GROUP BY GROUPING SETS ((p.area_slug, p.category), (p.area_slug), (p.category), ())"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.areas)
        .bind(direction)
        .bind(scope.from)
        .bind(scope.to)
        .fetch_all(pool)
        .await?)
}

/// Members who wrote in an area's rooms in the period, by the channel they wrote on (a member
/// writing on two channels counts once in each, and once in the totals). By the time the daemon
/// received the message, not the time its sender claims (an email's Date header could otherwise
/// put a message into a month already reported).
pub async fn active_members(pool: &PgPool, scope: Scope<'_>) -> anyhow::Result<Vec<CountRow>> {
    Ok(sqlx::query_as(
        "SELECT m.area_slug AS area, m.channel AS key, count(DISTINCT m.member_id) AS value,
                count(DISTINCT m.member_id) AS people
         FROM messages m
         WHERE m.area_slug = ANY($1) AND m.received_at >= $2 AND m.received_at < $3
           AND m.member_id IS NOT NULL AND m.channel IN ('telegram', 'matrix', 'email')
         GROUP BY GROUPING SETS ((m.area_slug, m.channel), (m.area_slug), (m.channel), ())",
    )
    .bind(scope.areas)
    .bind(scope.from)
    .bind(scope.to)
    .fetch_all(pool)
    .await?)
}

/// Members who joined in the period, by area (key "new").
pub async fn new_members(pool: &PgPool, scope: Scope<'_>) -> anyhow::Result<Vec<CountRow>> {
    Ok(sqlx::query_as(
        "SELECT area_slug AS area, 'new' AS key, count(*) AS value, count(*) AS people
         FROM members
         WHERE area_slug = ANY($1) AND created_at >= $2 AND created_at < $3
         GROUP BY GROUPING SETS ((area_slug), ())",
    )
    .bind(scope.areas)
    .bind(scope.from)
    .bind(scope.to)
    .fetch_all(pool)
    .await?)
}

/// Requests made in the period, split into "answered" and "unanswered" by the end of the
/// period. Answered by a neighbour: before the period ended, the request was matched with an
/// offer of another member, or its author started borrowing from another member in the same
/// area after asking (a loan records no request, so any loan counts).
pub async fn requests_answered(pool: &PgPool, scope: Scope<'_>) -> anyhow::Result<Vec<CountRow>> {
    let sql = format!(
        "WITH r AS (
             SELECT p.area_slug, p.member_id,
                    CASE WHEN EXISTS (
                             SELECT 1 FROM matches x JOIN posts o ON o.id = x.offer_id
                             WHERE x.request_id = p.id AND o.member_id <> p.member_id AND x.created_at < $3)
                          OR EXISTS (
                             SELECT 1 FROM loans l
                             WHERE l.borrower_id = p.member_id AND l.area_slug = p.area_slug
                               AND l.started_at >= p.created_at AND l.started_at < $3)
                         THEN 'answered' ELSE 'unanswered' END AS answer
             FROM posts p
             WHERE p.area_slug = ANY($1) AND p.direction = 'request'
               AND p.created_at >= $2 AND p.created_at < $3 AND {REAL_POST})
         SELECT area_slug AS area, answer AS key, count(*) AS value, count(DISTINCT member_id) AS people
         FROM r GROUP BY GROUPING SETS ((area_slug, answer), (area_slug), (answer), ())"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.areas)
        .bind(scope.from)
        .bind(scope.to)
        .fetch_all(pool)
        .await?)
}

/// What happened between neighbours in the period, by area: "matches" (a request matched with
/// an offer; people: both sides), "loans-started", "loans-returned" (people: lender and
/// borrower), "partner-suggestions" (requests pointed to a partner; people: their authors).
/// No total across keys: they are different things.
pub async fn exchanges(pool: &PgPool, scope: Scope<'_>) -> anyhow::Result<Vec<CountRow>> {
    Ok(sqlx::query_as(
        "WITH e AS (
             SELECT r.area_slug, 'matches' AS key, x.id AS event, ARRAY[r.member_id, o.member_id] AS who
             FROM matches x JOIN posts r ON r.id = x.request_id JOIN posts o ON o.id = x.offer_id
             WHERE x.created_at >= $2 AND x.created_at < $3
           UNION ALL
             SELECT area_slug, 'loans-started', id, ARRAY[lender_id, borrower_id]
             FROM loans WHERE started_at >= $2 AND started_at < $3
           UNION ALL
             SELECT area_slug, 'loans-returned', id, ARRAY[lender_id, borrower_id]
             FROM loans WHERE state = 'returned' AND ended_at >= $2 AND ended_at < $3
           UNION ALL
             SELECT r.area_slug, 'partner-suggestions', s.request_id, ARRAY[s.member_id]
             FROM partner_suggestions s JOIN posts r ON r.id = s.request_id
             WHERE s.partner_id IS NOT NULL AND s.suggested_at >= $2 AND s.suggested_at < $3),
         w AS (SELECT area_slug, key, event, unnest(who) AS person FROM e WHERE area_slug = ANY($1))
         SELECT area_slug AS area, key, count(DISTINCT event) AS value, count(DISTINCT person) AS people
         FROM w GROUP BY GROUPING SETS ((area_slug, key), (key))",
    )
    .bind(scope.areas)
    .bind(scope.from)
    .bind(scope.to)
    .fetch_all(pool)
    .await?)
}

/// Digests sent in the period, by area: "digests" (editions that went to subscribers) and
/// "digest-emails" (emails they made). Who received them is not recorded per edition: the
/// largest edition's recipients stand for the people (at least that many distinct addresses).
pub async fn digests(pool: &PgPool, scope: Scope<'_>) -> anyhow::Result<Vec<CountRow>> {
    Ok(sqlx::query_as(
        "WITH d AS (
             SELECT area_slug, 'digests' AS key, count(*)::bigint AS value, max(recipients)::bigint AS people
             FROM digests WHERE status = 'queued' AND recipients > 0 AND area_slug = ANY($1)
               AND slot >= $2 AND slot < $3 GROUP BY area_slug
           UNION ALL
             SELECT area_slug, 'digest-emails', sum(recipients)::bigint, max(recipients)::bigint
             FROM digests WHERE status = 'queued' AND recipients > 0 AND area_slug = ANY($1)
               AND slot >= $2 AND slot < $3 GROUP BY area_slug)
         SELECT area_slug AS area, key, value, people FROM d
         UNION ALL
         SELECT NULL, key, sum(value)::bigint, max(people)::bigint FROM d GROUP BY key",
    )
    .bind(scope.areas)
    .bind(scope.from)
    .bind(scope.to)
    .fetch_all(pool)
    .await?)
}

/// Turnout of the polls that closed in the period, by area: "voters" (distinct members whose
/// vote counted, by the area it was cast in) and "reachable" (members living in the area when
/// the period ended, not erased by then). Polls that closed only: their votes no longer change,
/// so a closed month does not move.
pub async fn poll_turnout(pool: &PgPool, scope: Scope<'_>) -> anyhow::Result<Vec<CountRow>> {
    Ok(sqlx::query_as(
        "WITH v AS (
             SELECT DISTINCT v.area_slug, v.member_id FROM poll_votes v JOIN polls p ON p.id = v.poll_id
             WHERE v.area_slug = ANY($1) AND p.closed_at >= $2 AND p.closed_at < $3),
           r AS (
             SELECT area_slug, id AS member_id FROM members
             WHERE area_slug = ANY($1) AND created_at < $3 AND (erased_at IS NULL OR erased_at >= $3)
               AND EXISTS (SELECT 1 FROM v))
         SELECT area_slug AS area, 'voters' AS key, count(DISTINCT member_id) AS value,
                count(DISTINCT member_id) AS people
         FROM v GROUP BY GROUPING SETS ((area_slug), ())
         UNION ALL
         SELECT area_slug, 'reachable', count(*), count(*) FROM r GROUP BY GROUPING SETS ((area_slug), ())",
    )
    .bind(scope.areas)
    .bind(scope.from)
    .bind(scope.to)
    .fetch_all(pool)
    .await?)
}
