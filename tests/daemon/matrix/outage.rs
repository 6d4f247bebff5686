//! The homeserver goes away for a while: messages wait in the outbox and leave in order, once
//! each, when it is back; the sync loop reconnects.

use std::time::Duration;

use super::{CONSOLE_ROOM, Neighbour, Synapse, World, unique};
use crate::helpers::inbound;

#[tokio::test]
async fn synapse_down_then_back_every_queued_message_arrives_once_in_order() {
    let hs = Synapse::start("outage");
    let mut w = World::new(&hs).await;
    w.sync().await;
    let room = w.room_of("saint-servan").await;
    let bot = w.mx.user_id().to_owned();
    let jeanne = Neighbour::login(&hs, &unique("jeanne")).await;
    jeanne.join(&room).await;

    hs.stop();
    for n in 1..=5 {
        w.core
            .ingest(&inbound(CONSOLE_ROOM, &format!("c{n}"), "Léa", &format!("message {n}")))
            .await
            .unwrap();
    }
    // A few rounds while it is down: nothing is sent, nothing given up.
    for _ in 0..5 {
        w.outbox.run_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    assert!(
        w.syncer.sync_once(Duration::ZERO).await.is_err(),
        "the sync sees the outage"
    );
    let waiting: Vec<(String, i32)> =
        sqlx::query_as("SELECT status, attempts FROM deliveries WHERE channel = 'matrix' AND target = $1 ORDER BY id")
            .bind(&room)
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(waiting.len(), 5);
    assert!(waiting.iter().all(|(s, a)| s == "pending" && *a == 0), "{waiting:?}");

    hs.restart();
    w.drain().await;
    w.sync().await;
    let said = jeanne.bodies_from(&room, &bot).await;
    let expected: Vec<String> = (1..=5).map(|n| format!("Léa (console) : message {n}")).collect();
    assert_eq!(said, expected);
    w.finish().await;
}

/// A daemon sends a copy to Matrix and dies before recording it; another daemon (its own
/// Matrix session, where the transaction id does not dedupe) claims it again once the lease
/// ran out: it finds the copy in the room and does not send it twice (issues 17 and 19).
#[tokio::test]
async fn a_copy_sent_by_a_daemon_that_died_is_not_sent_again_by_another() {
    use std::sync::Arc;
    use voisinage::channels::matrix::Matrix;
    use voisinage::core::Channel;

    let hs = Synapse::shared();
    let mut w = World::new(hs).await;
    w.sync().await;
    let room = w.room_of("saint-servan").await;
    let bot = w.mx.user_id().to_owned();
    let jeanne = Neighbour::login(hs, &unique("jeanne")).await;
    jeanne.join(&room).await;
    // The first daemon "died" after the send: the row still says sending, its lease over.
    let (id, first) = super::relay_sent_by_a_dead_daemon(&w).await;

    // The second daemon: the same bot account, another session (device).
    let other_dir = w.data_dir.join("second-daemon");
    let mx2 = Matrix::new(&w.settings, &other_dir).unwrap();
    mx2.connect().await.unwrap();
    let ob2 = crate::helpers::outbox(&w.db.pool, vec![mx2.clone() as Arc<dyn Channel>]);
    crate::helpers::drain(&w.db.pool, &ob2, Duration::from_secs(60)).await;

    super::the_one_copy(jeanne.bodies_from(&room, &bot).await, "brouette");
    super::assert_sent_as(&w, id, &first).await;
    w.finish().await;
}

/// A daemon restarted (even after SIGKILL) comes back as the same device, so the homeserver's
/// transaction ids keep deduplicating its retries; one whose session file is gone cannot use
/// its store's device again: the store is set aside (kept) and a new device logs in.
#[tokio::test]
async fn a_restart_keeps_the_device_and_a_lost_session_sets_its_store_aside() {
    use voisinage::channels::matrix::Matrix;

    let hs = Synapse::shared();
    let mut w = World::new(hs).await;
    w.sync().await;
    let device = |c: &matrix_sdk::Client| c.device_id().expect("a device").to_string();
    let first = device(w.mx.connect().await.unwrap());

    let restarted = Matrix::new(&w.settings, &w.data_dir).unwrap();
    assert_eq!(device(restarted.connect().await.unwrap()), first);

    let dir = w.data_dir.join("matrix");
    let files = || -> Vec<String> {
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    for name in files()
        .iter()
        .filter(|n| n.starts_with("session-") && n.ends_with(".json"))
    {
        std::fs::remove_file(dir.join(name)).unwrap();
    }
    let lost = Matrix::new(&w.settings, &w.data_dir).unwrap();
    let second = device(lost.connect().await.unwrap());
    assert_ne!(second, first, "a new device");
    assert!(
        files()
            .iter()
            .any(|n| n.starts_with("store-") && n.contains(".replaced-")),
        "the old store is kept aside: {:?}",
        files()
    );
    let again = Matrix::new(&w.settings, &w.data_dir).unwrap();
    assert_eq!(device(again.connect().await.unwrap()), second, "and kept from then on");
    w.finish().await;
}
