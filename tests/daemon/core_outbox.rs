//! The outbox against a real PostgreSQL: order per target, backoff, rate limits per target,
//! crashed workers, restarts, several workers.

use std::sync::Arc;
use std::time::Duration;

use voisinage::core::model::{Address, ChannelKind, OutKind, Outgoing};
use voisinage::core::outbox::Outbox;
use voisinage::core::{Channel, SendError};
use voisinage::store::deliveries;

use crate::helpers::{Recorder, TestDb, core, inbound, outbox};

async fn queue(db: &TestDb, target: &str, texts: &[&str]) {
    let mut tx = db.pool.begin().await.unwrap();
    let items: Vec<deliveries::NewDelivery> = texts
        .iter()
        .map(|t| deliveries::NewDelivery {
            to: Address {
                channel: ChannelKind::Telegram,
                target: target.to_owned(),
            },
            msg: Outgoing::new(OutKind::Notice, *t),
            dedupe_key: format!("{target}:{t}"),
            cause: None,
        })
        .collect();
    assert_eq!(
        deliveries::enqueue_many(&mut tx, &items).await.unwrap(),
        texts.len() as u64
    );
    // The same causes again queue nothing.
    assert_eq!(deliveries::enqueue_many(&mut tx, &items).await.unwrap(), 0);
    tx.commit().await.unwrap();
}

async fn status_of(db: &TestDb, text: &str) -> (String, i32, bool, Option<String>) {
    sqlx::query_as(
        "SELECT status, attempts, next_attempt_at > now(), last_error FROM deliveries WHERE payload->>'text' = $1",
    )
    .bind(text)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

/// Makes every pending delivery due now, as if time had passed.
async fn time_passes(db: &TestDb) {
    sqlx::query("UPDATE deliveries SET next_attempt_at = now() WHERE status = 'pending'")
        .execute(&db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn messages_to_one_target_leave_in_order() {
    let db = TestDb::new().await;
    let tg = Recorder::new(ChannelKind::Telegram);
    let ob = outbox(&db.pool, vec![tg.clone() as Arc<dyn Channel>]);
    queue(&db, "A", &["a1", "a2", "a3", "a4"]).await;
    queue(&db, "B", &["b1", "b2"]).await;
    let first = ob.run_once().await.unwrap();
    assert_eq!(first.sent, 2, "one per target per round");
    while ob.run_once().await.unwrap().claimed > 0 {}
    assert_eq!(tg.sent_to("A"), ["a1", "a2", "a3", "a4"]);
    assert_eq!(tg.sent_to("B"), ["b1", "b2"]);
    let remote: Vec<Option<String>> = sqlx::query_scalar("SELECT remote_id FROM deliveries ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert!(
        remote
            .iter()
            .all(|r| r.as_deref().is_some_and(|r| r.starts_with("remote-"))),
        "remote ids recorded"
    );
    db.finish().await;
}

#[tokio::test]
async fn a_transient_failure_backs_off_then_succeeds() {
    let db = TestDb::new().await;
    let tg = Recorder::new(ChannelKind::Telegram);
    tg.script("A", vec![Err(SendError::Transient("502 Bad Gateway".into()))]);
    let ob = outbox(&db.pool, vec![tg.clone() as Arc<dyn Channel>]);
    queue(&db, "A", &["a1", "a2"]).await;
    assert_eq!(ob.run_once().await.unwrap().retried, 1);
    let (status, attempts, later, err) = status_of(&db, "a1").await;
    assert_eq!((status.as_str(), attempts, later), ("pending", 1, true));
    assert!(err.unwrap().contains("502"));
    assert_eq!(
        ob.run_once().await.unwrap().claimed,
        0,
        "not due yet, and a2 waits behind a1"
    );
    time_passes(&db).await;
    while ob.run_once().await.unwrap().claimed > 0 {}
    assert_eq!(tg.sent_to("A"), ["a1", "a2"]);
    db.finish().await;
}

#[test]
fn backoff_grows_and_is_capped() {
    use voisinage::core::outbox::{OutboxConfig, backoff};
    let cfg = OutboxConfig::default();
    for attempt in 1..30 {
        let d = backoff(&cfg, attempt);
        let nominal = cfg
            .backoff_base
            .saturating_mul(1 << (attempt - 1).min(20))
            .min(cfg.backoff_max);
        assert!(
            d <= nominal && d >= nominal / 2,
            "attempt {attempt}: {d:?} vs {nominal:?}"
        );
    }
}

#[tokio::test]
async fn a_rate_limit_pauses_only_its_target() {
    let db = TestDb::new().await;
    let tg = Recorder::new(ChannelKind::Telegram);
    tg.script(
        "A",
        vec![Err(SendError::RateLimited {
            retry_after: Duration::from_secs(7),
        })],
    );
    let ob = outbox(&db.pool, vec![tg.clone() as Arc<dyn Channel>]);
    queue(&db, "A", &["a1", "a2"]).await;
    queue(&db, "B", &["b1", "b2", "b3"]).await;
    let first = ob.run_once().await.unwrap();
    assert_eq!((first.rate_limited, first.sent), (1, 1));
    while ob.run_once().await.unwrap().claimed > 0 {}
    assert_eq!(tg.sent_to("B"), ["b1", "b2", "b3"], "B is not delayed");
    assert!(tg.sent_to("A").is_empty(), "A waits");
    let (status, attempts, later, _) = status_of(&db, "a1").await;
    assert_eq!(
        (status.as_str(), attempts, later),
        ("pending", 0, true),
        "a rate limit is not a failed attempt"
    );
    let wait: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM next_attempt_at - now())::float8 FROM deliveries WHERE payload->>'text' = 'a1'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(wait > 5.0 && wait <= 7.0, "waits retry_after: {wait}");
    time_passes(&db).await;
    while ob.run_once().await.unwrap().claimed > 0 {}
    assert_eq!(
        tg.sent_to("A"),
        ["a1", "a2"],
        "then A's messages leave in order, none lost or doubled"
    );
    db.finish().await;
}

#[tokio::test]
async fn a_permanent_failure_is_kept_with_its_reason_and_does_not_block_the_target() {
    let db = TestDb::new().await;
    let tg = Recorder::new(ChannelKind::Telegram);
    tg.script(
        "A",
        vec![Err(SendError::Permanent("403 Forbidden: bot was kicked".into()))],
    );
    let ob = outbox(&db.pool, vec![tg.clone() as Arc<dyn Channel>]);
    queue(&db, "A", &["a1", "a2"]).await;
    while ob.run_once().await.unwrap().claimed > 0 {}
    let (status, _, _, err) = status_of(&db, "a1").await;
    assert_eq!(status, "failed");
    assert!(err.unwrap().contains("kicked"));
    assert_eq!(tg.sent_to("A"), ["a2"]);
    db.finish().await;
}

#[tokio::test]
async fn a_worker_that_dies_after_claiming_leaves_the_delivery_to_be_sent_again() {
    let db = TestDb::new().await;
    queue(&db, "A", &["a1"]).await;
    // A worker claims and dies before sending.
    let claimed = deliveries::claim(&db.pool, &["telegram".to_owned()], 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let tg = Recorder::new(ChannelKind::Telegram);
    let ob = outbox(&db.pool, vec![tg.clone() as Arc<dyn Channel>]);
    assert_eq!(ob.run_once().await.unwrap().claimed, 0, "the lease holds");
    sqlx::query("UPDATE deliveries SET claimed_until = now() - interval '1 second'")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(ob.run_once().await.unwrap().sent, 1, "the lease ran out: claimed again");
    assert_eq!(tg.sent_to("A"), ["a1"]);
    db.finish().await;
}

#[tokio::test]
async fn nothing_is_claimed_for_a_channel_that_is_not_ready() {
    let db = TestDb::new().await;
    queue(&db, "A", &["a1"]).await;
    let tg = Recorder::new(ChannelKind::Telegram);
    tg.ready.store(false, std::sync::atomic::Ordering::Relaxed);
    let ob = outbox(&db.pool, vec![tg.clone() as Arc<dyn Channel>]);
    // Logging in, say: no lease is spent meanwhile (another daemon could not claim it then).
    assert_eq!(ob.run_once().await.unwrap().claimed, 0);
    assert_eq!(status_of(&db, "a1").await.0, "pending");
    assert_eq!(status_of(&db, "a1").await.1, 0);
    tg.ready.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(ob.run_once().await.unwrap().sent, 1);
    assert_eq!(tg.sent_to("A"), ["a1"]);
    db.finish().await;
}

/// A worker's claim runs out while it looks whether an earlier claim sent the delivery (a slow
/// homeserver); another worker claims it and sends it. The first must not send it too.
#[tokio::test]
async fn a_claim_that_ran_out_before_its_send_leaves_the_send_to_the_new_claim() {
    let db = TestDb::new().await;
    queue(&db, "A", &["a1"]).await;
    let lease = Duration::from_millis(600);
    // An earlier claim died: the one below is the second, and so looks first.
    deliveries::claim(&db.pool, &["telegram".to_owned()], 10, Duration::ZERO)
        .await
        .unwrap();
    let cfg = || voisinage::core::outbox::OutboxConfig {
        lease,
        ..Default::default()
    };
    let metrics = || Arc::new(voisinage::telemetry::Metrics::default());
    let (slow, quick) = (
        Recorder::new(ChannelKind::Telegram),
        Recorder::new(ChannelKind::Telegram),
    );
    let gate = Arc::new(tokio::sync::Notify::new());
    *slow.checks_wait_for.lock().unwrap() = Some(gate.clone());
    let first = Arc::new(Outbox::new(
        db.pool.clone(),
        vec![slow.clone() as Arc<dyn Channel>],
        cfg(),
        metrics(),
    ));
    let second = Outbox::new(
        db.pool.clone(),
        vec![quick.clone() as Arc<dyn Channel>],
        cfg(),
        metrics(),
    );
    let looking = tokio::spawn({
        let first = first.clone();
        async move { first.run_once().await.unwrap() }
    });
    while status_of(&db, "a1").await.1 < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The first claim's lease runs out while it looks; the second worker claims and sends.
    let mut second_claimed = 0;
    while second_claimed == 0 {
        tokio::time::sleep(lease / 4).await;
        second_claimed = second.run_once().await.unwrap().claimed;
    }
    assert_eq!(quick.sent_to("A"), ["a1"]);
    gate.notify_one();
    let stats = looking.await.unwrap();
    assert_eq!((stats.claimed, stats.sent), (1, 0), "{stats:?}");
    assert!(slow.sent().is_empty(), "sent twice: {:?}", slow.sent());
    assert_eq!(status_of(&db, "a1").await.0, "sent");
    db.finish().await;
}

#[tokio::test]
async fn nothing_is_lost_or_doubled_across_a_restart() {
    let db = TestDb::new().await;
    voisinage::store::link_room(&db.pool, ChannelKind::Console, "room", "parame")
        .await
        .unwrap();
    voisinage::store::link_room(&db.pool, ChannelKind::Telegram, "-1001", "parame")
        .await
        .unwrap();
    let msgs: Vec<_> = (0..5)
        .map(|i| inbound("room", &i.to_string(), "Jeanne", &format!("message {i}")))
        .collect();
    {
        let core = core(&db.pool);
        for m in &msgs {
            core.ingest(m).await.unwrap();
        }
        // The daemon stops before its outbox ran.
    }
    let core = core(&db.pool);
    for m in &msgs {
        assert_eq!(
            core.ingest(m).await.unwrap(),
            voisinage::core::ingest::Ingested::Duplicate,
            "redelivered after restart"
        );
    }
    let tg = Recorder::new(ChannelKind::Telegram);
    let ob = outbox(&db.pool, vec![tg.clone() as Arc<dyn Channel>]);
    while ob.run_once().await.unwrap().claimed > 0 {}
    let sent = tg.sent_to("-1001");
    assert_eq!(sent.len(), 5);
    for (i, s) in sent.iter().enumerate() {
        assert!(s.ends_with(&format!("message {i}")), "in order: {s}");
    }
    db.finish().await;
}

#[tokio::test]
async fn several_workers_send_each_delivery_once() {
    let db = TestDb::new().await;
    for t in 0..20 {
        let texts: Vec<String> = (0..5).map(|i| format!("t{t}-m{i}")).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        queue(&db, &format!("T{t}"), &refs).await;
    }
    let tg = Recorder::new(ChannelKind::Telegram);
    let a = Arc::new(outbox(&db.pool, vec![tg.clone() as Arc<dyn Channel>]));
    let b = Arc::new(outbox(&db.pool, vec![tg.clone() as Arc<dyn Channel>]));
    let run = |ob: Arc<voisinage::core::outbox::Outbox>| async move {
        let mut idle = 0;
        while idle < 3 {
            if ob.run_once().await.unwrap().claimed == 0 {
                idle += 1;
            } else {
                idle = 0;
            }
        }
    };
    tokio::join!(run(a), run(b));
    let sent = tg.sent();
    assert_eq!(sent.len(), 100, "each once");
    for t in 0..20 {
        let expected: Vec<String> = (0..5).map(|i| format!("t{t}-m{i}")).collect();
        assert_eq!(tg.sent_to(&format!("T{t}")), expected, "in order per target");
    }
    db.finish().await;
}

/// An idle worker whose safety poll is far away still sends at once what another daemon queues
/// (PostgreSQL NOTIFY), and a retry when it falls due (it sleeps until the next due time).
#[tokio::test]
async fn an_idle_worker_wakes_on_notify_and_when_a_retry_falls_due() {
    let db = TestDb::new().await;
    let tg = Recorder::new(ChannelKind::Telegram);
    let cfg = voisinage::core::outbox::OutboxConfig {
        idle: Duration::from_secs(600),
        ..voisinage::core::outbox::OutboxConfig::default()
    };
    let wake = Arc::new(tokio::sync::Notify::new());
    let ob = Arc::new(
        Outbox::new(
            db.pool.clone(),
            vec![tg.clone() as Arc<dyn Channel>],
            cfg,
            Arc::new(voisinage::telemetry::Metrics::default()),
        )
        .wake_on(wake.clone()),
    );
    let stop = tokio_util::sync::CancellationToken::new();
    let listener = tokio::spawn(Outbox::listen(db.pool.clone(), wake, stop.clone()));
    let worker = tokio::spawn(ob.clone().run(stop.clone()));
    // Let the worker find nothing and go to sleep for its 600 s.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = |n: usize| {
        let tg = tg.clone();
        async move {
            for _ in 0..300 {
                if tg.sent_to("A").len() >= n {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        }
    };
    // Another daemon queues (through its own connection): this one wakes.
    queue(&db, "A", &["a1"]).await;
    assert!(sent(1).await, "woken by the notification, not the 600 s poll");
    // A retry due in a second: the worker sleeps until then, not 600 s.
    tg.script("A", vec![Err(SendError::Unavailable("down".into()))]);
    queue(&db, "A", &["a2"]).await;
    assert!(sent(2).await, "the retry went when it fell due: {:?}", tg.sent_to("A"));
    stop.cancel();
    worker.await.unwrap().unwrap();
    listener.await.unwrap().unwrap();
    db.finish().await;
}
