//! Shared helpers for the integration tests.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use voisinage::parse::{ParseInput, Parser, Post};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpus directory (../shared/corpus beside the repository), or a clear panic.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("VOISINAGE_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus"));
    assert!(
        dir.join("dev.jsonl").is_file() && dir.join("score.py").is_file(),
        "the labelled corpus is missing: expected dev.jsonl and score.py in {} (set VOISINAGE_CORPUS_DIR)",
        dir.display()
    );
    dir
}

pub fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).expect("test time")
}

/// Parses `text` as sent at `when`, in a Europe/Paris zone B area.
pub fn parse_at(text: &str, when: &str) -> Vec<Post> {
    Parser::embedded().parse(&ParseInput::new(text, at(when)))
}

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sqlx::PgPool;
use voisinage::areas::Areas;
use voisinage::core::Core;
use voisinage::core::model::{ChannelKind, Inbound, Outgoing};
use voisinage::core::outbox::{Outbox, OutboxConfig};
use voisinage::core::{Channel, SendError};
use voisinage::telemetry::Metrics;

/// The PostgreSQL server the tests use: DATABASE_URL's server, or the local one.
pub fn server_url() -> String {
    std::env::var("VOISINAGE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh database for one test, migrated; dropped by `finish`.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    /// The database's URL, for commands run as separate processes.
    pub url: String,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let admin = voisinage::store::connect(&server_url(), 2)
            .await
            .expect("a PostgreSQL server for the tests (scripts/test.sh starts one)");
        let name = format!("voisinage_test_{}_{}", std::process::id(), rand_suffix());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create database");
        admin.close().await;
        let url = match server_url().rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("bad test database URL"),
        };
        let pool = voisinage::store::connect(&url, 8)
            .await
            .expect("connect to the test database");
        voisinage::store::migrate(&pool).await.expect("migrations apply");
        voisinage::store::sync_areas(&pool, &Areas::example())
            .await
            .expect("areas");
        TestDb { pool, name, url }
    }

    pub async fn finish(self) {
        self.pool.close().await;
        if let Ok(admin) = voisinage::store::connect(&server_url(), 2).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&admin)
            .await;
        }
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{t}_{}", N.fetch_add(1, Ordering::Relaxed))
}

/// The core on a test database. Every post it reads counts as sure, so that tests of ingest,
/// matching and partners do not hang on the parser's calibration (which moves as the lexicon
/// grows); questions.rs sets its own threshold, and parse_corpus.rs checks the calibration.
pub fn core(pool: &PgPool) -> Arc<Core> {
    let mut core = Core::with_defaults(pool.clone(), Arc::new(Areas::example()));
    core.questions.sure_threshold = 0.0;
    Arc::new(core)
}

/// A channel that records what it is asked to send and answers from a script per target
/// (then succeeds), like a peer that can rate-limit, fail, or accept.
pub struct Recorder {
    pub kind: ChannelKind,
    pub sent: Mutex<Vec<(String, String)>>,
    script: Mutex<HashMap<String, VecDeque<Result<(), SendError>>>>,
    /// What `ready_to_send` answers (a channel still logging in answers false).
    pub ready: std::sync::atomic::AtomicBool,
    /// When set, `already_sent` waits for it (a slow look into the chat), then finds nothing.
    pub checks_wait_for: Mutex<Option<Arc<tokio::sync::Notify>>>,
}

impl Recorder {
    pub fn new(kind: ChannelKind) -> Arc<Recorder> {
        Arc::new(Recorder {
            kind,
            sent: Mutex::new(Vec::new()),
            script: Mutex::new(HashMap::new()),
            ready: std::sync::atomic::AtomicBool::new(true),
            checks_wait_for: Mutex::new(None),
        })
    }

    /// The next sends to `target` answer these, in order.
    pub fn script(&self, target: &str, answers: Vec<Result<(), SendError>>) {
        self.script
            .lock()
            .unwrap()
            .entry(target.to_owned())
            .or_default()
            .extend(answers);
    }

    pub fn sent(&self) -> Vec<(String, String)> {
        self.sent.lock().unwrap().clone()
    }

    pub fn sent_to(&self, target: &str) -> Vec<String> {
        self.sent()
            .into_iter()
            .filter(|(t, _)| t == target)
            .map(|(_, m)| m)
            .collect()
    }
}

#[async_trait]
impl Channel for Recorder {
    fn kind(&self) -> ChannelKind {
        self.kind
    }

    async fn send(&self, delivery_id: i64, target: &str, msg: &Outgoing) -> Result<String, SendError> {
        let next = self.script.lock().unwrap().get_mut(target).and_then(|q| q.pop_front());
        if let Some(Err(e)) = next {
            return Err(e);
        }
        self.sent.lock().unwrap().push((target.to_owned(), msg.text.clone()));
        Ok(format!("remote-{delivery_id}"))
    }

    async fn ready_to_send(&self) -> bool {
        self.ready.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn already_sent(&self, _delivery_id: i64, _target: &str) -> Result<Option<String>, SendError> {
        let gate = self.checks_wait_for.lock().unwrap().clone();
        if let Some(gate) = gate {
            gate.notified().await;
        }
        Ok(None)
    }

    /// Recorded as "edit REMOTE_ID: TEXT".
    async fn edit(&self, target: &str, remote_id: &str, msg: &Outgoing) -> Result<String, SendError> {
        self.sent
            .lock()
            .unwrap()
            .push((target.to_owned(), format!("edit {remote_id}: {}", msg.text)));
        Ok(remote_id.to_owned())
    }

    /// Recorded as "delete REMOTE_ID".
    async fn delete(&self, target: &str, remote_id: &str) -> Result<(), SendError> {
        self.sent
            .lock()
            .unwrap()
            .push((target.to_owned(), format!("delete {remote_id}")));
        Ok(())
    }
}

/// Runs outbox rounds until nothing is left to send (pending or being sent), or panics after
/// `limit` with what is left.
pub async fn drain(pool: &PgPool, outbox: &Outbox, limit: std::time::Duration) {
    let start = std::time::Instant::now();
    loop {
        let stats = outbox.run_once().await.expect("outbox round");
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')")
            .fetch_one(pool)
            .await
            .unwrap();
        if left == 0 {
            return;
        }
        if start.elapsed() > limit {
            let rows: Vec<(i64, String, String, String, Option<String>)> = sqlx::query_as(
                "SELECT id, target, status, payload::text, last_error FROM deliveries
                 WHERE status IN ('pending', 'sending') ORDER BY id",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            panic!("the outbox did not drain within {limit:?}: {rows:?}");
        }
        if stats.claimed == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// An outbox over `channels` with a fast test configuration.
pub fn outbox(pool: &PgPool, channels: Vec<Arc<dyn Channel>>) -> Outbox {
    let cfg = OutboxConfig {
        lease: std::time::Duration::from_secs(30),
        unavailable_pause: std::time::Duration::from_millis(100),
        ..OutboxConfig::default()
    };
    Outbox::new(pool.clone(), channels, cfg, Arc::new(Metrics::default()))
}

/// A message from `sender` in chat `chat` of the console channel.
pub fn inbound(chat: &str, native_id: &str, sender: &str, text: &str) -> Inbound {
    Inbound {
        channel: ChannelKind::Console,
        chat: chat.to_owned(),
        native_id: native_id.to_owned(),
        sender: sender.to_lowercase(),
        sender_name: sender.to_owned(),
        text: text.to_owned(),
        sent_at: at("2026-06-10T18:30:00+02:00").to_utc(),
        reply_to: None,
        ..Default::default()
    }
}

/// Rows of a table.
pub async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}
