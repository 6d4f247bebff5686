//! A private PostgreSQL cluster for `voisinage try` (and the benches): initdb + pg_ctl from the
//! system's PostgreSQL binaries, in the data directory, reachable only through a Unix socket,
//! stopped when dropped. One process at a time owns a cluster's directory (a lock file): a
//! second `voisinage try` there must not start, nor stop, the first one's server.

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
    /// Held while this process owns the cluster (released when the file is closed).
    _lock: std::fs::File,
    /// Whether this process started the server, so that only then does it stop it.
    started: bool,
}

/// Name of the lock file in the cluster's directory; it holds the owner's pid and command.
const LOCK_FILE: &str = "owner.lock";

/// Takes the cluster directory for this process, or says who already has it.
fn lock_dir(dir: &Path, command: &str) -> anyhow::Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut owner = String::new();
            let _ = file.read_to_string(&mut owner);
            let mut words = owner.split_whitespace();
            let pid = words.next().map(|p| format!(" (pid {p})")).unwrap_or_default();
            let holder = words.collect::<Vec<_>>().join(" ");
            let holder = if holder.is_empty() {
                "voisinage try".to_owned()
            } else {
                holder
            };
            bail!(
                "a `{holder}` is already running in this data directory{pid}, with its PostgreSQL under {}; \
                 it is left alone: use that one, or give this one another data directory \
                 (VOISINAGE__GENERAL__DATA_DIR)",
                dir.display()
            );
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking {}", path.display()));
        }
    }
    // Who holds it, for the message of the next one; the lock is what counts, not this text.
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{} {command}", std::process::id())?;
    Ok(file)
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
    /// Starts (creating if needed) the cluster under `dir`. `command` ("voisinage try") is
    /// what a second process, finding the directory taken, is told runs there.
    pub fn start(dir: &Path, command: &str) -> anyhow::Result<PrivateCluster> {
        let bin = find_bin()?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = dir.canonicalize()?;
        let lock = lock_dir(&dir, command)?;
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
            _lock: lock,
            started: false,
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
        c.start_server(&dir, &sock)?;
        c.started = true;
        c.url = format!("postgres://postgres@localhost/voisinage?host={}", sock.display());
        Ok(c)
    }

    /// Starts the server, or adopts one left running here by a process that died: we hold
    /// the lock, so a running server cannot belong to a live `try`.
    fn start_server(&self, dir: &Path, sock: &Path) -> anyhow::Result<()> {
        let data = self.data.display().to_string();
        if self.run("pg_ctl", &["-D", &data, "status"]).is_ok() {
            return Ok(());
        }
        let opts = format!(
            "-c listen_addresses='' -k {} -c fsync=off -c synchronous_commit=off",
            sock.display()
        );
        let log = dir.join("postgres.log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &opts, "-w", "-t", "60", "start"],
        )
        .with_context(|| format!("pg_ctl start failed (see {log})"))
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

    /// Stops the server (also done on drop), if this process started it: a failed start must
    /// not stop a server that is someone else's.
    pub fn stop(&self) {
        if !self.started {
            return;
        }
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
