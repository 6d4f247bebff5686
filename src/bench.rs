//! `voisinage bench`: ingest throughput beside a plain INSERT loop on the same database in the
//! same run, and the matching query's latency on a large table. Prints figures; asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};

use crate::areas::Areas;
use crate::core::Core;
use crate::core::model::{ChannelKind, Inbound};
use crate::parse::Direction;
use crate::pgcluster::PrivateCluster;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Messages ingested for the throughput figure (and rows of the plain INSERT loop).
    #[arg(long, default_value_t = 3000)]
    pub messages: usize,
    /// Posts in the table for the matching figure.
    #[arg(long, default_value_t = 1_000_000)]
    pub posts: i64,
    /// Areas the posts are spread over.
    #[arg(long, default_value_t = 200)]
    pub areas: i64,
    /// Matching queries timed.
    #[arg(long, default_value_t = 2000)]
    pub queries: usize,
}

const MESSAGES: &[&str] = &[
    "Je prête ma perceuse ce week-end si quelqu'un en a besoin",
    "Qqn aurait une échelle à me prêter samedi ?",
    "À donner : lit parapluie et poussette, à venir chercher",
    "Merci encore pour la tondeuse !",
    "Vends vélo enfant 25€, très bon état",
    "Je cherche quelqu'un pour garder mon chat du 3 au 10 août",
    "Bonjour à tous, belle journée 🙂",
    "Est-ce que qqn a un appareil à raclette pour vendredi soir ?",
];

const ITEMS: &[(&str, &str)] = &[
    ("perceuse", "bricolage"),
    ("échelle", "bricolage"),
    ("escabeau", "bricolage"),
    ("tondeuse", "jardinage"),
    ("taille-haie", "jardinage"),
    ("appareil à raclette", "cuisine"),
    ("crêpière", "cuisine"),
    ("canapé", "maison"),
    ("aspirateur", "maison"),
    ("vélo", "mobilite"),
    ("remorque", "mobilite"),
    ("poussette", "enfants"),
    ("lit parapluie", "enfants"),
    ("tente", "loisirs"),
    ("jeu de société", "loisirs"),
    ("ordinateur", "high_tech"),
    ("imprimante", "high_tech"),
    ("manteau", "vetements"),
    ("garde de chat", "animaux"),
    ("confiture", "alimentation"),
    ("cours de maths", "education"),
    ("béquille", "sante"),
    ("courses", "entraide"),
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Runs the benchmarks on a fresh `voisinage_bench` database of the configured server (or of
/// a private cluster when none is configured).
pub async fn run(settings: crate::config::Settings, args: &BenchArgs) -> anyhow::Result<()> {
    let mut _cluster = None;
    let server = match &settings.database.url {
        Some(u) => u.expose_secret().to_owned(),
        None => {
            let c = PrivateCluster::start(&settings.general.data_dir.join("bench-postgres"), "voisinage bench")?;
            c.ensure_database().await?;
            let u = c.url.clone();
            _cluster = Some(c);
            u
        }
    };
    let _ = SecretString::from(server.clone());
    let admin = crate::store::connect(&server, 2).await?;
    sqlx::query("DROP DATABASE IF EXISTS voisinage_bench WITH (FORCE)")
        .execute(&admin)
        .await?;
    sqlx::query("CREATE DATABASE voisinage_bench").execute(&admin).await?;
    admin.close().await;
    let url = bench_url(&server)?;
    let pool = crate::store::connect(&url, 8).await?;
    crate::store::migrate(&pool).await?;
    let areas = Arc::new(Areas::example());
    crate::store::sync_areas(&pool, &areas).await?;
    let core = Core::with_defaults(pool.clone(), areas.clone());
    for a in areas.all() {
        crate::store::link_room(
            &pool,
            ChannelKind::Console,
            &format!("console:{}", a.slug),
            a.slug.as_str(),
        )
        .await?;
        crate::store::link_room(&pool, ChannelKind::Telegram, &format!("tg:{}", a.slug), a.slug.as_str()).await?;
    }
    println!(
        "PostgreSQL: {}",
        sqlx::query_scalar::<_, String>("SHOW server_version")
            .fetch_one(&pool)
            .await?
    );

    // 1. Ingest vs a plain one-row INSERT loop, same database, same run, one connection each.
    sqlx::query("CREATE TABLE bench_plain (id bigserial PRIMARY KEY, body text NOT NULL)")
        .execute(&pool)
        .await?;
    let n = args.messages;
    let slugs: Vec<String> = areas.all().iter().map(|a| a.slug.as_str().to_owned()).collect();
    // A warm-up, not timed: statements prepared on the connections, and the tables analyzed
    // as autovacuum would do early in a deployment (the test cluster runs without it, and
    // without statistics the planner reads every open post to match a new one).
    for i in 0..(n / 10).max(1) {
        plain_insert(&pool, i).await?;
        core.ingest(&bench_message(&slugs, "warm", i)).await?;
    }
    sqlx::query("ANALYZE").execute(&pool).await?;
    // Alternating blocks of 100, so that a change in the machine's load falls on both.
    // The third kind of block is a poll round under load: 100 messages through one
    // `ingest_batch`, as the Telegram poller hands them over.
    let (mut plain, mut ingest, mut rounds) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut lat = Vec::with_capacity(n);
    for block in (0..n).collect::<Vec<_>>().chunks(100) {
        let start = Instant::now();
        for &i in block {
            plain_insert(&pool, i).await?;
        }
        plain += start.elapsed();
        let start = Instant::now();
        for &i in block {
            let m = bench_message(&slugs, "bench", i);
            let t = Instant::now();
            core.ingest(&m).await?;
            lat.push(t.elapsed());
        }
        ingest += start.elapsed();
        let round: Vec<Inbound> = block.iter().map(|&i| bench_message(&slugs, "round", i)).collect();
        let start = Instant::now();
        core.ingest_batch(&round).await?;
        rounds += start.elapsed();
    }
    lat.sort();
    let plain_rate = n as f64 / plain.as_secs_f64();
    let ingest_rate = n as f64 / ingest.as_secs_f64();
    let round_rate = n as f64 / rounds.as_secs_f64();
    let posts: i64 = sqlx::query_scalar("SELECT count(*) FROM posts")
        .fetch_one(&pool)
        .await?;
    let deliveries: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries")
        .fetch_one(&pool)
        .await?;
    println!(
        "ingest: {n} messages after {} of warm-up → {posts} posts, {deliveries} deliveries in all",
        (n / 10).max(1)
    );
    println!("  plain one-row INSERT loop: {plain_rate:.0} rows/s");
    println!(
        "  ingest (Inbound → committed posts, matches, deliveries): {ingest_rate:.0} messages/s = {:.0}% of the INSERT loop; \
         per message p50 {:.2} ms, p99 {:.2} ms",
        100.0 * ingest_rate / plain_rate,
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "  ingest in poll rounds of 100 (Telegram polling under load, one transaction a round): \
         {round_rate:.0} messages/s = {:.0}% of the INSERT loop",
        100.0 * round_rate / plain_rate
    );

    // 2. The matching query on a large table.
    let start = Instant::now();
    fill(&pool, args.posts, args.areas).await?;
    println!(
        "matching: filled {} posts over {} areas in {:.1} s",
        args.posts,
        args.areas,
        start.elapsed().as_secs_f64()
    );
    let mut lat = Vec::with_capacity(args.queries);
    let mut found = 0usize;
    for q in 0..args.queries {
        let area = format!("bench-{:03}", (q * 7919) % args.areas as usize);
        let (item, category) = ITEMS[(q * 31) % ITEMS.len()];
        let dir = if q % 2 == 0 {
            Direction::Offer
        } else {
            Direction::Request
        };
        let mut tx = pool.begin().await?;
        let t = Instant::now();
        let c = crate::store::posts::candidates(&mut tx, &area, dir, -1, item, category, 3).await?;
        lat.push(t.elapsed());
        tx.rollback().await?;
        found += c.len();
    }
    lat.sort();
    println!(
        "  candidates query over {} queries ({found} candidates): p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
        args.queries,
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.95).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3
    );
    pool.close().await;
    Ok(())
}

/// One row of the plain INSERT loop.
async fn plain_insert(pool: &sqlx::PgPool, i: usize) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO bench_plain (body) VALUES ($1)")
        .bind(MESSAGES[i % MESSAGES.len()])
        .execute(pool)
        .await?;
    Ok(())
}

/// The `i`-th message of the ingest loop: each area's console room in turn, 97 neighbours.
fn bench_message(slugs: &[String], prefix: &str, i: usize) -> Inbound {
    let area = &slugs[i % slugs.len()];
    Inbound {
        channel: ChannelKind::Console,
        chat: format!("console:{area}"),
        native_id: format!("{prefix}-{i}"),
        sender: format!("neighbour-{}", i % 97),
        sender_name: format!("Voisin {}", i % 97),
        text: MESSAGES[i % MESSAGES.len()].to_owned(),
        sent_at: Utc::now(),
        reply_to: None,
        ..Default::default()
    }
}

fn bench_url(server: &str) -> anyhow::Result<String> {
    // Replace the database name, keeping query parameters (the private cluster's socket).
    let (head, query) = server
        .split_once('?')
        .map(|(h, q)| (h, Some(q)))
        .unwrap_or((server, None));
    let (base, _) = head.rsplit_once('/').context("the database URL has no database name")?;
    Ok(match query {
        Some(q) => format!("{base}/voisinage_bench?{q}"),
        None => format!("{base}/voisinage_bench"),
    })
}

/// Bulk-fills areas, one member per area, one message and one post per row.
async fn fill(pool: &sqlx::PgPool, posts: i64, areas: i64) -> anyhow::Result<()> {
    let names: Vec<String> = ITEMS.iter().map(|i| i.0.to_owned()).collect();
    let cats: Vec<String> = ITEMS.iter().map(|i| i.1.to_owned()).collect();
    sqlx::query(
        "INSERT INTO areas (slug, name, commune, postcodes)
         SELECT format('bench-%s', lpad(g::text, 3, '0')), format('Bench %s', g), 'Bench', ARRAY['00000']
         FROM generate_series(0, $1 - 1) g",
    )
    .bind(areas)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO members (display_name, area_slug)
         SELECT format('Bench %s', g), format('bench-%s', lpad(g::text, 3, '0')) FROM generate_series(0, $1 - 1) g",
    )
    .bind(areas)
    .execute(pool)
    .await?;
    let first_member: i64 = sqlx::query_scalar("SELECT min(id) FROM members WHERE display_name LIKE 'Bench %'")
        .fetch_one(pool)
        .await?;
    sqlx::query(
        "INSERT INTO messages (channel, chat_external_id, native_id, body, sent_at)
         SELECT 'console', 'bench', format('fill-%s', g), 'bench', now() FROM generate_series(1, $1) g",
    )
    .bind(posts)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO posts (area_slug, member_id, message_id, ordinal, direction, kind, item, category, confidence, source_text)
         SELECT format('bench-%s', lpad((m.id % $1)::text, 3, '0')), $2 + (m.id % $1), m.id, 0,
                CASE WHEN m.id % 2 = 0 THEN 'offer' ELSE 'request' END, 'item',
                ($3::text[])[1 + m.id % array_length($3, 1)], ($4::text[])[1 + m.id % array_length($4, 1)], 0.9,
                'je prête ' || ($3::text[])[1 + m.id % array_length($3, 1)]
         FROM messages m WHERE m.native_id LIKE 'fill-%'",
    )
    .bind(areas)
    .bind(first_member)
    .bind(&names)
    .bind(&cats)
    .execute(pool)
    .await?;
    // A tenth closed, as in real life.
    sqlx::query("UPDATE posts SET status = 'closed', closed_at = now() WHERE id % 10 = 0")
        .execute(pool)
        .await?;
    sqlx::query("VACUUM ANALYZE posts").execute(pool).await?;
    Ok(())
}
