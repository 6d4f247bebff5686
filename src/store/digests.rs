//! The `digests` table and its `digest_bodies`: what happened in an area's period, the row
//! that makes each digest happen once, its email in each language, and the deliveries it
//! queues (one per subscriber, read from `email_subscriptions`, pointing at the body in the
//! subscriber's language).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

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

/// For each (area, slot) of `period`, the slot of the area's latest digest of that period
/// before it, in the order given: one statement for a round's whole batch.
pub async fn last_slots(
    db: &mut PgConnection,
    period: Period,
    keys: &[(String, DateTime<Utc>)],
) -> anyhow::Result<Vec<Option<DateTime<Utc>>>> {
    let areas: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let slots: Vec<DateTime<Utc>> = keys.iter().map(|k| k.1).collect();
    Ok(sqlx::query_scalar(
        "SELECT (SELECT max(d.slot) FROM digests d WHERE d.area_slug = k.a AND d.period = $3 AND d.slot < k.s)
         FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS k(a, s, i) ORDER BY k.i",
    )
    .bind(&areas)
    .bind(&slots)
    .bind(period.as_str())
    .fetch_all(db)
    .await?)
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

/// The period (since, until] an area's digest covers; `today` is the area's local date at
/// `until`.
#[derive(Debug, Clone)]
pub struct Window {
    pub area: String,
    pub area_name: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub today: NaiveDate,
}

/// A post line and the index (from 1) of the window it belongs to.
#[derive(sqlx::FromRow)]
struct WindowPost {
    i: i64,
    #[sqlx(flatten)]
    post: PostLine,
}

/// The windows as the arrays the batched statements unnest (area, since, until, today).
type Columns<'a> = (Vec<&'a str>, Vec<DateTime<Utc>>, Vec<DateTime<Utc>>, Vec<NaiveDate>);

fn columns(windows: &[Window]) -> Columns<'_> {
    (
        windows.iter().map(|w| w.area.as_str()).collect(),
        windows.iter().map(|w| w.since).collect(),
        windows.iter().map(|w| w.until).collect(),
        windows.iter().map(|w| w.today).collect(),
    )
}

/// The post lines of each window that `filter` keeps (it reads `k.a` the area, `k.s` since,
/// `k.u` until, `k.t` today and `$5` the horizon), at most `limit` each in the order of
/// the columns `order` (as `pl.id DESC`); one statement for all the windows.
async fn post_lines(
    db: &mut PgConnection,
    windows: &[Window],
    filter: &str,
    order: &str,
    horizon: i64,
    limit: i64,
) -> anyhow::Result<Vec<Vec<PostLine>>> {
    let (areas, sinces, untils, todays) = columns(windows);
    let rows: Vec<WindowPost> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT k.i, pl.* FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::date[])
                WITH ORDINALITY AS k(a, s, u, t, i)
         CROSS JOIN LATERAL ({post_line} WHERE p.area_slug = k.a AND p.status = 'open' AND {filter}
                             ORDER BY {inner} LIMIT $6) pl
         ORDER BY k.i, {order}",
        post_line = *POST_LINE,
        inner = order.replace("pl.", "p.")
    )))
    .bind(&areas)
    .bind(&sinces)
    .bind(&untils)
    .bind(&todays)
    .bind(horizon as i32)
    .bind(limit)
    .fetch_all(&mut *db)
    .await?;
    let mut out = vec![Vec::new(); windows.len()];
    for r in rows {
        out[(r.i - 1) as usize].push(r.post);
    }
    Ok(out)
}

/// The figures of each window, in order.
async fn figures(db: &mut PgConnection, windows: &[Window]) -> anyhow::Result<Vec<Figures>> {
    let (areas, sinces, untils, _) = columns(windows);
    Ok(sqlx::query_as(
        "SELECT (SELECT count(*) FROM members WHERE area_slug = k.a AND created_at > k.s AND created_at <= k.u) AS new_members,
                (SELECT count(*) FROM posts WHERE area_slug = k.a AND direction = 'offer'
                   AND created_at > k.s AND created_at <= k.u) AS offers,
                (SELECT count(*) FROM posts WHERE area_slug = k.a AND direction = 'request'
                   AND created_at > k.s AND created_at <= k.u) AS requests,
                (SELECT count(*) FROM matches mt JOIN posts r ON r.id = mt.request_id
                 WHERE r.area_slug = k.a AND mt.created_at > k.s AND mt.created_at <= k.u) AS matches,
                (SELECT count(*) FROM loans WHERE area_slug = k.a AND started_at > k.s AND started_at <= k.u) AS loans_started,
                (SELECT count(*) FROM loans WHERE area_slug = k.a AND state = 'returned'
                   AND ended_at > k.s AND ended_at <= k.u) AS loans_returned
         FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS k(a, s, u, i)
         ORDER BY k.i",
    )
    .bind(&areas)
    .bind(&sinces)
    .bind(&untils)
    .fetch_all(&mut *db)
    .await?)
}

/// Everything the digests of `windows` are made of (without the partner), in order: a few
/// statements for the whole batch, whatever its size. "Coming" means within `horizon` days
/// of the window's `today`; each section holds at most `limit` posts.
pub async fn inputs(
    db: &mut PgConnection,
    period: Period,
    windows: &[Window],
    horizon: i64,
    limit: i64,
) -> anyhow::Result<Vec<DigestInput>> {
    let new_posts = post_lines(
        db,
        windows,
        "p.created_at > k.s AND p.created_at <= k.u",
        "pl.id",
        horizon,
        limit,
    )
    .await?;
    let unanswered = post_lines(
        db,
        windows,
        "p.direction = 'request' AND p.created_at <= k.s
         AND NOT EXISTS (SELECT 1 FROM matches mt WHERE mt.request_id = p.id)",
        "pl.id DESC",
        horizon,
        limit,
    )
    .await?;
    let coming = post_lines(
        db,
        windows,
        "p.created_at <= k.s AND p.when_from IS NOT NULL AND p.when_from <= k.t + $5::int
         AND coalesce(p.when_to, p.when_from) >= k.t",
        "pl.when_from, pl.id",
        horizon,
        limit,
    )
    .await?;
    let figures = figures(db, windows).await?;
    let (areas, sinces, untils, _) = columns(windows);
    let mut announcements = vec![Vec::new(); windows.len()];
    for (i, a) in super::announcements::for_digests(db, &areas, &sinces, &untils).await? {
        announcements[i].push(announcement_line(a));
    }
    let parts = new_posts
        .into_iter()
        .zip(unanswered)
        .zip(coming)
        .zip(figures)
        .zip(announcements);
    Ok(windows
        .iter()
        .zip(parts)
        .map(
            |(w, ((((new_posts, unanswered), coming), figures), announcements))| DigestInput {
                area: w.area.clone(),
                area_name: w.area_name.clone(),
                period,
                since: w.since,
                until: w.until,
                new_posts,
                unanswered,
                coming,
                figures,
                partner: None,
                announcements,
            },
        )
        .collect())
}

/// A non-urgent announcement as the digest lists it (its link is set by the digester, which
/// knows the public address).
fn announcement_line(a: super::announcements::Announcement) -> AnnouncementLine {
    AnnouncementLine {
        id: a.id,
        commune: a.spec.commune,
        commune_slug: a.spec.commune_slug,
        title: a.spec.title,
        body: a.spec.body,
        happens_on: a.spec.happens_on,
        place: a.spec.place,
        link: String::new(),
    }
}

/// A digest's email in one language, as stored once for all its readers.
pub type Body = crate::digest::render::Email;

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

/// Queues digest `id` in one statement: stores its email in each language (`bodies`), queues
/// a delivery for every active subscriber of the area with the period's rhythm (each only
/// points at the digest and names the subscriber's language) and marks the digest queued,
/// listing `posts` posts, with `others` deliveries queued before (the rooms' summaries).
/// Returns the deliveries queued, `others` included.
pub async fn queue(
    tx: &mut Tx<'_>,
    id: i64,
    area: &str,
    period: Period,
    bodies: &[(Lang, Body)],
    posts: i64,
    others: u64,
) -> anyhow::Result<u64> {
    let langs: Vec<&str> = bodies.iter().map(|(l, _)| l.as_str()).collect();
    let subjects: Vec<&str> = bodies.iter().map(|(_, b)| b.subject.as_str()).collect();
    let texts: Vec<&str> = bodies.iter().map(|(_, b)| b.text.as_str()).collect();
    let htmls: Vec<&str> = bodies.iter().map(|(_, b)| b.html.as_str()).collect();
    let recipients: i32 = sqlx::query_scalar(
        "WITH b AS (
            INSERT INTO digest_bodies (digest_id, lang, subject, body_text, body_html)
            SELECT $1, l, s, t, h FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) AS u(l, s, t, h)
            RETURNING lang, subject
         ), q AS (
            INSERT INTO deliveries (channel, target, payload, dedupe_key)
            SELECT 'email', s.address,
                   jsonb_build_object('kind', 'digest', 'text', '', 'subject', b.subject, 'digest', $1::bigint,
                                      'lang', s.lang),
                   'digest:' || $1 || ':email:' || s.id
            FROM email_subscriptions s
            LEFT JOIN b ON b.lang = s.lang
            WHERE s.area_slug = $2 AND s.status = 'active' AND s.rhythm = $3
            ORDER BY s.id
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING 1
         )
         UPDATE digests SET status = 'queued', posts = $8, recipients = $9 + (SELECT count(*) FROM q)
         WHERE id = $1 RETURNING recipients",
    )
    .bind(id)
    .bind(area)
    .bind(period.rhythm())
    .bind(&langs)
    .bind(&subjects)
    .bind(&texts)
    .bind(&htmls)
    .bind(posts as i32)
    .bind(others as i32)
    .fetch_one(&mut **tx)
    .await?;
    Ok(recipients as u64)
}

/// How many active subscribers of the rhythm each of `areas` has in each language they read
/// (the languages with none left out), French first; one statement for all of them.
pub async fn subscribers(
    db: &mut PgConnection,
    areas: &[&str],
    period: Period,
) -> anyhow::Result<std::collections::HashMap<String, Vec<(Lang, i64)>>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT area_slug, lang, count(*) FROM email_subscriptions
         WHERE area_slug = ANY($1) AND status = 'active' AND rhythm = $2
         GROUP BY area_slug, lang",
    )
    .bind(areas)
    .bind(period.rhythm())
    .fetch_all(db)
    .await?;
    let mut out: std::collections::HashMap<String, Vec<(Lang, i64)>> = std::collections::HashMap::new();
    for (area, lang, n) in rows {
        out.entry(area)
            .or_default()
            .push((Lang::parse(&lang).unwrap_or_default(), n));
    }
    for langs in out.values_mut() {
        langs.sort_by_key(|(lang, _)| *lang != Lang::Fr);
    }
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
