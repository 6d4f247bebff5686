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
