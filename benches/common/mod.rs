//! What the daemon's benches share: a fresh database and percentiles (each bench uses a part).
#![allow(dead_code)]

use std::time::Duration;

use sqlx::PgPool;

/// A fresh, migrated database `name` on the test server (VOISINAGE_TEST_DATABASE_URL, by
/// default the local one).
pub async fn fresh_db(name: &str) -> anyhow::Result<PgPool> {
    let server = std::env::var("VOISINAGE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin = voisinage::store::connect(&server, 2).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&admin)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await?;
    admin.close().await;
    let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
    let pool = voisinage::store::connect(&format!("{base}/{name}"), 12).await?;
    voisinage::store::migrate(&pool).await?;
    Ok(pool)
}

/// The `p` quantile (0..=1) of `v`.
pub fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Whether the bench runs in full (`cargo bench`) or quick (`cargo test`, or `-- --quick`).
pub fn quick() -> bool {
    let args: Vec<String> = std::env::args().collect();
    !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--quick")
}

/// The process's peak resident memory, in MiB.
pub fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}
