//! The `digests` table and its `digest_bodies`: what happened in an area's period, the row
//! that makes each digest happen once, its email in each language, and the deliveries it
//! queues (one per subscriber, read from `email_subscriptions`, pointing at the body in the
//! subscriber's language).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::Tx;
use crate::digest::build::{AnnouncementLine, DigestInput, Figures, PostLine};
use crate::digest::schedule::Period;
use crate::i18n::Lang;

/// A post line: its first photo, its first document or video, and until when it is lent (an
/// offer whose every copy is).
static POST_LINE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT p.id, p.direction, p.item, p.category, m.display_name AS author, p.when_from, p.when_to,
                p.message_id, p.created_at,
                (SELECT mm.hash FROM message_media mm JOIN media md ON md.hash = mm.hash
                  WHERE mm.message_id = p.message_id AND md.mime LIKE 'image/%'
                  ORDER BY mm.position LIMIT 1) AS photo,
                (SELECT mm.hash FROM message_media mm JOIN media md ON md.hash = mm.hash
                  WHERE mm.message_id = p.message_id AND md.mime NOT LIKE 'image/%'
                  ORDER BY mm.position LIMIT 1) AS file,
                {} AS lent_until
         FROM posts p JOIN members m ON m.id = p.member_id",
        super::loans::lent_until_sql("p.id")
    )
});

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
        "{post_line} WHERE p.area_slug = $1 AND p.status = 'open' AND p.created_at > $2 AND p.created_at <= $3
         ORDER BY p.id LIMIT $4",
        post_line = *POST_LINE
    )))
    .bind(area)
    .bind(since)
    .bind(until)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    let unanswered: Vec<PostLine> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{post_line} WHERE p.area_slug = $1 AND p.status = 'open' AND p.direction = 'request' AND p.created_at <= $2
           AND NOT EXISTS (SELECT 1 FROM matches mt WHERE mt.request_id = p.id)
         ORDER BY p.id DESC LIMIT $3",
        post_line = *POST_LINE
    )))
    .bind(area)
    .bind(since)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    let coming: Vec<PostLine> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{post_line} WHERE p.area_slug = $1 AND p.status = 'open' AND p.created_at <= $2
           AND p.when_from IS NOT NULL AND p.when_from <= $3::date + $4::int
           AND coalesce(p.when_to, p.when_from) >= $3::date
         ORDER BY p.when_from, p.id LIMIT $5",
        post_line = *POST_LINE
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
                 WHERE r.area_slug = $1 AND mt.created_at > $2 AND mt.created_at <= $3) AS matches,
                (SELECT count(*) FROM loans WHERE area_slug = $1 AND started_at > $2 AND started_at <= $3) AS loans_started,
                (SELECT count(*) FROM loans WHERE area_slug = $1 AND state = 'returned'
                   AND ended_at > $2 AND ended_at <= $3) AS loans_returned",
    )
    .bind(area)
    .bind(since)
    .bind(until)
    .fetch_one(&mut **tx)
    .await?;
    let announcements = announcement_lines(tx, area, since, until).await?;
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
        announcements,
    })
}

/// The non-urgent announcements to `area` in (since, until], as the digest lists them (their
/// links are set by the digester, which knows the public address).
async fn announcement_lines(
    tx: &mut Tx<'_>,
    area: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<Vec<AnnouncementLine>> {
    Ok(super::announcements::for_digest(tx, area, since, until)
        .await?
        .into_iter()
        .map(|a| AnnouncementLine {
            id: a.id,
            commune: a.spec.commune,
            commune_slug: a.spec.commune_slug,
            title: a.spec.title,
            body: a.spec.body,
            happens_on: a.spec.happens_on,
            place: a.spec.place,
            link: String::new(),
        })
        .collect())
}

/// A digest's email in one language, as stored once for all its readers.
pub type Body = crate::digest::render::Email;

/// Stores the email of digest `id` in `lang`.
pub async fn add_body(tx: &mut Tx<'_>, id: i64, lang: Lang, body: &Body) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO digest_bodies (digest_id, lang, subject, body_text, body_html) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(lang.as_str())
    .bind(&body.subject)
    .bind(&body.text)
    .bind(&body.html)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The email of digest `id` in `lang`; in French when there is none in `lang` (the outbox
/// sends what it can rather than nothing); None when the digest has no email at all.
pub async fn body(pool: &PgPool, id: i64, lang: Lang) -> anyhow::Result<Option<Body>> {
    Ok(sqlx::query_as(
        "SELECT subject, body_text AS text, body_html AS html FROM digest_bodies WHERE digest_id = $1
         ORDER BY lang = $2 DESC, lang = 'fr' DESC LIMIT 1",
    )
    .bind(id)
    .bind(lang.as_str())
    .fetch_optional(pool)
    .await?)
}

/// Queues digest `id` for every active subscriber of the area with the period's rhythm, in
/// one statement: each delivery only points at the digest and names the subscriber's
/// language (its body is in `digest_bodies`, stored before).
pub async fn queue_subscribers(tx: &mut Tx<'_>, id: i64, area: &str, period: Period) -> anyhow::Result<u64> {
    Ok(sqlx::query(
        "INSERT INTO deliveries (channel, target, payload, dedupe_key)
         SELECT 'email', s.address,
                jsonb_build_object('kind', 'digest', 'text', '', 'subject', b.subject, 'digest', $1::bigint,
                                   'lang', s.lang),
                'digest:' || $1 || ':email:' || s.id
         FROM email_subscriptions s
         LEFT JOIN digest_bodies b ON b.digest_id = $1 AND b.lang = s.lang
         WHERE s.area_slug = $2 AND s.status = 'active' AND s.rhythm = $3
         ORDER BY s.id
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(id)
    .bind(area)
    .bind(period.rhythm())
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Marks digest `id` as sent out: it lists `posts` posts and queued `recipients` deliveries.
pub async fn set_queued(tx: &mut Tx<'_>, id: i64, posts: i64, recipients: u64) -> anyhow::Result<()> {
    sqlx::query("UPDATE digests SET status = 'queued', posts = $2, recipients = $3 WHERE id = $1")
        .bind(id)
        .bind(posts as i32)
        .bind(recipients as i32)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many active subscribers of the rhythm the area has in each language they read (the
/// languages with none left out), French first.
pub async fn subscribers(tx: &mut Tx<'_>, area: &str, period: Period) -> anyhow::Result<Vec<(Lang, i64)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT lang, count(*) FROM email_subscriptions WHERE area_slug = $1 AND status = 'active' AND rhythm = $2
         GROUP BY lang",
    )
    .bind(area)
    .bind(period.rhythm())
    .fetch_all(&mut **tx)
    .await?;
    let mut out: Vec<(Lang, i64)> = rows
        .into_iter()
        .map(|(lang, n)| (Lang::parse(&lang).unwrap_or_default(), n))
        .collect();
    out.sort_by_key(|(lang, _)| *lang != Lang::Fr);
    Ok(out)
}

/// How many digests were made, by period and status (`/metrics`).
pub async fn counts(pool: &PgPool) -> anyhow::Result<Vec<(String, String, i64)>> {
    Ok(
        sqlx::query_as("SELECT period, status, count(*) FROM digests GROUP BY 1, 2 ORDER BY 1, 2")
            .fetch_all(pool)
            .await?,
    )
}
