//! Bridging both ways: a neighbour's message in Matrix becomes a post and is relayed; a
//! message from another channel appears in Matrix with its sender; edits and redactions
//! propagate; bad input is handled.

use serde_json::json;
use voisinage::core::model::ChannelKind;

use super::{CONSOLE_ROOM, Neighbour, Synapse, World, unique};
use crate::helpers::inbound;

#[tokio::test]
async fn messages_edits_and_redactions_cross_the_bridge() {
    let hs = Synapse::shared();
    let mut w = World::new(hs).await;
    w.sync().await;
    let room = w.room_of("saint-servan").await;
    let bot = w.mx.user_id().to_owned();
    let jeanne = Neighbour::login(hs, &unique("jeanne")).await;
    jeanne.join(&room).await;
    jeanne
        .call(
            reqwest::Method::PUT,
            &format!("/profile/{}/displayname", jeanne.user_id),
            Some(json!({"displayname": "Jeanne"})),
        )
        .await;

    // Matrix → the area's other room, and a post.
    let said = jeanne.say(&room, "Je prête ma perceuse samedi").await;
    w.sync().await;
    w.drain().await;
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM),
        vec!["Jeanne (Matrix) : Je prête ma perceuse samedi".to_owned()]
    );
    let item: String = sqlx::query_scalar("SELECT item FROM posts")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(item, "perceuse");
    let notice = jeanne
        .messages(&room)
        .await
        .into_iter()
        .rev()
        .find(|e| e["sender"] == bot)
        .unwrap();
    assert_eq!(notice["content"]["msgtype"], "m.notice");
    assert_eq!(notice["content"]["m.relates_to"]["m.in_reply_to"]["event_id"], said);

    // An edit in Matrix reaches the copy.
    jeanne
        .send(
            &room,
            "m.room.message",
            json!({"msgtype": "m.text", "body": "* Je prête ma perceuse dimanche",
                   "m.new_content": {"msgtype": "m.text", "body": "Je prête ma perceuse dimanche"},
                   "m.relates_to": {"rel_type": "m.replace", "event_id": said}}),
        )
        .await;
    w.sync().await;
    w.drain().await;
    let console = w.console.sent_to(CONSOLE_ROOM);
    assert!(
        console[1].ends_with("Jeanne (Matrix) : Je prête ma perceuse dimanche"),
        "{console:?}"
    );

    // Another channel → Matrix, with its sender in bold and everything escaped.
    w.core
        .ingest(&inbound(
            CONSOLE_ROOM,
            "c1",
            "Léa <b>",
            "Je donne <script>alert(1)</script> & co",
        ))
        .await
        .unwrap();
    w.drain().await;
    let copy = jeanne
        .messages(&room)
        .await
        .into_iter()
        .rev()
        .find(|e| e["sender"] == bot && e["content"]["msgtype"] == "m.text")
        .unwrap();
    assert_eq!(
        copy["content"]["body"],
        "Léa <b> (console) : Je donne <script>alert(1)</script> & co"
    );
    assert_eq!(
        copy["content"]["formatted_body"],
        "<b>Léa &lt;b&gt;</b> (console) : Je donne &lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
    );
    // MSC4144: clients that know per-message profiles show Léa as the sender; the id is
    // stable for her and names nobody.
    let profile = &copy["content"]["com.beeper.per_message_profile"];
    assert_eq!(profile["displayname"], "Léa <b> (console)", "{copy:#}");
    assert_eq!(profile["has_fallback"], true);
    let id = profile["id"].as_str().unwrap();
    assert!(id.len() == 16 && !id.contains("c1"), "{id}");
    let copy_id = copy["event_id"].as_str().unwrap().to_owned();

    // Edited and deleted there: the Matrix copy follows (m.replace, then a redaction).
    w.core
        .edit(&voisinage::core::model::Edit {
            channel: ChannelKind::Console,
            chat: CONSOLE_ROOM.into(),
            native_id: "c1".into(),
            edit_key: "e1".into(),
            text: "Je donne des confitures".into(),
            edited_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    w.core.delete(ChannelKind::Console, CONSOLE_ROOM, "c1").await.unwrap();
    w.drain().await;
    let events = jeanne.messages(&room).await;
    let replace = events
        .iter()
        .find(|e| e["content"]["m.relates_to"]["rel_type"] == "m.replace" && e["sender"] == bot)
        .expect("an edit");
    assert_eq!(replace["content"]["m.relates_to"]["event_id"], copy_id.as_str());
    assert_eq!(
        replace["content"]["m.new_content"]["com.beeper.per_message_profile"]["displayname"],
        "Léa <b> (console)"
    );
    assert_eq!(
        replace["content"]["m.new_content"]["body"],
        "Léa <b> (console) : Je donne des confitures"
    );
    let original = events.iter().find(|e| e["event_id"] == copy_id.as_str()).unwrap();
    assert!(original["unsigned"]["redacted_because"].is_object(), "{original}");

    // A redaction in Matrix reaches the console copy.
    jeanne.send(&room, "m.room.redaction", json!({"redacts": said})).await;
    w.sync().await;
    w.drain().await;
    assert!(w.console.sent_to(CONSOLE_ROOM).last().unwrap().starts_with("delete "));
    w.finish().await;
}

#[tokio::test]
async fn odd_events_are_handled_and_never_relay_the_bot_back() {
    let hs = Synapse::shared();
    let mut w = World::new(hs).await;
    w.sync().await;
    let room = w.room_of("saint-servan").await;
    let jeanne = Neighbour::login(hs, &unique("jeanne")).await;
    jeanne.join(&room).await;
    jeanne
        .send(&room, "m.room.message", json!({"msgtype": "m.text", "body": "   "}))
        .await;
    jeanne
        .send(
            &room,
            "m.room.message",
            json!({"msgtype": "m.file", "body": "plan.pdf"}),
        )
        .await;
    jeanne.send(&room, "org.example.custom", json!({"what": "ever"})).await;
    jeanne
        .send(
            &room,
            "m.room.message",
            json!({"msgtype": "m.text", "body": "bonjour <script>",
              "format": "org.matrix.custom.html", "formatted_body": "<script>alert(1)</script>bonjour"}),
        )
        .await;
    let huge = "perceuse ".repeat(6_000);
    jeanne.say(&room, &huge).await;
    jeanne.say(&room, "!relier").await;
    w.sync().await;
    w.drain().await;
    let console = w.console.sent_to(CONSOLE_ROOM);
    assert_eq!(
        console.len(),
        3,
        "{:?}",
        console
            .iter()
            .map(|c| c.chars().take(60).collect::<String>())
            .collect::<Vec<_>>()
    );
    assert!(console[0].ends_with("📎 plan.pdf"));
    assert!(console[1].ends_with("bonjour <script>"));
    assert!(console[2].len() > 50_000);
    // The bot's own answers and notices are in the room, and none came back as a relay.
    w.sync().await;
    w.drain().await;
    assert_eq!(w.console.sent_to(CONSOLE_ROOM).len(), 3);
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM messages WHERE channel = 'matrix'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(messages, 4);
    w.finish().await;
}
