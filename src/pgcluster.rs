//! A private PostgreSQL cluster for `voisinage try` (and the benches): initdb + pg_ctl from the
//! system's PostgreSQL binaries, in the data directory, reachable only through a Unix socket,
//! stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// A running private cluster.
#[derive(Debug)]
pub struct PrivateCluster {
    bin: PathBuf,
    data: PathBuf,
    /// Run the server as this user (initdb refuses root).
    run_as: Option<String>,
    /// The URL to connect to the `voisinage` database.
    pub url: String,
}

fn find_bin() -> anyhow::Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect();
        versions.sort();
        candidates.extend(versions.into_iter().rev());
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates
        .into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
        .context(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install the `postgresql` package \
             (Debian/Ubuntu: apt-get install postgresql), or set VOISINAGE__DATABASE__URL to an existing database",
        )
}

fn is_root() -> bool {
    // SAFETY-free check: `id -u` is universally available and avoids a libc dependency.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PrivateCluster {
    /// Starts (creating if needed) the cluster under `dir`.
    pub fn start(dir: &Path) -> anyhow::Result<PrivateCluster> {
        let bin = find_bin()?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = dir.canonicalize()?;
        let data = dir.join("pgdata");
        let sock = dir.join("run");
        std::fs::create_dir_all(&sock)?;
        let run_as = if is_root() { Some("postgres".to_owned()) } else { None };
        if let Some(user) = &run_as {
            let ok = Command::new("id")
                .arg(user)
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            if !ok {
                bail!("running as root, and there is no `{user}` user to run PostgreSQL as (initdb refuses root)");
            }
            let status = Command::new("chown").args(["-R", user]).arg(&dir).status()?;
            if !status.success() {
                bail!("cannot give {} to the {user} user", dir.display());
            }
        }
        let mut c = PrivateCluster {
            bin,
            data,
            run_as,
            url: String::new(),
        };
        if !c.data.join("PG_VERSION").is_file() {
            c.run(
                "initdb",
                &[
                    "-D",
                    &c.data.display().to_string(),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ],
            )
            .context("initdb failed")?;
        }
        let opts = format!(
            "-c listen_addresses='' -k {} -c fsync=off -c synchronous_commit=off",
            sock.display()
        );
        let log = dir.join("postgres.log").display().to_string();
        c.run(
            "pg_ctl",
            &[
                "-D",
                &c.data.display().to_string(),
                "-l",
                &log,
                "-o",
                &opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        .with_context(|| format!("pg_ctl start failed (see {log})"))?;
        c.url = format!("postgres://postgres@localhost/voisinage?host={}", sock.display());
        Ok(c)
    }

    /// The URL of the maintenance database, to create `voisinage` in.
    pub fn admin_url(&self) -> String {
        self.url.replacen("/voisinage?", "/postgres?", 1)
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let exe = self.bin.join(tool);
        let out = match &self.run_as {
            Some(user) => Command::new("runuser")
                .args(["-u", user, "--"])
                .arg(&exe)
                .args(args)
                .output(),
            None => Command::new(&exe).args(args).output(),
        }
        .with_context(|| format!("running {}", exe.display()))?;
        if !out.status.success() {
            bail!(
                "{} {}: {}",
                tool,
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// Creates the `voisinage` database if it does not exist.
    pub async fn ensure_database(&self) -> anyhow::Result<()> {
        let pool = crate::store::connect(&self.admin_url(), 2).await?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'voisinage')")
            .fetch_one(&pool)
            .await?;
        if !exists {
            sqlx::query("CREATE DATABASE voisinage").execute(&pool).await?;
        }
        pool.close().await;
        Ok(())
    }

    /// Stops the server (also done on drop).
    pub fn stop(&self) {
        let _ = self.run(
            "pg_ctl",
            &["-D", &self.data.display().to_string(), "-m", "fast", "-w", "stop"],
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.stop();
    }
}
