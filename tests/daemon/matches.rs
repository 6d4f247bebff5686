//! A request meets an offer across channels: each person is told once, where they posted, and
//! can close their post with /fini in reply to that notice.

use crate::helpers::inbound;
use crate::telegram::{CONSOLE_ROOM, GROUP, PAUL, World};

#[tokio::test]
async fn a_match_tells_both_people_once_and_fini_on_the_notice_closes_the_post() {
    let mut w = World::new().await.linked().await;
    let (_, offer_msg) = w
        .fake
        .user_message(GROUP, PAUL, "Paul", "Je prête mon échelle ce week-end");
    w.poll().await;
    w.drain().await;
    let request = inbound(
        CONSOLE_ROOM,
        "c1",
        "Jeanne",
        "Quelqu'un aurait une échelle à me prêter ?",
    );
    w.core.ingest(&request).await.unwrap();
    w.drain().await;
    // Delivered again (a replay): no second notice.
    w.core.ingest(&request).await.unwrap();
    w.drain().await;

    let to_jeanne: Vec<String> = w
        .console
        .sent_to(CONSOLE_ROOM)
        .into_iter()
        .filter(|t| t.starts_with("🤝"))
        .collect();
    assert_eq!(to_jeanne.len(), 1, "{to_jeanne:?}");
    assert!(
        to_jeanne[0].contains("Paul (Telegram) propose ce que vous cherchez : échelle"),
        "{}",
        to_jeanne[0]
    );
    let to_paul: Vec<_> = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .filter(|m| m.text.starts_with("🤝"))
        .collect();
    assert_eq!(to_paul.len(), 1, "{to_paul:?}");
    assert!(
        to_paul[0].text.contains("Jeanne (console) cherche justement"),
        "{}",
        to_paul[0].text
    );
    // As a reply to Paul's own message.
    assert_eq!(to_paul[0].reply_to, Some(offer_msg));

    // Paul answers /fini to the notice: his offer closes, and is no longer matched.
    w.fake.user_reply(GROUP, PAUL, "Paul", "/fini", to_paul[0].message_id);
    w.poll().await;
    w.drain().await;
    let status: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT direction, status, closed_reason FROM posts ORDER BY id")
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(
        status,
        vec![
            ("offer".into(), "closed".into(), Some("done".into())),
            ("request".into(), "open".into(), None)
        ]
    );
    assert!(
        w.bot_texts(GROUP).last().unwrap().contains("échelle"),
        "{:?}",
        w.bot_texts(GROUP)
    );
    w.finish().await;
}
