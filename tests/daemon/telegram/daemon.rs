//! The daemon as `voisinage run` builds it, with Telegram enabled by configuration: the
//! poller, the outbox with Telegram's default limits, and a restart that replays nothing.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use voisinage::app::Daemon;
use voisinage::config::{DEFAULT_TOML, Settings};

use super::{ADMIN, GROUP, PAUL, TOKEN};
use crate::botapi::FakeBotApi;
use crate::helpers::TestDb;

fn settings(db: &TestDb, fake: &FakeBotApi) -> Settings {
    let env: Vec<(String, String)> = [
        ("VOISINAGE__DATABASE__URL", db.url.as_str()),
        ("VOISINAGE__HTTP__LISTEN", "127.0.0.1:0"),
        ("VOISINAGE__CHANNELS__TELEGRAM__ENABLED", "true"),
        ("VOISINAGE__CHANNELS__TELEGRAM__TOKEN", TOKEN),
        ("VOISINAGE__CHANNELS__TELEGRAM__API_URL", &fake.base_url()),
        ("VOISINAGE__CHANNELS__TELEGRAM__POLL_TIMEOUT_SECS", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    Settings::from_parts("voisinage.toml", DEFAULT_TOML, &env).unwrap()
}

async fn start(db: &TestDb, fake: &FakeBotApi) -> (CancellationToken, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let daemon = Daemon::build(settings(db, fake), Vec::new()).await.unwrap();
    let shutdown = CancellationToken::new();
    let sd = shutdown.clone();
    (shutdown, tokio::spawn(async move { daemon.run(sd).await }))
}

#[tokio::test]
async fn the_configured_daemon_links_greets_and_restarts_without_replaying() {
    let fake = FakeBotApi::start(TOKEN).await;
    let db = TestDb::new().await;
    fake.add_chat(GROUP, "supergroup", "Voisins");
    fake.set_member(GROUP, ADMIN, "Anne", "administrator");
    fake.set_bot_status(GROUP, "administrator");
    let (shutdown, task) = start(&db, &fake).await;

    fake.user_message(GROUP, ADMIN, "Anne", "/relier saint-servan");
    fake.user_message(GROUP, PAUL, "Paul", "Je prête ma perceuse");
    fake.add_chat(600, "private", "Zoé");
    fake.user_message(600, 600, "Zoé", "/start");
    let limit = Duration::from_secs(30);
    assert!(
        fake.wait_until(limit, |f| f.bot_sent(GROUP).len() >= 2 && !f.bot_sent(600).is_empty())
            .await,
        "group: {:?}, private: {:?}",
        fake.bot_sent(GROUP),
        fake.bot_sent(600)
    );
    let group: Vec<_> = fake.bot_sent(GROUP);
    assert!(group[0].text.contains("Saint-Servan"), "{:?}", group[0].text);
    assert!(group[1].text.contains("perceuse"), "{:?}", group[1].text);
    // Telegram's limit of about one message a second per chat, kept by default.
    let sends: Vec<_> = fake
        .calls_of("sendMessage")
        .into_iter()
        .filter(|c| c.chat_id == Some(GROUP) && c.status == 200)
        .collect();
    assert!(sends[1].at.duration_since(sends[0].at) >= Duration::from_millis(950));
    assert!(fake.webhook().0.is_empty(), "polling mode removed any webhook");

    shutdown.cancel();
    task.await.unwrap().unwrap();
    let offsets_before = fake.get_updates_offsets().len();

    // Restarted: resumes after the last update, sends nothing again.
    let (shutdown, task) = start(&db, &fake).await;
    fake.user_message(GROUP, PAUL, "Paul", "Qqn aurait une échelle ?");
    assert!(fake.wait_until(limit, |f| f.bot_sent(GROUP).len() >= 3).await);
    shutdown.cancel();
    task.await.unwrap().unwrap();
    let offsets = fake.get_updates_offsets();
    assert!(offsets.len() > offsets_before);
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(messages, 4);
    let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE status = 'sent'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(sent as usize, fake.bot_sent(GROUP).len() + fake.bot_sent(600).len());
    db.finish().await;
}
