//! The Matrix adapter against a real Synapse started by the test suite
//! (tests/peers/synapse.sh): one shared homeserver for the binary, plus a private one for the
//! test that stops and restarts it. Each test uses its own bot account and alias prefix.

mod bridge;
mod encrypted;
mod moderation;
mod onboarding;
mod outage;
mod questions;
mod rooms;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use voisinage::channels::matrix::{Matrix, Syncer};
use voisinage::config::MatrixSettings;
use voisinage::core::Channel;
use voisinage::core::Core;
use voisinage::core::model::ChannelKind;
use voisinage::core::outbox::Outbox;

use crate::helpers::{Recorder, TestDb, core, drain, outbox, root};

pub const PASSWORD: &str = "correct-horse-battery";
pub const CONSOLE_ROOM: &str = "console:saint-servan";

/// A Synapse run by tests/peers/synapse.sh.
pub struct Synapse {
    pub dir: PathBuf,
    pub url: String,
}

fn script(args: &[&str]) -> String {
    let out = Command::new(root().join("tests/peers/synapse.sh"))
        .args(args)
        .env("SYNAPSE_WATCH_PID", std::process::id().to_string())
        .output()
        .expect("tests/peers/synapse.sh runs");
    assert!(
        out.status.success(),
        "synapse.sh {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Synapse {
    /// Starts a fresh homeserver.
    pub fn start(name: &str) -> Synapse {
        let dir = root().join(format!("target/peers/synapse-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
        let port = free_port().to_string();
        let out = script(&["start", dir.to_str().unwrap(), &port]);
        let url = out.split_whitespace().last().expect("ready URL").to_owned();
        Synapse { dir, url }
    }

    /// The homeserver all tests share (started once, stopped when the test process ends).
    pub fn shared() -> &'static Synapse {
        static SHARED: OnceLock<Synapse> = OnceLock::new();
        SHARED.get_or_init(|| Synapse::start("shared"))
    }

    pub fn register(&self, user: &str) -> String {
        script(&["register", self.dir.to_str().unwrap(), user, PASSWORD]);
        format!("@{user}:localhost")
    }

    pub fn stop(&self) {
        script(&["stop", self.dir.to_str().unwrap()]);
    }

    pub fn restart(&self) {
        script(&["restart", self.dir.to_str().unwrap()]);
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        let _ = Command::new(root().join("tests/peers/synapse.sh"))
            .args(["stop", self.dir.to_str().unwrap()])
            .output();
    }
}

/// A unique name per test.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id() % 10_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A neighbour using Matrix, through the client-server API.
pub struct Neighbour {
    pub user_id: String,
    base: String,
    token: String,
    http: reqwest::Client,
    txn: AtomicU32,
}

impl Neighbour {
    pub async fn login(hs: &Synapse, name: &str) -> Neighbour {
        let user_id = hs.register(name);
        let http = reqwest::Client::new();
        let r: Value = http
            .post(format!("{}/_matrix/client/v3/login", hs.url))
            .json(&json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": name}, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Neighbour {
            user_id,
            base: hs.url.clone(),
            token: r["access_token"].as_str().expect("logged in").to_owned(),
            http,
            txn: AtomicU32::new(0),
        }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}/_matrix/client/v3{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    pub async fn join(&self, room_or_alias: &str) -> String {
        let enc = room_or_alias.replace('#', "%23").replace('!', "%21");
        let v = self
            .call(reqwest::Method::POST, &format!("/join/{enc}"), Some(json!({})))
            .await;
        v["room_id"].as_str().unwrap().to_owned()
    }

    /// Sends an event; returns its id.
    pub async fn send(&self, room: &str, kind: &str, content: Value) -> String {
        let txn = self.txn.fetch_add(1, Ordering::Relaxed);
        let v = self
            .call(
                reqwest::Method::PUT,
                &format!("/rooms/{room}/send/{kind}/t{txn}"),
                Some(content),
            )
            .await;
        v["event_id"].as_str().unwrap().to_owned()
    }

    pub async fn say(&self, room: &str, text: &str) -> String {
        self.send(room, "m.room.message", json!({"msgtype": "m.text", "body": text}))
            .await
    }

    /// Uploads a file; returns its mxc:// URI.
    pub async fn upload(&self, bytes: Vec<u8>, mime: &str) -> String {
        let v: Value = self
            .http
            .post(format!("{}/_matrix/media/v3/upload?filename=photo.jpg", self.base))
            .bearer_auth(&self.token)
            .header("content-type", mime)
            .body(bytes)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["content_uri"].as_str().expect("uploaded").to_owned()
    }

    /// Downloads `mxc` through the authenticated media endpoint, as current clients do.
    pub async fn download(&self, mxc: &str) -> Vec<u8> {
        let path = mxc.strip_prefix("mxc://").expect("an mxc URI");
        let resp = self
            .http
            .get(format!("{}/_matrix/client/v1/media/download/{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "download {mxc}: {}", resp.status());
        resp.bytes().await.unwrap().to_vec()
    }

    /// The room's message events, oldest first.
    pub async fn messages(&self, room: &str) -> Vec<Value> {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/rooms/{room}/messages?dir=b&limit=200"),
                None,
            )
            .await;
        let mut events: Vec<Value> = v["chunk"].as_array().cloned().unwrap_or_default();
        events.reverse();
        events
    }

    /// Every message event of the room, oldest first, page by page (long runs).
    pub async fn all_messages(&self, room: &str) -> Vec<Value> {
        let mut events = Vec::new();
        let mut from: Option<String> = None;
        loop {
            let page = match &from {
                Some(f) => format!("/rooms/{room}/messages?dir=b&limit=500&from={f}"),
                None => format!("/rooms/{room}/messages?dir=b&limit=500"),
            };
            let v = self.call(reqwest::Method::GET, &page, None).await;
            let chunk = v["chunk"].as_array().cloned().unwrap_or_default();
            if chunk.is_empty() {
                break;
            }
            events.extend(chunk);
            match v["end"].as_str() {
                Some(end) => from = Some(end.to_owned()),
                None => break,
            }
        }
        events.reverse();
        events
    }

    /// The bodies of what `sender` said in the room, oldest first (redacted ones as "").
    pub async fn bodies_from(&self, room: &str, sender: &str) -> Vec<String> {
        self.messages(room)
            .await
            .into_iter()
            .filter(|e| e["type"] == "m.room.message" && e["sender"] == sender)
            .map(|e| e["content"]["body"].as_str().unwrap_or("").to_owned())
            .collect()
    }
}

/// A test database, the core, the Matrix adapter for a fresh bot account, a console room for
/// Saint-Servan, and the outbox over both.
pub struct World {
    pub db: TestDb,
    pub core: Arc<Core>,
    pub mx: Arc<Matrix>,
    pub syncer: Syncer,
    pub console: Arc<Recorder>,
    pub outbox: Outbox,
    pub data_dir: PathBuf,
    pub prefix: String,
    pub settings: MatrixSettings,
}

pub fn settings(hs: &Synapse, bot: &str, prefix: &str) -> MatrixSettings {
    MatrixSettings {
        enabled: true,
        homeserver_url: hs.url.clone(),
        user_id: bot.to_owned(),
        password: Some(SecretString::from(PASSWORD.to_owned())),
        access_token: None,
        store_passphrase: None,
        recovery_key: None,
        device_name: "voisinage tests".into(),
        alias_prefix: prefix.to_owned(),
        sync_timeout_secs: 0,
    }
}

impl World {
    pub async fn new(hs: &Synapse) -> World {
        World::with(hs, |_| {}).await
    }

    /// A world whose core is adjusted first.
    pub async fn with(hs: &Synapse, adjust: impl FnOnce(&mut Core)) -> World {
        let bot = hs.register(&unique("bot"));
        let prefix = format!("{}-", unique("t"));
        let s = settings(hs, &bot, &prefix);
        let data_dir = root().join(format!("target/peers/data-{prefix}"));
        let _ = std::fs::remove_dir_all(&data_dir);
        let db = TestDb::new().await;
        voisinage::store::link_room(&db.pool, ChannelKind::Console, CONSOLE_ROOM, "saint-servan")
            .await
            .unwrap();
        let mut core = core(&db.pool);
        adjust(Arc::get_mut(&mut core).expect("a new core"));
        let mx = Matrix::new(&s, &data_dir).unwrap();
        core.admins.register(mx.clone());
        let console = Recorder::new(ChannelKind::Console);
        let channels: Vec<Arc<dyn Channel>> = vec![mx.clone(), console.clone()];
        let outbox = outbox(&db.pool, channels);
        let syncer = Syncer::new(mx.clone(), core.clone());
        World {
            db,
            core,
            mx,
            syncer,
            console,
            outbox,
            data_dir,
            prefix,
            settings: s,
        }
    }

    /// One sync, handled.
    pub async fn sync(&mut self) -> usize {
        self.syncer.sync_once(Duration::ZERO).await.unwrap().events
    }

    pub async fn drain(&self) {
        drain(&self.db.pool, &self.outbox, Duration::from_secs(60)).await;
    }

    /// The Matrix room of an area.
    pub async fn room_of(&self, slug: &str) -> String {
        voisinage::store::chats::room_of_area(&self.db.pool, ChannelKind::Matrix, slug)
            .await
            .unwrap()
            .expect("the area has its Matrix room")
    }

    pub async fn finish(mut self) {
        self.syncer.release().await;
        self.db.finish().await;
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Léa's "Je prête ma brouette" relayed to Matrix, its delivery then made to look as if the
/// daemon that sent it died before recording it (status still sending, its lease over).
/// Returns its id and the event it sent.
pub async fn relay_sent_by_a_dead_daemon(w: &World) -> (i64, String) {
    w.core
        .ingest(&crate::helpers::inbound(
            CONSOLE_ROOM,
            "c1",
            "Léa",
            "Je prête ma brouette",
        ))
        .await
        .unwrap();
    w.drain().await;
    let (id, first): (i64, String) =
        sqlx::query_as("SELECT id, remote_id FROM deliveries WHERE channel = 'matrix' AND payload->>'kind' = 'relay'")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    sqlx::query(
        "UPDATE deliveries SET status = 'sending', remote_id = NULL, sent_at = NULL,
           claimed_until = now() - interval '1 second' WHERE id = $1",
    )
    .bind(id)
    .execute(&w.db.pool)
    .await
    .unwrap();
    (id, first)
}

/// Delivery `id` is sent, as the event `first`.
pub async fn assert_sent_as(w: &World, id: i64, first: &str) {
    let (status, remote): (String, String) = sqlx::query_as("SELECT status, remote_id FROM deliveries WHERE id = $1")
        .bind(id)
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!((status.as_str(), remote.as_str()), ("sent", first));
}

/// The one body among `bodies` that contains `word` (it was sent once).
pub fn the_one_copy(bodies: Vec<String>, word: &str) -> String {
    let copies: Vec<String> = bodies.into_iter().filter(|b| b.contains(word)).collect();
    assert_eq!(copies.len(), 1, "sent once: {copies:?}");
    copies.into_iter().next().unwrap()
}
