//! Asking when unsure on Matrix, against Synapse (issue 13): the question is a notice in reply
//! to the post; 👍 on it or `!oui` in reply confirms; a correction in reply to the bot's
//! notice, after a match was announced, withdraws the post and tells the other side. The sure
//! threshold is set above any confidence, so every post is asked about.

use serde_json::{Value, json};

use super::{CONSOLE_ROOM, Neighbour, Synapse, World, unique};
use crate::helpers::{count, inbound};

/// The bot's latest message in `room` (its event).
async fn last_from_bot(who: &Neighbour, room: &str, bot: &str) -> Value {
    who.messages(room)
        .await
        .into_iter()
        .rev()
        .find(|e| e["sender"] == bot && e["type"] == "m.room.message")
        .expect("the bot said something")
}

#[tokio::test]
async fn a_reaction_confirms_and_a_reply_corrects_after_a_match() {
    let hs = Synapse::shared();
    let mut w = World::with(hs, |core| core.questions.sure_threshold = 1.01).await;
    w.sync().await;
    let room = w.room_of("saint-servan").await;
    let bot = w.mx.user_id().to_owned();
    let paul = Neighbour::login(hs, &unique("paul")).await;
    let marie = Neighbour::login(hs, &unique("marie")).await;
    paul.join(&room).await;
    marie.join(&room).await;

    // Paul offers a ladder: relayed, but asked about instead of announced.
    let offer = paul.say(&room, "Je prête mon échelle ce week-end").await;
    w.sync().await;
    w.drain().await;
    let question = last_from_bot(&paul, &room, &bot).await;
    let body = question["content"]["body"].as_str().unwrap().to_owned();
    assert!(body.contains("une offre de échelle") && body.contains("!oui"), "{body}");
    assert_eq!(question["content"]["m.relates_to"]["m.in_reply_to"]["event_id"], offer);
    let status: String = sqlx::query_scalar("SELECT status FROM posts")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "pending");

    // Marie's 👍 is not Paul's answer; Paul's is.
    let question_id = question["event_id"].as_str().unwrap().to_owned();
    let thumbs = json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": question_id, "key": "👍"}});
    marie.send(&room, "m.reaction", thumbs.clone()).await;
    w.sync().await;
    w.drain().await;
    let status: String = sqlx::query_scalar("SELECT status FROM posts")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "pending", "only the author answers");
    paul.send(&room, "m.reaction", thumbs).await;
    w.sync().await;
    w.drain().await;
    let status: String = sqlx::query_scalar("SELECT status FROM posts")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "open");
    // The question is edited to thank him, and the offer announced in reply to it.
    let notice = paul
        .messages(&room)
        .await
        .into_iter()
        .rev()
        .find(|e| e["sender"] == bot && e["content"]["body"].as_str().is_some_and(|b| b.contains("notée")))
        .expect("the offer is announced");
    assert_eq!(notice["content"]["m.relates_to"]["m.in_reply_to"]["event_id"], offer);

    // Jeanne asks on the console and confirms with /oui: the match is announced in Matrix.
    w.core
        .ingest(&inbound(
            CONSOLE_ROOM,
            "c1",
            "Jeanne",
            "Quelqu'un aurait une échelle à me prêter ?",
        ))
        .await
        .unwrap();
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "c2", "Jeanne", "/oui"))
        .await
        .unwrap();
    w.drain().await;
    assert_eq!(count(&w.db.pool, "matches").await, 1);

    // Paul corrects in reply to the bot's notice: withdrawn, the match voided, Jeanne told.
    paul.send(
        &room,
        "m.room.message",
        json!({"msgtype": "m.text", "body": "!corriger pas une annonce",
               "m.relates_to": {"m.in_reply_to": {"event_id": notice["event_id"]}}}),
    )
    .await;
    w.sync().await;
    w.drain().await;
    assert_eq!(count(&w.db.pool, "matches").await, 0);
    let st: (String, Option<String>) =
        sqlx::query_as("SELECT status, closed_reason FROM posts WHERE direction = 'offer'")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(st, ("closed".to_owned(), Some("rejected".to_owned())));
    assert!(
        w.console
            .sent_to(CONSOLE_ROOM)
            .iter()
            .any(|t| t.contains("a corrigé son annonce")),
        "{:?}",
        w.console.sent_to(CONSOLE_ROOM)
    );
    w.finish().await;
}
