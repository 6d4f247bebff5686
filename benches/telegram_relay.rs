//! Telegram relay bench: 100 linked groups on a Bot API fake (tests/peers/botapi.rs), the
//! daemon's poller and outbox as in production, and a second channel (a counting sink) as each
//! area's other room. Each neighbour's message is an offer: it is relayed to the sink and
//! acknowledged in its group by a reply sent through the Bot API.
//!
//! Prints the throughput of a burst, then the latency the daemon adds at a steady half of that
//! rate, from the update reaching the Bot API server to (a) the relay leaving through the sink
//! and (b) the acknowledgement reaching the Bot API. Telegram's own limits (about 30 messages
//! a second overall) are switched off to measure the daemon itself.
//!
//! Run: `cargo bench --bench telegram_relay` (PostgreSQL at VOISINAGE_TEST_DATABASE_URL, by
//! default postgres://postgres@127.0.0.1:5432/postgres; a `voisinage_bench_telegram`
//! database is created there). `-- --quick` sends fewer messages, as `cargo test` does.

#[path = "../tests/peers/botapi.rs"]
mod botapi;
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use voisinage::areas::Areas;
use voisinage::channels::telegram::{Poller, Telegram};
use voisinage::config::{TelegramMode, TelegramSettings};
use voisinage::core::Core;
use voisinage::core::model::{ChannelKind, OutKind, Outgoing};
use voisinage::core::outbox::{Outbox, OutboxConfig};
use voisinage::core::{Channel, SendError};

const TOKEN: &str = "4242:bench-token";
const CHATS: i64 = 100;

/// The area's other room: records when each relay left.
struct Sink {
    at: Mutex<HashMap<String, Instant>>,
}

#[async_trait]
impl Channel for Sink {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Console
    }
    async fn send(&self, id: i64, _target: &str, msg: &Outgoing) -> Result<String, SendError> {
        if msg.kind == OutKind::Relay
            && let Some(tag) = msg.text.rsplit('#').next()
        {
            self.at.lock().unwrap().insert(tag.to_owned(), Instant::now());
        }
        Ok(id.to_string())
    }
}

fn chat_of(k: usize) -> i64 {
    -1_000_000 - (k as i64 % CHATS)
}

struct Run {
    fake: botapi::FakeBotApi,
    sink: Arc<Sink>,
    /// Update pushed: tag → (chat, message id, when).
    pushed: HashMap<String, (i64, i64, Instant)>,
}

impl Run {
    fn push(&mut self, k: usize, tag: &str) {
        let chat = chat_of(k);
        let text = format!("Je prête ma perceuse samedi #{tag}");
        let t = Instant::now();
        let (_, id) = self.fake.user_message(chat, 7000 + k as i64 % 500, "Voisin", &text);
        self.pushed.insert(tag.to_owned(), (chat, id, t));
    }

    /// Waits until every pushed message was relayed and acknowledged.
    async fn wait_all(&self, limit: Duration) -> bool {
        let n = self.pushed.len();
        let start = Instant::now();
        while start.elapsed() < limit {
            let relayed = self.sink.at.lock().unwrap().len();
            let acked = self.acks().len();
            if relayed >= n && acked >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        false
    }

    /// When each acknowledgement reached the Bot API: (chat, replied message id) → time.
    fn acks(&self) -> HashMap<(i64, i64), Instant> {
        self.fake
            .calls_of("sendMessage")
            .into_iter()
            .filter(|c| c.status == 200)
            .filter_map(|c| {
                let reply = c.params["reply_parameters"]["message_id"].as_i64()?;
                Some(((c.chat_id?, reply), c.at))
            })
            .collect()
    }

    fn latencies(&self, tags: &[String]) -> (Vec<Duration>, Vec<Duration>) {
        let relays = self.sink.at.lock().unwrap().clone();
        let acks = self.acks();
        let mut to_relay = Vec::new();
        let mut to_ack = Vec::new();
        for tag in tags {
            let (chat, id, t0) = self.pushed[tag];
            if let Some(t) = relays.get(tag) {
                to_relay.push(t.duration_since(t0));
            }
            if let Some(t) = acks.get(&(chat, id)) {
                to_ack.push(t.duration_since(t0));
            }
        }
        (to_relay, to_ack)
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let quick = common::quick();
    let (burst, steady) = if quick { (300, 200) } else { (3000, 1500) };
    let pool = common::fresh_db("voisinage_bench_telegram").await?;

    let fake = botapi::FakeBotApi::start(TOKEN).await;
    for i in 0..CHATS {
        let chat = chat_of(i as usize);
        let slug = format!("bench-{i:03}");
        fake.add_chat(chat, "supergroup", &slug);
        sqlx::query("INSERT INTO areas (slug, name, commune, postcodes) VALUES ($1, $1, 'Bench', '{}')")
            .bind(&slug)
            .execute(&pool)
            .await?;
        voisinage::store::link_room(&pool, ChannelKind::Telegram, &chat.to_string(), &slug).await?;
        voisinage::store::link_room(&pool, ChannelKind::Console, &format!("sink:{i}"), &slug).await?;
    }
    let core = Arc::new(Core::with_defaults(pool.clone(), Arc::new(Areas::example())));
    let settings = TelegramSettings {
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
    };
    let tg = Telegram::new(&settings)?;
    let sink = Arc::new(Sink {
        at: Mutex::new(HashMap::new()),
    });
    let channels: Vec<Arc<dyn Channel>> = vec![tg.clone(), sink.clone()];
    // The production defaults: two workers, batches of 64, 200 ms idle rounds.
    let outbox = Arc::new(
        Outbox::new(pool.clone(), channels, OutboxConfig::default(), core.metrics.clone())
            .wake_on(core.outbox_wake.clone()),
    );
    let shutdown = CancellationToken::new();
    let mut tasks = Vec::new();
    tasks.push(tokio::spawn(
        Poller::new(tg.clone(), core.clone()).run(shutdown.clone()),
    ));
    for _ in 0..2 {
        tasks.push(tokio::spawn(outbox.clone().run(shutdown.clone())));
    }
    let mut run = Run {
        fake,
        sink,
        pushed: HashMap::new(),
    };

    // Burst: everything at once, over 100 chats.
    let start = Instant::now();
    for k in 0..burst {
        run.push(k, &format!("b{k}"));
    }
    assert!(
        run.wait_all(Duration::from_secs(600)).await,
        "the burst did not get through"
    );
    let elapsed = start.elapsed();
    let rate = burst as f64 / elapsed.as_secs_f64();
    println!(
        "telegram relay burst: {burst} messages over {CHATS} chats in {:.2} s = {rate:.0} messages/s \
         (each: one relay + one acknowledgement through the Bot API = {:.0} sends/s)",
        elapsed.as_secs_f64(),
        rate * 2.0
    );

    // Steady: half the burst rate, evenly spaced.
    let pace = Duration::from_secs_f64(2.0 / rate);
    let tags: Vec<String> = (0..steady).map(|k| format!("s{k}")).collect();
    let start = Instant::now();
    for (k, tag) in tags.iter().enumerate() {
        let due = start + pace * k as u32;
        tokio::time::sleep_until(due.into()).await;
        run.push(k, tag);
    }
    assert!(
        run.wait_all(Duration::from_secs(600)).await,
        "the steady run did not get through"
    );
    let (to_relay, to_ack) = run.latencies(&tags);
    println!(
        "telegram relay steady: {steady} messages at {:.0}/s; added latency update → relay sent: p50 {:.1} ms, p99 {:.1} ms; \
         update → acknowledgement at the Bot API: p50 {:.1} ms, p99 {:.1} ms",
        1.0 / pace.as_secs_f64(),
        common::percentile(to_relay.clone(), 0.5).as_secs_f64() * 1e3,
        common::percentile(to_relay, 0.99).as_secs_f64() * 1e3,
        common::percentile(to_ack.clone(), 0.5).as_secs_f64() * 1e3,
        common::percentile(to_ack, 0.99).as_secs_f64() * 1e3,
    );
    shutdown.cancel();
    for t in tasks {
        let _ = t.await;
    }
    pool.close().await;
    Ok(())
}
