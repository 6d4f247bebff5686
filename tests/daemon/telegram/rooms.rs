//! Linking a group to an area: only an administrator (asked of Telegram, not of the message)
//! may; a kicked bot marks its group gone; re-added, it greets and works again.

use super::{ADMIN, CONSOLE_ROOM, GROUP, PAUL, World};
use crate::helpers::inbound;

async fn room_of(w: &World, chat: i64) -> Option<String> {
    sqlx::query_scalar("SELECT area_slug FROM chats WHERE channel = 'telegram' AND external_id = $1 AND kind = 'room'")
        .bind(chat.to_string())
        .fetch_optional(&w.db.pool)
        .await
        .unwrap()
        .flatten()
}

#[tokio::test]
async fn only_an_administrator_links_and_unlinks_a_group() {
    let mut w = World::new().await;
    w.fake.add_chat(GROUP, "supergroup", "Voisins");
    w.fake.set_member(GROUP, ADMIN, "Anne", "creator");
    w.fake.set_member(GROUP, PAUL, "Paul", "member");
    w.fake.set_bot_status(GROUP, "administrator");

    // Paul claims nothing in his message; Telegram says he is a member: refused.
    w.fake.user_message(GROUP, PAUL, "Paul", "/relier saint-servan");
    w.poll().await;
    w.drain().await;
    assert_eq!(room_of(&w, GROUP).await, None);
    assert!(
        w.bot_texts(GROUP)[0].contains("seul un administrateur"),
        "{:?}",
        w.bot_texts(GROUP)
    );
    assert!(
        w.fake
            .calls_of("getChatMember")
            .iter()
            .any(|c| c.params["user_id"] == PAUL),
        "the status was asked of Telegram"
    );

    // An unknown area: a clear answer listing the areas.
    w.fake.user_message(GROUP, ADMIN, "Anne", "/relier nulle-part");
    w.poll().await;
    w.drain().await;
    let answer = w.bot_texts(GROUP).pop().unwrap();
    assert!(
        answer.contains("nulle-part") && answer.contains("saint-servan"),
        "{answer}"
    );
    assert_eq!(room_of(&w, GROUP).await, None);

    // The creator links it (the @BotName form too); an invite link is made for onboarding.
    w.fake
        .user_message(GROUP, ADMIN, "Anne", "/relier@VoisinageTestBot saint-servan");
    w.poll().await;
    w.drain().await;
    assert_eq!(room_of(&w, GROUP).await.as_deref(), Some("saint-servan"));
    let link: Option<String> = sqlx::query_scalar("SELECT invite_link FROM chats WHERE external_id = $1")
        .bind(GROUP.to_string())
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert!(link.is_some_and(|l| l.starts_with("https://t.me/+")));

    // A command for another bot is not ours.
    w.fake.user_message(GROUP, ADMIN, "Anne", "/delier@AutreBot");
    w.poll().await;
    w.drain().await;
    assert_eq!(room_of(&w, GROUP).await.as_deref(), Some("saint-servan"));

    // Paul cannot unlink it; Anne can.
    w.fake.user_message(GROUP, PAUL, "Paul", "/delier");
    w.poll().await;
    w.drain().await;
    assert_eq!(room_of(&w, GROUP).await.as_deref(), Some("saint-servan"));
    w.fake.user_message(GROUP, ADMIN, "Anne", "/delier");
    w.poll().await;
    w.drain().await;
    assert_eq!(room_of(&w, GROUP).await, None);
    assert!(w.bot_texts(GROUP).last().unwrap().contains("n'est plus relié"));
    // Unlinked, the group's words stay there.
    let before = w.bot_texts(GROUP).len();
    w.fake.user_message(GROUP, PAUL, "Paul", "Je prête ma perceuse");
    w.poll().await;
    w.drain().await;
    assert_eq!(w.bot_texts(GROUP).len(), before);
    w.finish().await;
}

#[tokio::test]
async fn a_kicked_bot_marks_the_group_gone_and_comes_back_when_readded() {
    let mut w = World::new().await.linked().await;
    // Removed from the group, unbeknownst to the daemon: the first send says so.
    w.fake.set_bot_status(GROUP, "kicked");
    for n in 1..=3 {
        w.core
            .ingest(&inbound(CONSOLE_ROOM, &format!("c{n}"), "Léa", &format!("message {n}")))
            .await
            .unwrap();
    }
    w.drain().await;
    let sends_while_kicked = w
        .fake
        .calls_of("sendMessage")
        .iter()
        .filter(|c| c.status == 403)
        .count();
    assert_eq!(sends_while_kicked, 1, "one refusal, then nothing is retried");
    let gone: Option<String> = sqlx::query_scalar("SELECT gone_reason FROM chats WHERE external_id = $1")
        .bind(GROUP.to_string())
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert!(gone.is_some_and(|r| r.contains("kicked")));
    let failed: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE target = $1 AND status = 'failed'")
        .bind(GROUP.to_string())
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(failed, 3, "kept with the reason, not lost silently");
    // While gone, nothing more is queued there.
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "c4", "Léa", "message 4"))
        .await
        .unwrap();
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE target = $1 AND status = 'pending'")
        .bind(GROUP.to_string())
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(queued, 0);

    // Added back: the bot greets the group and relays again.
    w.fake.bot_added(GROUP, ADMIN, "member");
    w.poll().await;
    w.drain().await;
    assert!(
        w.bot_texts(GROUP).iter().any(|t| t.contains("/relier")),
        "{:?}",
        w.bot_texts(GROUP)
    );
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "c5", "Léa", "message 5"))
        .await
        .unwrap();
    w.drain().await;
    assert!(w.bot_texts(GROUP).iter().any(|t| t.ends_with("message 5")));
    w.finish().await;
}
