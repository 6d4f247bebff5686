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

/// CPU time (user + system) used so far by process `pid` (Linux /proc), or zero if unreadable.
pub fn cpu_of(pid: u32) -> Duration {
    let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces), from the last ')'.
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
            Some(rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    // Linux reports them in USER_HZ, 100 a second on every architecture it runs on.
    Duration::from_millis(ticks * 10)
}

/// CPU time used so far by every live process whose command name is `comm` (e.g. the
/// PostgreSQL server's backends, "postgres").
pub fn cpu_of_command(comm: &str) -> Duration {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim_end() == comm))
        .map(cpu_of)
        .sum()
}

/// The pid a peer script wrote in `file` (e.g. DIR/synapse.pid), if any.
pub fn pid_in(file: &std::path::Path) -> Option<u32> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// A `CpuMeter::per_item_ms` figure as printed: "this process / PostgreSQL / the peer".
pub fn cpu_ms(c: [f64; 3]) -> String {
    format!("{:.2} / {:.2} / {:.2}", c[0], c[1], c[2])
}

/// CPU used by this process, PostgreSQL and one peer process during a phase of a bench.
pub struct CpuMeter {
    peer: Option<u32>,
    start: [Duration; 3],
}

impl CpuMeter {
    pub fn start(peer: Option<u32>) -> Self {
        CpuMeter {
            peer,
            start: Self::now(peer),
        }
    }

    fn now(peer: Option<u32>) -> [Duration; 3] {
        [
            cpu_of(std::process::id()),
            cpu_of_command("postgres"),
            peer.map(cpu_of).unwrap_or_default(),
        ]
    }

    /// Milliseconds of CPU per item since `start`: (this process, PostgreSQL, the peer).
    pub fn per_item_ms(&self, items: usize) -> [f64; 3] {
        let now = Self::now(self.peer);
        std::array::from_fn(|i| now[i].saturating_sub(self.start[i]).as_secs_f64() * 1e3 / items.max(1) as f64)
    }
}
