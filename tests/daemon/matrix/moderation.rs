//! Moderation in a Matrix room against Synapse: the room's creator (room version 12, no entry
//! in the power levels) moderates; `!supprimer` redacts, `!bannir` bans in the room,
//! `!debannir` lifts it, and a member who is not a moderator is refused.

use serde_json::{Value, json};

use super::{Neighbour, Synapse, World, unique};

/// A reply to `event` in `room`.
async fn reply(who: &Neighbour, room: &str, event: &str, text: &str) -> String {
    who.send(
        room,
        "m.room.message",
        json!({"msgtype": "m.text", "body": text, "m.relates_to": {"m.in_reply_to": {"event_id": event}}}),
    )
    .await
}

async fn membership(who: &Neighbour, room: &str, user: &str) -> String {
    let v: Value = who
        .call(
            reqwest::Method::GET,
            &format!("/rooms/{room}/state/m.room.member/{user}"),
            None,
        )
        .await;
    v["membership"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_room_creator_removes_bans_and_unbans() {
    let hs = Synapse::shared();
    let mut w = World::new(hs).await;
    w.sync().await;
    let bot = w.mx.user_id().to_owned();
    let anne = Neighbour::login(hs, &unique("anne")).await;
    let paul = Neighbour::login(hs, &unique("paul")).await;
    let marie = Neighbour::login(hs, &unique("marie")).await;
    let created = anne
        .call(
            reqwest::Method::POST,
            "/createRoom",
            Some(json!({"preset": "public_chat", "name": "Dinard entre voisins", "invite": [bot]})),
        )
        .await;
    let room = created["room_id"].as_str().unwrap().to_owned();
    paul.join(&room).await;
    marie.join(&room).await;
    w.sync().await;
    anne.say(&room, "!relier dinard").await;
    w.sync().await;
    w.drain().await;
    assert_eq!(w.room_of("dinard").await, room);
    // Anne lets the bot redact and ban (power level 50).
    let mut levels: Value = anne
        .call(
            reqwest::Method::GET,
            &format!("/rooms/{room}/state/m.room.power_levels/"),
            None,
        )
        .await;
    levels["users"][&bot] = json!(50);
    anne.call(
        reqwest::Method::PUT,
        &format!("/rooms/{room}/state/m.room.power_levels/"),
        Some(levels),
    )
    .await;

    let scam = paul.say(&room, "Je vends un iPhone neuf 50 euros, virement").await;
    w.sync().await;
    w.drain().await;

    // Marie moderates nothing: refused, nothing redacted.
    reply(&marie, &room, &scam, "!supprimer").await;
    w.sync().await;
    w.drain().await;
    let said = anne.bodies_from(&room, &bot).await;
    assert!(said.last().unwrap().contains("seuls les modérateurs"), "{said:?}");
    assert_eq!(
        paul.bodies_from(&room, &paul.user_id).await,
        ["Je vends un iPhone neuf 50 euros, virement"]
    );

    // Anne, the creator, removes it: redacted in the room, its post closed.
    reply(&anne, &room, &scam, "!supprimer").await;
    w.sync().await;
    w.drain().await;
    assert_eq!(paul.bodies_from(&room, &paul.user_id).await, [""], "redacted");
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM posts p JOIN messages m ON m.id = p.message_id
          WHERE m.native_id = $1 AND p.status <> 'closed'",
    )
    .bind(&scam)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(open, 0);

    // Paul again: banned from the room, then let back in.
    let again = paul.say(&room, "Dernière chance : iPhone 40 euros").await;
    w.sync().await;
    w.drain().await;
    reply(&anne, &room, &again, "!bannir").await;
    w.sync().await;
    w.drain().await;
    assert_eq!(membership(&anne, &room, &paul.user_id).await, "ban");
    let banned: i64 = sqlx::query_scalar("SELECT count(*) FROM bans")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(banned, 1);
    reply(&anne, &room, &again, "!debannir").await;
    w.sync().await;
    w.drain().await;
    assert_eq!(membership(&anne, &room, &paul.user_id).await, "leave");
    let banned: i64 = sqlx::query_scalar("SELECT count(*) FROM bans")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(banned, 0);
    w.finish().await;
}
