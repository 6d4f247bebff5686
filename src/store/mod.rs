//! PostgreSQL access: one file per group of tables. Queries are plain sqlx calls (no
//! compile-time database needed to build).

pub mod announcements;
pub mod chats;
pub mod corrections;
pub mod deliveries;
pub mod digests;
pub mod enums;
pub mod failures;
pub mod held_mails;
pub mod loans;
pub mod locks;
pub mod media;
pub mod members;
pub mod messages;
pub mod moderation;
pub mod municipal;
pub mod partners;
pub mod polls;
pub mod posts;
pub mod privacy;
pub mod questions;
pub mod report;
pub mod secrets;
pub mod subscriptions;
pub mod undecrypted;

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

use crate::areas::Areas;
use crate::core::model::ChannelKind;

/// The embedded migrations (migrations/*.sql).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects to `url` with at most `max` connections.
pub async fn connect(url: &str, max: u32) -> anyhow::Result<PgPool> {
    let opts: PgConnectOptions = url.parse().context("the database URL is not a PostgreSQL URL")?;
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await
        .context("cannot connect to PostgreSQL")
}

/// Whether the database answers (the health check).
pub async fn ping(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}

/// Applies pending migrations.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("applying the database migrations")
}

/// Mirrors the areas of the configuration into the `areas` table (insert or update).
pub async fn sync_areas(pool: &PgPool, areas: &Areas) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    for a in areas.all() {
        let codes: Vec<String> = a.postcodes.iter().map(|p| p.as_str().to_owned()).collect();
        sqlx::query(
            "INSERT INTO areas (slug, name, commune, postcodes, timezone, holiday_zone) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (slug) DO UPDATE SET name = $2, commune = $3, postcodes = $4, timezone = $5,
               holiday_zone = $6, updated_at = now()",
        )
        .bind(a.slug.as_str())
        .bind(&a.name)
        .bind(&a.commune)
        .bind(&codes)
        .bind(a.timezone.name())
        .bind(format!("{:?}", a.holiday_zone))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Makes `external_id` on `channel` the room of `area` (the area's previous room on that
/// channel becomes a plain group). Returns the chat id.
pub async fn link_room(pool: &PgPool, channel: ChannelKind, external_id: &str, area: &str) -> anyhow::Result<i64> {
    let mut tx = pool.begin().await?;
    let id = chats::link_room_tx(&mut tx, channel, external_id, area).await?;
    tx.commit().await?;
    Ok(id)
}

/// A transaction on the store.
pub type Tx<'a> = Transaction<'a, Postgres>;

/// Begins an ingest transaction (a message, or a poll round of them), in the same round trip
/// as `BEGIN`, with generic plans for its prepared statements. Storing and matching a
/// message's posts ([`posts::insert_and_match`]) takes its posts as arrays, whose length
/// PostgreSQL only knows when it plans for the values at hand; so it kept planning that
/// statement anew for every message (0.55 ms of planning beside 0.29 ms of execution, from
/// `pg_stat_statements` with `track_planning` during `voisinage bench`), when the plan it
/// makes for any values is the same one. The other statements of an ingest were already
/// planned generically after their first five runs. Scoped to the transaction (`SET LOCAL`),
/// so no other statement of the daemon changes how it is planned.
pub async fn begin_ingest(pool: &PgPool) -> anyhow::Result<Tx<'static>> {
    pool.begin_with("BEGIN; SET LOCAL plan_cache_mode = force_generic_plan")
        .await
        .context("starting the ingest transaction")
}
