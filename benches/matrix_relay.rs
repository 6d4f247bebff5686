//! Telegram → Matrix relay bench: the daemon's Telegram poller (against the Bot API fake of
//! the tests), its core, its outbox and its Matrix adapter (against a real Synapse started
//! here by tests/peers/synapse.sh), over the nine example areas, each with a Telegram group and
//! a Matrix room. Neighbours' messages are pushed into the groups; the figure is how fast they
//! reach Matrix, beside how fast Synapse takes the same sends made directly by a plain client in
//! the same run (same rooms, one message in flight per room, as the outbox does): the ratio.
//!
//! Run: `cargo bench --bench matrix_relay` (PostgreSQL as for the tests; Synapse installed by
//! `tests/peers/synapse.sh install`). `-- --quick` sends fewer messages, as `cargo test` does.

#[path = "../tests/peers/botapi.rs"]
mod botapi;
mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use voisinage::areas::Areas;
use voisinage::channels::matrix::{Matrix, Syncer};
use voisinage::channels::telegram::{Poller, Telegram};
use voisinage::config::{MatrixSettings, TelegramMode, TelegramSettings};
use voisinage::core::Channel;
use voisinage::core::Core;
use voisinage::core::model::ChannelKind;
use voisinage::core::outbox::{Outbox, OutboxConfig};

const TOKEN: &str = "4343:bench-token";
const PASSWORD: &str = "bench-password-123";

fn synapse(args: &[&str]) -> anyhow::Result<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("tests/peers/synapse.sh"))
        .args(args)
        .env("SYNAPSE_WATCH_PID", std::process::id().to_string())
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "synapse.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Sends `n` messages directly, as a plain client: one in flight per room, rooms in parallel.
async fn direct_rate(hs: &str, token: &str, rooms: &[String], n: usize) -> anyhow::Result<f64> {
    let http = reqwest::Client::new();
    let start = Instant::now();
    let per_room = n / rooms.len();
    let mut tasks = Vec::new();
    for (r, room) in rooms.iter().enumerate() {
        let (http, hs, token, room) = (http.clone(), hs.to_owned(), token.to_owned(), room.clone());
        tasks.push(tokio::spawn(async move {
            for k in 0..per_room {
                let url = format!("{hs}/_matrix/client/v3/rooms/{room}/send/m.room.message/direct-{r}-{k}");
                let body = json!({"msgtype": "m.text", "body": format!("<b>Direct</b> (Telegram) : bonjour {k}"),
                                  "format": "org.matrix.custom.html", "formatted_body": format!("<b>Direct</b> (Telegram) : bonjour {k}")});
                let resp = http.put(url).bearer_auth(&token).json(&body).send().await?;
                anyhow::ensure!(resp.status().is_success(), "direct send: {}", resp.status());
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok((per_room * rooms.len()) as f64 / start.elapsed().as_secs_f64())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let n = if common::quick() { 90 } else { 900 };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join(format!("target/peers/bench-synapse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let hs = synapse(&["start", dir.to_str().unwrap(), &port.to_string()])?
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_owned();
    let stop = || {
        let _ = synapse(&["stop", dir.to_str().unwrap()]);
    };
    synapse(&["register", dir.to_str().unwrap(), "benchbot", PASSWORD])?;
    synapse(&["register", dir.to_str().unwrap(), "directclient", PASSWORD])?;

    let pool = common::fresh_db("voisinage_bench_matrix").await?;
    let areas = Arc::new(Areas::example());
    voisinage::store::sync_areas(&pool, &areas).await?;
    let core = Arc::new(Core::with_defaults(pool.clone(), areas.clone()));
    let fake = botapi::FakeBotApi::start(TOKEN).await;
    let slugs: Vec<String> = areas.all().iter().map(|a| a.slug.as_str().to_owned()).collect();
    for (i, slug) in slugs.iter().enumerate() {
        let chat = -5000 - i as i64;
        fake.add_chat(chat, "supergroup", slug);
        voisinage::store::link_room(&pool, ChannelKind::Telegram, &chat.to_string(), slug).await?;
    }
    let tg = Telegram::new(&TelegramSettings {
        enabled: true,
        token: Some(SecretString::from(TOKEN.to_owned())),
        api_url: fake.base_url(),
        mode: TelegramMode::Polling,
        poll_timeout_secs: 5,
        webhook_url: None,
        webhook_secret: None,
        chat_interval_ms: 0,
        group_per_minute: 1_000_000,
        global_per_second: 1_000_000,
    })?;
    let data_dir = dir.join("daemon-data");
    let mx = Matrix::new(
        &MatrixSettings {
            enabled: true,
            homeserver_url: hs.clone(),
            user_id: "@benchbot:localhost".into(),
            password: Some(SecretString::from(PASSWORD.to_owned())),
            access_token: None,
            store_passphrase: None,
            recovery_key: None,
            device_name: "bench".into(),
            alias_prefix: "bench-".into(),
            sync_timeout_secs: 5,
        },
        &data_dir,
    )?;
    // Rooms first (the syncer's first round creates them).
    let mut syncer = Syncer::new(mx.clone(), core.clone());
    syncer.sync_once(Duration::ZERO).await?;
    syncer.release().await;
    let rooms: Vec<String> =
        sqlx::query_scalar("SELECT external_id FROM chats WHERE channel = 'matrix' AND kind = 'room'")
            .fetch_all(&pool)
            .await?;

    // The direct client joins the same rooms and sends.
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{hs}/_matrix/client/v3/login"))
        .json(&json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "directclient"}, "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"].as_str().unwrap_or_default().to_owned();
    for room in &rooms {
        http.post(format!("{hs}/_matrix/client/v3/join/{room}"))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await?;
    }
    let synapse_pid = common::pid_in(&dir.join("synapse.pid"));
    let meter = common::CpuMeter::start(synapse_pid);
    let direct = direct_rate(&hs, &token, &rooms, n).await?;
    let direct_cpu = meter.per_item_ms(n);

    // The daemon: poller, syncer, two outbox workers (production defaults).
    let channels: Vec<Arc<dyn Channel>> = vec![tg.clone(), mx.clone()];
    let outbox = Arc::new(
        Outbox::new(pool.clone(), channels, OutboxConfig::default(), core.metrics.clone())
            .wake_on(core.outbox_wake.clone()),
    );
    let shutdown = CancellationToken::new();
    let mut tasks = vec![
        tokio::spawn(Poller::new(tg.clone(), core.clone()).run(shutdown.clone())),
        tokio::spawn(Syncer::new(mx.clone(), core.clone()).run(shutdown.clone())),
    ];
    for _ in 0..2 {
        tasks.push(tokio::spawn(outbox.clone().run(shutdown.clone())));
    }
    let mut pushed: Vec<(String, SystemTime)> = Vec::with_capacity(n);
    let meter = common::CpuMeter::start(synapse_pid);
    let start = Instant::now();
    for k in 0..n {
        let chat = -5000 - (k % slugs.len()) as i64;
        let (_, id) = fake.user_message(chat, 9000 + (k % 50) as i64, "Voisine", &format!("bonjour n°{k}"));
        pushed.push((format!("{chat}:{id}"), SystemTime::now()));
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let sent: i64 =
            sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE channel = 'matrix' AND status = 'sent'")
                .fetch_one(&pool)
                .await?;
        if sent as usize >= n {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "only {sent} of {n} relays reached Synapse");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = start.elapsed();
    let relay = n as f64 / elapsed.as_secs_f64();
    let relay_cpu = meter.per_item_ms(n);
    // Added latency: from the update's push to Synapse accepting the relay.
    let rows: Vec<(String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT m.chat_external_id, m.native_id, d.sent_at FROM deliveries d JOIN messages m ON m.id = d.cause_message_id
         WHERE d.channel = 'matrix' AND d.status = 'sent'",
    )
    .fetch_all(&pool)
    .await?;
    let sent_at: std::collections::HashMap<String, DateTime<Utc>> =
        rows.into_iter().map(|(c, id, t)| (format!("{c}:{id}"), t)).collect();
    let lat: Vec<Duration> = pushed
        .iter()
        .filter_map(|(key, at)| {
            let t = sent_at.get(key)?;
            let at: DateTime<Utc> = (*at).into();
            (*t - at).to_std().ok()
        })
        .collect();
    println!(
        "matrix relay: {n} Telegram messages over {} areas reached Synapse at {relay:.0} messages/s; \
         a plain client sending the same to the same rooms: {direct:.0} messages/s; ratio {:.2}",
        slugs.len(),
        relay / direct
    );
    println!(
        "matrix relay CPU per message (ms; this process, PostgreSQL, Synapse): plain client {}; \
         relay (daemon and Bot API fake in this process) {}",
        common::cpu_ms(direct_cpu),
        common::cpu_ms(relay_cpu)
    );
    println!(
        "matrix relay burst latency (push → Synapse accepted, queueing included): p50 {:.0} ms, p99 {:.0} ms",
        common::percentile(lat.clone(), 0.5).as_secs_f64() * 1e3,
        common::percentile(lat, 0.99).as_secs_f64() * 1e3
    );

    // Steady: one message at a time, the added latency without queueing.
    let mut steady = Vec::new();
    for k in 0..(n / 10).max(20) {
        let chat = -5000 - (k % slugs.len()) as i64;
        let t0 = SystemTime::now();
        let (_, id) = fake.user_message(chat, 9000, "Voisine", &format!("un à la fois n°{k}"));
        let key = (chat.to_string(), id.to_string());
        loop {
            let t: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT d.sent_at FROM deliveries d JOIN messages m ON m.id = d.cause_message_id
                 WHERE d.channel = 'matrix' AND d.status = 'sent' AND m.chat_external_id = $1 AND m.native_id = $2",
            )
            .bind(&key.0)
            .bind(&key.1)
            .fetch_optional(&pool)
            .await?;
            if let Some(t) = t {
                let t0: DateTime<Utc> = t0.into();
                steady.push((t - t0).to_std().unwrap_or_default());
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    // The same, sent directly by the plain client: what Synapse itself takes per message.
    let mut own = Vec::new();
    for k in 0..steady.len() {
        let room = &rooms[k % rooms.len()];
        let t0 = Instant::now();
        let url = format!("{hs}/_matrix/client/v3/rooms/{room}/send/m.room.message/single-{k}");
        http.put(url)
            .bearer_auth(&token)
            .json(&json!({"msgtype": "m.text", "body": format!("Voisine (Telegram) : un à la fois n°{k}")}))
            .send()
            .await?
            .error_for_status()?;
        own.push(t0.elapsed());
    }
    println!(
        "matrix relay one at a time: update → Synapse accepted: p50 {:.1} ms, p99 {:.1} ms ({} messages); \
         the same send made directly by a client: p50 {:.1} ms, p99 {:.1} ms",
        common::percentile(steady.clone(), 0.5).as_secs_f64() * 1e3,
        common::percentile(steady.clone(), 0.99).as_secs_f64() * 1e3,
        steady.len(),
        common::percentile(own.clone(), 0.5).as_secs_f64() * 1e3,
        common::percentile(own, 0.99).as_secs_f64() * 1e3,
    );
    shutdown.cancel();
    for t in tasks {
        let _ = t.await;
    }
    pool.close().await;
    stop();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
