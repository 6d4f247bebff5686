//! Chaos (issue 19): two daemons on one database relay a Telegram group (the Bot API fake) to
//! its Matrix room (Synapse) and to an every-message email subscriber (aiosmtpd), while one of
//! them is killed with SIGKILL at random moments and restarted. Afterwards every message must
//! be in the room exactly once and in order, and in the mailbox at least once and in order
//! (SMTP has no idempotency key: see ARCHITECTURE.md). The suite runs a short form
//! (`CHAOS_KILLS`, default 6); `scripts/chaos.sh 1000` runs the long one by hand.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use voisinage::core::model::ChannelKind;

use crate::botapi::FakeBotApi;
use crate::email::Sink;
use crate::helpers::{TestDb, root};
use crate::matrix::{Neighbour, PASSWORD, Synapse, unique};

const TOKEN: &str = "777:chaos-token";
const GROUP: i64 = -1009;
const PAUL: i64 = 42;

/// What a reader saw of the sequence 0..sent: (lost, doubled, reordered).
fn tally(seen: &[usize], sent: usize) -> (usize, usize, usize) {
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for k in seen {
        *counts.entry(*k).or_default() += 1;
    }
    let lost = (0..sent).filter(|k| !counts.contains_key(k)).count();
    let doubled = counts.values().map(|n| n - 1).sum();
    let mut first = Vec::new();
    for k in seen {
        if !first.contains(k) {
            first.push(*k);
        }
    }
    let reordered = first.windows(2).filter(|w| w[1] < w[0]).count();
    (lost, doubled, reordered)
}

/// The sequence numbers ("chaos 0042") in `texts`, in order.
fn numbers<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<usize> {
    texts
        .filter_map(|t| t.split("chaos ").nth(1))
        .filter_map(|rest| rest.get(..4)?.parse().ok())
        .collect()
}

struct Daemons {
    env: Vec<Vec<(String, String)>>,
    children: Vec<Option<Child>>,
    logs: std::path::PathBuf,
}

impl Daemons {
    fn spawn(&mut self, i: usize) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs.join(format!("daemon-{i}.log")))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_voisinage"))
            .arg("run")
            .envs(self.env[i].iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the daemon starts");
        self.children[i] = Some(child);
    }

    fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn stop_all(&mut self) {
        for c in self.children.iter_mut().filter_map(Option::take) {
            let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
            let mut c = c;
            let _ = c.wait();
        }
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.kill(i);
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn env_of(
    db: &TestDb,
    fake: &FakeBotApi,
    hs: &Synapse,
    bot: &str,
    prefix: &str,
    sink: &Sink,
    dir: &std::path::Path,
) -> Vec<(String, String)> {
    let port = free_port();
    [
        ("VOISINAGE__DATABASE__URL", db.url.clone()),
        ("VOISINAGE__GENERAL__DATA_DIR", dir.display().to_string()),
        ("VOISINAGE__HTTP__LISTEN", format!("127.0.0.1:{port}")),
        ("VOISINAGE__HTTP__PUBLIC_URL", format!("http://127.0.0.1:{port}")),
        ("VOISINAGE__CHANNELS__CONSOLE__ENABLED", "false".into()),
        ("VOISINAGE__CHANNELS__TELEGRAM__ENABLED", "true".into()),
        ("VOISINAGE__CHANNELS__TELEGRAM__TOKEN", TOKEN.into()),
        ("VOISINAGE__CHANNELS__TELEGRAM__API_URL", fake.base_url()),
        ("VOISINAGE__CHANNELS__TELEGRAM__POLL_TIMEOUT_SECS", "1".into()),
        ("VOISINAGE__CHANNELS__MATRIX__ENABLED", "true".into()),
        ("VOISINAGE__CHANNELS__MATRIX__HOMESERVER_URL", hs.url.clone()),
        ("VOISINAGE__CHANNELS__MATRIX__USER_ID", bot.into()),
        ("VOISINAGE__CHANNELS__MATRIX__PASSWORD", PASSWORD.into()),
        ("VOISINAGE__CHANNELS__MATRIX__ALIAS_PREFIX", prefix.into()),
        ("VOISINAGE__CHANNELS__MATRIX__SYNC_TIMEOUT_SECS", "1".into()),
        ("VOISINAGE__CHANNELS__EMAIL__ENABLED", "true".into()),
        ("VOISINAGE__CHANNELS__EMAIL__TRANSPORT", "smtp".into()),
        ("VOISINAGE__CHANNELS__EMAIL__SMTP_HOST", "127.0.0.1".into()),
        ("VOISINAGE__CHANNELS__EMAIL__SMTP_PORT", sink.port.to_string()),
        ("VOISINAGE__CHANNELS__EMAIL__SMTP_SECURITY", "none".into()),
        ("VOISINAGE__CHANNELS__EMAIL__SMTP_USER", "voisinage".into()),
        ("VOISINAGE__CHANNELS__EMAIL__SMTP_PASSWORD", "smtp-pass".into()),
        ("VOISINAGE__DIGEST__ENABLED", "false".into()),
        // What a killed daemon had claimed is claimed again when its lease ends: short here.
        ("VOISINAGE__OUTBOX__LEASE_SECS", "5".into()),
        // `CHAOS_RUST_LOG=info` keeps more of the daemons' logs for a diagnosis.
        (
            "RUST_LOG",
            std::env::var("CHAOS_RUST_LOG").unwrap_or_else(|_| "warn".into()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

async fn scalar(db: &TestDb, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&db.pool).await.unwrap_or(-1)
}

#[tokio::test]
async fn two_daemons_killed_at_random_lose_double_and_reorder_nothing() {
    let kills: usize = std::env::var("CHAOS_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let db = TestDb::new().await;
    let fake = FakeBotApi::start(TOKEN).await;
    fake.add_chat(GROUP, "supergroup", "Voisins de Saint-Servan");
    fake.set_bot_status(GROUP, "administrator");
    fake.set_member(GROUP, PAUL, "Paul", "member");
    voisinage::store::link_room(&db.pool, ChannelKind::Telegram, &GROUP.to_string(), "saint-servan")
        .await
        .unwrap();
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('lea@exemple.fr', 'saint-servan', 'each')")
        .execute(&db.pool)
        .await
        .unwrap();
    let hs = Synapse::shared();
    let bot = hs.register(&unique("chaosbot"));
    let prefix = format!("{}-", unique("chaos"));
    let sink = Sink::start("chaos");
    let logs = root().join(format!("target/peers/chaos-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs).unwrap();
    let env: Vec<_> = (0..2)
        .map(|i| env_of(&db, &fake, hs, &bot, &prefix, &sink, &logs.join(format!("data-{i}"))))
        .collect();
    let mut daemons = Daemons {
        env,
        children: vec![None, None],
        logs: logs.clone(),
    };
    daemons.spawn(0);
    // The first daemon makes the area's Matrix room; Jeanne reads it.
    let start = Instant::now();
    let room = loop {
        if let Some(r) = voisinage::store::chats::room_of_area(&db.pool, ChannelKind::Matrix, "saint-servan")
            .await
            .unwrap()
        {
            break r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no Matrix room: see {}",
            logs.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let jeanne = Neighbour::login(hs, &unique("jeanne")).await;
    jeanne.join(&room).await;
    daemons.spawn(1);

    // Paul writes every 100 ms while the daemons are killed and restarted at random.
    let pushing = Arc::new(AtomicBool::new(true));
    let pushed = Arc::new(AtomicUsize::new(0));
    let pusher = {
        let (fake, pushing, pushed) = (fake.clone(), pushing.clone(), pushed.clone());
        tokio::spawn(async move {
            while pushing.load(Ordering::Relaxed) {
                let k = pushed.load(Ordering::Relaxed);
                fake.user_message(GROUP, PAUL, "Paul", &format!("chaos {k:04} bonjour à tous"));
                pushed.store(k + 1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    for _ in 0..kills {
        let (wait, victim, pause) = {
            let mut rng = rand::rng();
            (
                rng.random_range(200..1500),
                rng.random_range(0..2),
                rng.random_range(0..300),
            )
        };
        tokio::time::sleep(Duration::from_millis(wait)).await;
        daemons.kill(victim);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        daemons.spawn(victim);
    }
    pushing.store(false, Ordering::Relaxed);
    pusher.await.unwrap();
    let sent = pushed.load(Ordering::Relaxed);

    // Quiet: everything read and delivered (or given up), then a clean stop. A long run leaves
    // a backlog (one message in flight per chat and address): wait while it shrinks.
    let quiet = Instant::now();
    let (mut best, mut progress_at) = (i64::MAX, Instant::now());
    loop {
        let read = scalar(&db, "SELECT count(*) FROM messages WHERE channel = 'telegram'").await;
        let waiting = scalar(
            &db,
            "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')",
        )
        .await;
        if read as usize >= sent && waiting == 0 {
            break;
        }
        let left = waiting + (sent as i64 - read);
        if left < best {
            (best, progress_at) = (left, Instant::now());
        }
        if progress_at.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let drained = quiet.elapsed();
    let left: Vec<(String, String, String, i32, Option<String>)> = sqlx::query_as(
        "SELECT channel, target, status, attempts, last_error FROM deliveries
         WHERE status IN ('pending', 'sending') LIMIT 5",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(
        left.is_empty(),
        "still waiting after {drained:?}: {left:?}; logs in {}",
        logs.display()
    );
    daemons.stop_all();

    let events = jeanne.all_messages(&room).await;
    let in_room = numbers(
        events
            .iter()
            .filter(|e| e["sender"] == bot.as_str() && e["type"] == "m.room.message")
            .filter_map(|e| e["content"]["body"].as_str()),
    );
    let mails: Vec<String> = sink
        .messages()
        .iter()
        .filter_map(|raw| {
            let m = mail_parser::MessageParser::default().parse(raw)?;
            Some(m.body_text(0)?.into_owned())
        })
        .collect();
    let in_mail = numbers(mails.iter().map(String::as_str));
    let (m_lost, m_doubled, m_reordered) = tally(&in_room, sent);
    let (e_lost, e_doubled, e_reordered) = tally(&in_mail, sent);
    let failed = scalar(&db, "SELECT count(*) FROM deliveries WHERE status = 'failed'").await;
    println!(
        "chaos: {sent} messages, {kills} kills, drained {drained:.1?} after the last; Matrix: lost {m_lost}, doubled {m_doubled}, reordered {m_reordered}; \
         email: lost {e_lost}, doubled {e_doubled}, reordered {e_reordered}; failed deliveries {failed}"
    );
    assert!(sent > 0);
    assert_eq!(
        (m_lost, m_doubled, m_reordered),
        (0, 0, 0),
        "Matrix; logs in {}",
        logs.display()
    );
    assert_eq!((e_lost, e_reordered), (0, 0), "email; logs in {}", logs.display());
    assert!(e_doubled <= kills, "at most one email doubled per kill: {e_doubled}");
    assert_eq!(failed, 0, "logs in {}", logs.display());
    let _ = std::fs::remove_dir_all(&logs);
    db.finish().await;
}
