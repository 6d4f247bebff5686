//! Telegram failing: a 429 on one chat pauses that chat only, for exactly retry_after; a 5xx
//! storm passes; a restart mid-stream neither loses nor repeats an update; one daemon polls.

use std::time::Duration;

use voisinage::channels::telegram::Poller;
use voisinage::core::model::ChannelKind;

use super::{CONSOLE_ROOM, GROUP, PAUL, World};
use crate::botapi::Fault;
use crate::helpers::{core, inbound};

const OTHER_GROUP: i64 = -2002;
const OTHER_CONSOLE: &str = "console:parame";

async fn second_group(w: &mut World) {
    w.fake.add_chat(OTHER_GROUP, "group", "Voisins de Paramé");
    w.fake.set_member(OTHER_GROUP, 21, "Rose", "creator");
    w.fake.set_bot_status(OTHER_GROUP, "administrator");
    voisinage::store::link_room(&w.db.pool, ChannelKind::Console, OTHER_CONSOLE, "parame")
        .await
        .unwrap();
    w.fake.user_message(OTHER_GROUP, 21, "Rose", "/relier parame");
    w.poll().await;
    w.drain().await;
}

fn texts_in_order(w: &World, chat: i64, prefix: &str) -> Vec<String> {
    w.fake
        .bot_sent(chat)
        .into_iter()
        .map(|m| m.text)
        .filter(|t| t.starts_with(prefix))
        .collect()
}

#[tokio::test]
async fn a_429_on_one_chat_delays_only_that_chat() {
    let mut w = World::new().await.linked().await;
    second_group(&mut w).await;
    w.fake.fail(Fault::RetryAfter { secs: 2 }.on("sendMessage").chat(GROUP));
    for n in 1..=3 {
        w.core
            .ingest(&inbound(CONSOLE_ROOM, &format!("a{n}"), "Léa", &format!("servan {n}")))
            .await
            .unwrap();
        w.core
            .ingest(&inbound(
                OTHER_CONSOLE,
                &format!("b{n}"),
                "Yves",
                &format!("paramé {n}"),
            ))
            .await
            .unwrap();
    }
    w.drain().await;
    let expected =
        |area: &str, name: &str| -> Vec<String> { (1..=3).map(|n| format!("{name} (console) : {area} {n}")).collect() };
    assert_eq!(
        texts_in_order(&w, GROUP, "Léa"),
        expected("servan", "Léa"),
        "all, once, in order"
    );
    assert_eq!(texts_in_order(&w, OTHER_GROUP, "Yves"), expected("paramé", "Yves"));
    let sends = w.fake.calls_of("sendMessage");
    let refused = sends.iter().find(|c| c.status == 429).expect("the 429 happened");
    let next_here = sends
        .iter()
        .find(|c| c.chat_id == Some(GROUP) && c.status == 200 && c.at > refused.at)
        .unwrap();
    let other_done = sends
        .iter()
        .filter(|c| c.chat_id == Some(OTHER_GROUP) && c.status == 200)
        .map(|c| c.at)
        .max()
        .unwrap();
    assert!(
        other_done < next_here.at,
        "the other group got all its messages while this one waited"
    );
    assert!(
        next_here.at.duration_since(refused.at) >= Duration::from_millis(1950),
        "the chat waited retry_after: {:?}",
        next_here.at.duration_since(refused.at)
    );
    w.finish().await;
}

#[tokio::test]
async fn a_storm_of_server_errors_then_recovery_loses_and_doubles_nothing() {
    let mut w = World::new().await.linked().await;
    // teloxide waits 10 s before it reports a 5xx: two on sends are storm enough here.
    w.fake.fail(
        Fault::Status {
            code: 500,
            description: "Internal Server Error".into(),
        }
        .on("sendMessage")
        .times(2),
    );
    w.fake.fail(
        Fault::Status {
            code: 502,
            description: "Bad Gateway".into(),
        }
        .on("getUpdates")
        .times(3),
    );
    for n in 1..=5 {
        w.fake.user_message(GROUP, PAUL, "Paul", &format!("bonjour {n}"));
        w.core
            .ingest(&inbound(CONSOLE_ROOM, &format!("c{n}"), "Léa", &format!("salut {n}")))
            .await
            .unwrap();
    }
    // Polling fails twice, then gets everything.
    let mut failures = 0;
    let mut handled = 0;
    while handled < 5 {
        match w.poller.poll_once(0).await {
            Ok(s) => handled += s.handled,
            Err(_) => failures += 1,
        }
        assert!(failures < 10);
    }
    assert!(failures >= 1, "the poller saw the storm");
    w.drain().await;
    let relayed: Vec<String> = w.console.sent_to(CONSOLE_ROOM);
    assert_eq!(
        relayed,
        (1..=5)
            .map(|n| format!("Paul (Telegram) : bonjour {n}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        texts_in_order(&w, GROUP, "Léa"),
        (1..=5)
            .map(|n| format!("Léa (console) : salut {n}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(w.fake.calls().iter().filter(|c| c.status >= 500).count(), 5);
    w.finish().await;
}

#[tokio::test]
async fn a_restart_mid_stream_neither_loses_nor_repeats_an_update() {
    let mut w = World::new().await.linked().await;
    let first: Vec<i64> = (1..=4)
        .map(|n| w.fake.user_message(GROUP, PAUL, "Paul", &format!("avant {n}")).0)
        .collect();
    assert_eq!(w.poll().await, 4);
    // Another daemon on the same database stands by while this one polls.
    let pool2 = voisinage::store::connect(&w.db.url, 4).await.unwrap();
    let core2 = core(&pool2);
    let mut standby = Poller::new(w.tg.clone(), core2.clone());
    assert!(standby.poll_once(0).await.unwrap().standby);

    // The first daemon dies (its session, and the lock, go with it) just after handling the
    // last two updates but before recording them: the worst moment.
    sqlx::query("UPDATE poll_offsets SET next_offset = $1")
        .bind(first[2])
        .execute(&w.db.pool)
        .await
        .unwrap();
    w.poller.release().await;
    let after: Vec<i64> = (1..=3)
        .map(|n| w.fake.user_message(GROUP, PAUL, "Paul", &format!("après {n}")).0)
        .collect();

    // The standby daemon takes over where the offset says.
    let handled = standby.poll_once(0).await.unwrap();
    assert!(!handled.standby);
    assert_eq!(handled.handled, 2 + 3, "two replayed, three new");
    assert_eq!(*w.fake.get_updates_offsets().last().unwrap(), first[2]);
    assert_eq!(standby.poll_once(0).await.unwrap().handled, 0);
    assert_eq!(*w.fake.get_updates_offsets().last().unwrap(), after[2] + 1);
    let daemon2 = crate::helpers::outbox(&pool2, vec![w.tg.clone(), w.console.clone()]);
    crate::helpers::drain(&pool2, &daemon2, Duration::from_secs(30)).await;
    w.drain().await;
    let relayed = w.console.sent_to(CONSOLE_ROOM);
    let expected: Vec<String> = (1..=4)
        .map(|n| format!("Paul (Telegram) : avant {n}"))
        .chain((1..=3).map(|n| format!("Paul (Telegram) : après {n}")))
        .collect();
    assert_eq!(relayed, expected, "each once, in order");
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM messages WHERE channel = 'telegram' AND (body LIKE 'avant%' OR body LIKE 'après%')",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(stored, 7);
    standby.release().await;
    pool2.close().await;
    w.finish().await;
}
