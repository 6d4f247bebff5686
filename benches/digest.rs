//! Digest bench: the weekly digests of 1,000 areas with 100,000 email subscribers (100 per
//! area), 10,000 posts of the week and a room per area, built, rendered and queued by one
//! scheduler round (`Digester::run_once`), as the daemon does at the weekly slot. Prints the
//! time, the deliveries queued and the bench process's peak memory (VmHWM, which includes
//! setting the data up).
//!
//! Run: `cargo bench --bench digest` (`-- --quick`: 50 areas, as `cargo test` does). The size
//! comes from the environment: `VOISINAGE_BENCH_DIGEST_AREAS` (default 1,000; at most 10,000)
//! and `VOISINAGE_BENCH_DIGEST_SUBSCRIBERS` per area (default 100), e.g. 10,000 × 100 for the
//! million subscribers of issue 19.

mod common;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use voisinage::areas::Areas;
use voisinage::config::Settings;
use voisinage::core::Core;
use voisinage::digest::Digester;

const WEEKLY: &str = "0 0 9 * * Sat";

/// `n` square areas side by side (0.01° each), slugs zone-0000…, one postcode each.
fn areas_geojson(n: usize) -> String {
    let features: Vec<String> = (0..n)
        .map(|i| {
            let (x, y) = ((i % 100) as f64 * 0.01 - 2.0, (i / 100) as f64 * 0.01 + 48.0);
            format!(
                r#"{{"type":"Feature","properties":{{"slug":"zone-{i:04}","name":"Zone {i}","commune":"Bench","postcodes":["{:05}"],"timezone":"Europe/Paris","holiday_zone":"B"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{x2},{y}],[{x2},{y2}],[{x},{y2}],[{x},{y}]]]}}}}"#,
                10000 + i,
                x2 = x + 0.01,
                y2 = y + 0.01
            )
        })
        .collect();
    format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
}

/// A size from the environment, or its default.
fn env_size(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .replace(['_', ','], "")
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={v:?}: {e}")),
        Err(_) => Ok(default),
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let quick = common::quick();
    let (n_areas, per_area, posts_per_area) = if quick {
        (50, 100, 10)
    } else {
        (
            env_size("VOISINAGE_BENCH_DIGEST_AREAS", 1_000)?,
            env_size("VOISINAGE_BENCH_DIGEST_SUBSCRIBERS", 100)?,
            10,
        )
    };
    anyhow::ensure!(
        (1..=10_000).contains(&n_areas),
        "between 1 and 10,000 areas (slugs have four digits)"
    );
    let pool = common::fresh_db("voisinage_bench_digest").await?;
    let areas = Areas::from_geojson("bench areas", &areas_geojson(n_areas))?;
    voisinage::store::sync_areas(&pool, &areas).await?;
    let setup = Instant::now();
    // Members, their messages and posts of the week (offers and requests, several categories),
    // a Telegram room per area, and the weekly subscribers.
    sqlx::query(
        "INSERT INTO members (display_name, area_slug)
         SELECT 'Voisin ' || g, 'zone-' || lpad(((g - 1) / $2)::text, 4, '0') FROM generate_series(1, $1 * $2) g",
    )
    .bind(n_areas as i32)
    .bind(posts_per_area)
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO messages (channel, chat_external_id, native_id, area_slug, member_id, body, sent_at)
         SELECT 'telegram', '-' || m.id, m.id::text, m.area_slug, m.id, 'je prête ma perceuse', now() FROM members m",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO posts (area_slug, member_id, message_id, ordinal, direction, kind, mode, item, category, confidence, source_text)
         SELECT msg.area_slug, msg.member_id, msg.id, 0,
                CASE WHEN msg.id % 3 = 0 THEN 'request' ELSE 'offer' END, 'item', 'loan',
                (ARRAY['perceuse', 'échelle', 'poussette', 'tente', 'scie sauteuse', 'livres'])[1 + msg.id % 6],
                (ARRAY['bricolage', 'bricolage', 'enfants', 'loisirs', 'bricolage', 'loisirs'])[1 + msg.id % 6],
                0.9, msg.body
         FROM messages msg",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO chats (channel, external_id, area_slug, kind) SELECT 'telegram', 'room-' || slug, slug, 'room' FROM areas",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO email_subscriptions (address, area_slug, rhythm)
         SELECT 'abonne' || g || '@exemple.fr', 'zone-' || lpad(((g - 1) / $2)::text, 4, '0'), 'weekly'
         FROM generate_series(1, $1 * $2) g",
    )
    .bind(n_areas as i32)
    .bind(per_area as i32)
    .execute(&pool)
    .await?;
    sqlx::query("ANALYZE").execute(&pool).await?;
    let setup = setup.elapsed();

    let env = vec![
        ("VOISINAGE__DIGEST__WEEKLY".to_owned(), WEEKLY.to_owned()),
        ("VOISINAGE__CHANNELS__EMAIL__ENABLED".to_owned(), "true".to_owned()),
    ];
    let settings = Settings::from_parts("bench", voisinage::config::DEFAULT_TOML, &env)?;
    let core = Arc::new(Core::with_defaults(pool.clone(), Arc::new(areas)));
    let digester = Digester::new(core, Arc::new(voisinage::partners::Partners::example()), &settings)?;
    let slot = cron::Schedule::from_str(WEEKLY)?
        .after(&Utc::now().with_timezone(&chrono_tz::Europe::Paris))
        .next()
        .expect("a next Saturday")
        .with_timezone(&Utc);

    let start = Instant::now();
    let round = digester.run_once(slot).await?;
    let took = start.elapsed();
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries")
        .fetch_one(&pool)
        .await?;
    let expected = (n_areas * per_area + n_areas) as i64;
    anyhow::ensure!(round.queued == n_areas, "{} digests queued of {n_areas}", round.queued);
    anyhow::ensure!(queued == expected, "{queued} deliveries queued, {expected} expected");
    println!(
        "digest: {n_areas} areas, {} subscribers, {} posts (setup {:.1} s)",
        n_areas * per_area,
        n_areas as i64 * posts_per_area,
        setup.as_secs_f64()
    );
    println!(
        "  one weekly round: {} digests built, rendered and queued as {queued} deliveries in {:.2} s ({:.0} digests/s)",
        round.queued,
        took.as_secs_f64(),
        round.queued as f64 / took.as_secs_f64()
    );
    println!("  peak memory of the bench process: {:.0} MiB", common::peak_mib());
    pool.close().await;
    Ok(())
}
