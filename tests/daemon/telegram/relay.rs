//! A group message becomes a post and is relayed; other channels' messages arrive escaped;
//! edits and deletions reach the copies; replies keep their thread; /fini in reply.

use voisinage::core::model::{Acknowledge, ChannelKind, Edit};

use super::{CONSOLE_ROOM, GROUP, PAUL, World};
use crate::helpers::{at, inbound};

#[tokio::test]
async fn a_group_message_becomes_a_post_and_is_relayed_both_ways() {
    let mut w = World::new().await.linked().await;
    assert!(
        w.bot_texts(GROUP)[0].contains("Saint-Servan"),
        "the link is confirmed: {:?}",
        w.bot_texts(GROUP)
    );
    let (_, said) = w.fake.user_message(GROUP, PAUL, "Paul", "Je prête ma perceuse samedi");
    assert_eq!(w.poll().await, 1);
    w.drain().await;
    let item: String = sqlx::query_scalar("SELECT item FROM posts")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(item, "perceuse");
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM),
        vec!["Paul (Telegram) : Je prête ma perceuse samedi".to_owned()]
    );
    // The notice answers Paul's message, in the group.
    let notice = w.fake.bot_sent(GROUP).pop().unwrap();
    assert_eq!(notice.reply_to, Some(said));
    assert!(notice.text.contains("perceuse"), "{}", notice.text);

    // A photo: its caption is the message, and the photo travels with it (tests/daemon/media.rs
    // follows it into Matrix and email).
    let photo = crate::media::photo(64, 48);
    w.fake
        .user_photo_file(GROUP, PAUL, "Paul", "Je donne ce fauteuil", photo);
    w.poll().await;
    w.drain().await;
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM).last().unwrap(),
        "Paul (Telegram) : Je donne ce fauteuil"
    );
    // A photo Telegram cannot give back: the words go on, saying the photo did not.
    w.fake.user_photo(GROUP, PAUL, "Paul", "Je donne ce tabouret");
    w.poll().await;
    w.drain().await;
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM).last().unwrap(),
        "Paul (Telegram) : 📷 photo non transmise (introuvable)\nJe donne ce tabouret"
    );

    // From the console room into the group: the name in bold, the words escaped.
    let mut m = inbound(
        CONSOLE_ROOM,
        "c1",
        "Léa <admin>",
        "<b>gratuit</b> & *urgent* [clic](http://x.invalid)",
    );
    m.sent_at = at("2026-06-10T19:00:00+02:00").to_utc();
    w.core.ingest(&m).await.unwrap();
    w.drain().await;
    let copy = w.fake.bot_sent(GROUP).pop().unwrap();
    assert_eq!(
        copy.text,
        "Léa <admin> (console) : <b>gratuit</b> & *urgent* [clic](http://x.invalid)"
    );
    assert_eq!(copy.parse_mode.as_deref(), Some("HTML"));
    assert!(
        copy.raw_text.starts_with("<b>Léa &lt;admin&gt;</b>"),
        "{}",
        copy.raw_text
    );
    w.finish().await;
}

#[tokio::test]
async fn edits_and_deletions_reach_the_copies() {
    let mut w = World::new().await.linked().await;
    // Edited in Telegram: the console copy follows.
    let (_, id) = w.fake.user_message(GROUP, PAUL, "Paul", "Qqn aurait une échelle ?");
    w.poll().await;
    w.drain().await;
    w.fake
        .user_edit(GROUP, id, PAUL, "Paul", "Qqn aurait une grande échelle ?");
    w.poll().await;
    w.drain().await;
    let console = w.console.sent_to(CONSOLE_ROOM);
    assert_eq!(console.len(), 2, "{console:?}");
    assert!(
        console[1].starts_with("edit remote-")
            && console[1].ends_with("Paul (Telegram) : Qqn aurait une grande échelle ?"),
        "{console:?}"
    );
    let body: String = sqlx::query_scalar("SELECT body FROM messages WHERE native_id = $1")
        .bind(id.to_string())
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(body, "Qqn aurait une grande échelle ?");
    // The same edit delivered again changes nothing.
    w.fake
        .user_edit(GROUP, id, PAUL, "Paul", "Qqn aurait une grande échelle ?");
    w.poll().await;
    w.drain().await;
    assert_eq!(w.console.sent_to(CONSOLE_ROOM).len(), 2);

    // Said on another channel, edited and deleted there: the Telegram copy follows.
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "c1", "Léa", "Je donne des pots de confiture"))
        .await
        .unwrap();
    w.drain().await;
    let copy = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .find(|m| m.text.contains("confiture"))
        .unwrap();
    w.core
        .edit(&Edit {
            channel: ChannelKind::Console,
            chat: CONSOLE_ROOM.into(),
            native_id: "c1".into(),
            edit_key: "e1".into(),
            text: "Je donne des pots de confiture vides".into(),
            edited_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    w.drain().await;
    let edited = w
        .fake
        .chat_messages(GROUP)
        .into_iter()
        .find(|m| m.message_id == copy.message_id)
        .unwrap();
    assert_eq!(edited.text, "Léa (console) : Je donne des pots de confiture vides");
    assert_eq!(edited.edit_count, 1);
    w.core.delete(ChannelKind::Console, CONSOLE_ROOM, "c1").await.unwrap();
    w.drain().await;
    assert!(w.fake.deleted_ids(GROUP).contains(&copy.message_id));
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM posts p JOIN messages m ON m.id = p.message_id
                                        WHERE m.native_id = 'c1' AND p.status = 'open'",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(open, 0, "a deleted message's posts are closed");
    w.finish().await;
}

#[tokio::test]
async fn replies_keep_their_thread_and_fini_in_reply_closes_the_post() {
    let mut w = World::new().await.linked().await;
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "c1", "Léa", "Je prête ma tondeuse"))
        .await
        .unwrap();
    w.drain().await;
    let copy = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .find(|m| m.text.contains("tondeuse"))
        .unwrap();
    // Paul answers the copy in Telegram: the console sees a reply to Léa's own message.
    w.fake
        .user_reply(GROUP, PAUL, "Paul", "Je peux passer la prendre ?", copy.message_id);
    w.poll().await;
    w.drain().await;
    let reply_to: Option<String> = sqlx::query_scalar(
        "SELECT payload->>'reply_to' FROM deliveries WHERE target = $1 AND payload->>'text' LIKE '%passer%'",
    )
    .bind(CONSOLE_ROOM)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(reply_to.as_deref(), Some("c1"));

    // Paul's own offer, closed by "/fini" in reply to the bot's notice about it.
    let (_, said) = w.fake.user_message(GROUP, PAUL, "Paul", "Je donne un vélo d'enfant");
    w.poll().await;
    w.drain().await;
    let notice = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .rev()
        .find(|m| m.reply_to == Some(said))
        .unwrap();
    w.fake.user_reply(GROUP, PAUL, "Paul", "/fini", notice.message_id);
    w.poll().await;
    w.drain().await;
    let status: String = sqlx::query_scalar("SELECT status FROM posts WHERE item LIKE 'vélo%'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "closed");
    assert!(
        w.bot_texts(GROUP).last().unwrap().contains("close"),
        "{:?}",
        w.bot_texts(GROUP)
    );
    w.finish().await;
}

#[tokio::test]
async fn an_area_can_be_acknowledged_with_a_reaction() {
    let mut w = World::with(|_, core| {
        core.ack.areas.insert("saint-servan".into(), Acknowledge::Reaction);
        core.ack.emoji = "👍".into();
    })
    .await
    .linked()
    .await;
    let before = w.fake.bot_sent(GROUP).len();
    let (_, said) = w
        .fake
        .user_message(GROUP, PAUL, "Paul", "Je prête ma perceuse et mon escabeau");
    w.poll().await;
    w.drain().await;
    assert_eq!(w.fake.bot_sent(GROUP).len(), before, "no text in the group");
    let paul = w
        .fake
        .chat_messages(GROUP)
        .into_iter()
        .find(|m| m.message_id == said)
        .unwrap();
    assert_eq!(paul.reaction, Some(vec!["👍".to_owned()]));
    assert_eq!(
        w.fake.calls_of("setMessageReaction").len(),
        1,
        "one reaction for two posts"
    );
    w.finish().await;
}
