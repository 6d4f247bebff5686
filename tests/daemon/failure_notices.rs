//! The sender is told when a copy of their message fails for good (issue 14, Build 3): once
//! per message and cause, in their language, never about a notice; counted for /metrics.

use std::sync::Arc;

use voisinage::core::failures;
use voisinage::core::links::{Request, Rhythm};
use voisinage::core::model::{ChannelKind, FailureCause};
use voisinage::core::outbox::{Outbox, OutboxConfig};
use voisinage::core::{Channel, SendError};
use voisinage::i18n::{Lang, Texts};
use voisinage::store::{failures as stored, link_room, subscriptions};
use voisinage::telemetry::Metrics;

use crate::helpers::{Recorder, TestDb, core, drain, inbound};

fn outbox(db: &TestDb, channels: Vec<Arc<dyn Channel>>, max_attempts: i32) -> Outbox {
    let cfg = OutboxConfig {
        max_attempts,
        backoff_base: std::time::Duration::from_millis(1),
        backoff_max: std::time::Duration::from_millis(5),
        ..OutboxConfig::default()
    };
    Outbox::new(db.pool.clone(), channels, cfg, Arc::new(Metrics::default()))
}

async fn notice_rows(db: &TestDb) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT channel, target, payload->>'text' FROM deliveries WHERE dedupe_key LIKE 'failure:%' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_gone_room_tells_the_author_once_where_they_wrote() {
    let db = TestDb::new().await;
    let core = core(&db.pool);
    link_room(&db.pool, ChannelKind::Console, "room", "rocabey")
        .await
        .unwrap();
    link_room(&db.pool, ChannelKind::Telegram, "-1001", "rocabey")
        .await
        .unwrap();
    let console = Recorder::new(ChannelKind::Console);
    let tg = Recorder::new(ChannelKind::Telegram);
    tg.script("-1001", vec![Err(SendError::Gone("the bot was kicked".into()))]);
    // Two messages queued for the group before it is found gone: both authors hear, once each.
    core.ingest(&inbound("room", "1", "Marie", "Je prête ma perceuse"))
        .await
        .unwrap();
    core.ingest(&inbound("room", "2", "Paul", "Qui a une échelle ?"))
        .await
        .unwrap();
    let ob = outbox(&db, vec![console.clone() as Arc<dyn Channel>, tg.clone()], 12);
    drain(&db.pool, &ob, std::time::Duration::from_secs(20)).await;
    let notices = notice_rows(&db).await;
    assert_eq!(notices.len(), 2, "{notices:?}");
    for (channel, target, text) in &notices {
        assert_eq!((channel.as_str(), target.as_str()), ("console", "room"));
        assert!(
            text.contains("n'a pas pu être transmis") && text.contains("groupe Telegram « Rocabey – Bellevue »"),
            "{text}"
        );
        assert!(text.contains("le bot n'y a plus accès"), "{text}");
    }
    assert!(notices[0].2.contains("« Je prête ma perceuse »"), "{}", notices[0].2);
    assert!(notices[1].2.contains("« Qui a une échelle ? »"), "{}", notices[1].2);
    // Sent as replies to each message.
    let replies: Vec<Option<String>> =
        sqlx::query_scalar("SELECT payload->>'reply_to' FROM deliveries WHERE dedupe_key LIKE 'failure:%' ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(replies, [Some("1".to_owned()), Some("2".to_owned())]);
    let told: Vec<String> = console
        .sent_to("room")
        .into_iter()
        .filter(|t| t.contains("transmis"))
        .collect();
    assert_eq!(told.len(), 2, "{told:?}");
    // Seeing the same failures again (another daemon, a replay) tells nobody twice.
    let failed: Vec<i64> = sqlx::query_scalar("SELECT id FROM deliveries WHERE status = 'failed'")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        failures::tell_authors(&db.pool, Texts::embedded(), &failed, FailureCause::Gone)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        stored::counts(&db.pool).await.unwrap(),
        [(ChannelKind::Telegram, FailureCause::Gone, 2)]
    );
    db.finish().await;
}

#[tokio::test]
async fn a_notice_that_fails_makes_no_other_notice() {
    let db = TestDb::new().await;
    let core = core(&db.pool);
    link_room(&db.pool, ChannelKind::Console, "room", "rocabey")
        .await
        .unwrap();
    link_room(&db.pool, ChannelKind::Telegram, "-1001", "rocabey")
        .await
        .unwrap();
    let console = Recorder::new(ChannelKind::Console);
    let tg = Recorder::new(ChannelKind::Telegram);
    tg.script("-1001", vec![Err(SendError::Permanent("400 Bad Request".into()))]);
    // The author's own room refuses everything from now on: the notice fails too.
    console.script("room", vec![Err(SendError::Permanent("refused".into())); 5]);
    core.ingest(&inbound("room", "1", "Marie", "Je prête ma perceuse"))
        .await
        .unwrap();
    let ob = outbox(&db, vec![console.clone() as Arc<dyn Channel>, tg.clone()], 12);
    drain(&db.pool, &ob, std::time::Duration::from_secs(20)).await;
    let notices = notice_rows(&db).await;
    assert_eq!(notices.len(), 1, "one notice, about the copy only: {notices:?}");
    assert!(notices[0].2.contains("message refusé"), "{}", notices[0].2);
    let statuses: Vec<(String, String)> = sqlx::query_as(
        "SELECT payload->>'kind', status FROM deliveries WHERE payload->>'kind' <> 'notice' OR dedupe_key LIKE 'failure:%' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(
        statuses.iter().all(|(_, s)| s == "failed"),
        "the copy and the notice both failed: {statuses:?}"
    );
    assert_eq!(
        stored::counts(&db.pool).await.unwrap(),
        [(ChannelKind::Telegram, FailureCause::Refused, 1)]
    );
    db.finish().await;
}

#[tokio::test]
async fn spent_attempts_to_a_subscriber_name_them_in_the_authors_language_without_the_address() {
    let db = TestDb::new().await;
    let core = core(&db.pool);
    link_room(&db.pool, ChannelKind::Console, "room", "rocabey")
        .await
        .unwrap();
    let r = Request {
        address: "rose@exemple.fr".to_owned(),
        area: "rocabey".to_owned(),
        rhythm: Rhythm::Each,
        member: None,
        lang: Lang::Fr,
        issued: 0,
    };
    subscriptions::confirm(&db.pool, &r).await.unwrap();
    sqlx::query("UPDATE email_subscriptions SET display_name = 'Rose'")
        .execute(&db.pool)
        .await
        .unwrap();
    let console = Recorder::new(ChannelKind::Console);
    let mail = Recorder::new(ChannelKind::Email);
    mail.script(
        "rose@exemple.fr",
        vec![Err(SendError::Transient("451 try later".into())); 3],
    );
    core.ingest(&inbound("room", "1", "Mary", "I lend my drill"))
        .await
        .unwrap();
    sqlx::query("UPDATE members SET lang = 'en'")
        .execute(&db.pool)
        .await
        .unwrap();
    let ob = outbox(&db, vec![console.clone() as Arc<dyn Channel>, mail.clone()], 3);
    drain(&db.pool, &ob, std::time::Duration::from_secs(20)).await;
    let notices = notice_rows(&db).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    let text = &notices[0].2;
    assert!(
        text.contains("could not be passed on (email to Rose: still failing after several attempts)"),
        "{text}"
    );
    assert!(!text.contains("rose@"), "never the address: {text}");
    assert_eq!(
        stored::counts(&db.pool).await.unwrap(),
        [(ChannelKind::Email, FailureCause::Exhausted, 1)]
    );
    db.finish().await;
}
