//! Bad input from Telegram: missing fields, unknown kinds, type errors, no update_id, very
//! long messages, injection attempts, and the webhook's secret. A clear answer or a kept
//! record, never a crash, never a lost message.

use std::sync::Arc;

use serde_json::json;
use voisinage::channels::telegram::{Telegram, webhook_router};
use voisinage::config::TelegramMode;

use super::{CONSOLE_ROOM, GROUP, PAUL, World};
use crate::helpers::inbound;

async fn dead_letters(w: &World) -> Vec<String> {
    sqlx::query_scalar("SELECT error FROM dead_letters ORDER BY id")
        .fetch_all(&w.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_and_unknown_updates_are_kept_or_skipped_and_the_rest_goes_on() {
    let mut w = World::new().await.linked().await;
    // A message without `from` nor `date` still says something: it is kept and relayed.
    w.fake.push_update(
        json!({"message": {"message_id": 900, "chat": {"id": GROUP, "type": "supergroup"},
                                           "text": "sans expéditeur"}}),
    );
    // No chat: nothing to attach it to; kept aside with the reason.
    w.fake
        .push_update(json!({"message": {"message_id": 901, "text": "sans chat"}}));
    // A text that is not text.
    w.fake
        .push_update(json!({"message": {"message_id": 902, "chat": {"id": GROUP}, "text": 42}}));
    // Kinds the daemon does not use.
    w.fake.push_update(json!({"poll": {"id": "p", "question": "?"}}));
    w.fake.push_update(json!({"some_future_kind": {"x": 1}}));
    // No update_id at all.
    w.fake
        .push_raw_update(json!({"message": {"message_id": 903, "chat": {"id": GROUP}, "text": "sans id"}}));
    // A sticker: nothing to read.
    w.fake.push_update(
        json!({"message": {"message_id": 904, "chat": {"id": GROUP, "type": "supergroup"},
                                           "from": {"id": PAUL, "is_bot": false, "first_name": "Paul"},
                                           "date": 1, "sticker": {"file_id": "s"}}}),
    );
    // And a normal message after all that.
    w.fake.user_message(GROUP, PAUL, "Paul", "toujours là");
    let mut handled = 0;
    for _ in 0..3 {
        handled += w.poll().await;
    }
    assert_eq!(handled, 7, "every update with an id was handled and confirmed");
    w.drain().await;
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM),
        vec![
            "Voisin (Telegram) : sans expéditeur".to_owned(),
            "Paul (Telegram) : toujours là".to_owned()
        ]
    );
    let kept = dead_letters(&w).await;
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(kept[0].contains("without chat"), "{kept:?}");
    assert!(kept[1].contains("unreadable update"), "{kept:?}");
    assert!(kept[2].contains("without update_id"), "{kept:?}");
    w.finish().await;
}

#[tokio::test]
async fn long_messages_arrive_whole_and_injections_arrive_as_text() {
    let mut w = World::new().await.linked().await;
    // 10,000 characters from Telegram: stored and relayed whole.
    let long = "Je prête ma perceuse. ".repeat(455);
    assert!(long.chars().count() >= 10_000);
    w.fake.user_message(GROUP, PAUL, "Paul", &long);
    w.poll().await;
    w.drain().await;
    let relayed = w.console.sent_to(CONSOLE_ROOM);
    assert_eq!(relayed, vec![format!("Paul (Telegram) : {long}")]);

    // 10,000 characters into Telegram: split under 4,096, nothing lost, in order.
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "long", "Léa", &long))
        .await
        .unwrap();
    w.drain().await;
    let parts: Vec<String> = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .map(|m| m.text)
        .skip_while(|t| !t.starts_with("Léa"))
        .collect();
    assert_eq!(
        parts.len(),
        3,
        "{:?}",
        parts.iter().map(|p| p.len()).collect::<Vec<_>>()
    );
    assert!(parts.iter().all(|p| p.encode_utf16().count() <= 4096));
    let joined = parts.join(" ");
    assert_eq!(
        joined.split_whitespace().collect::<Vec<_>>(),
        format!("Léa (console) : {long}").split_whitespace().collect::<Vec<_>>()
    );

    // Telegram HTML and Markdown from a neighbour's name and words stay words.
    for (n, text) in [
        "</b><a href=\"javascript:alert(1)\">x</a>",
        "*gras* _penché_ `code` [lien](tg://user?id=1) &amp; &lt;",
        "<script>alert('x')</script> <tg-spoiler>s</tg-spoiler>",
    ]
    .into_iter()
    .enumerate()
    {
        w.core
            .ingest(&inbound(CONSOLE_ROOM, &format!("inj{n}"), "<b>Eve</b>", text))
            .await
            .unwrap();
        w.drain().await;
        let copy = w.fake.bot_sent(GROUP).pop().unwrap();
        assert_eq!(copy.text, format!("<b>Eve</b> (console) : {text}"));
    }
    w.finish().await;
}

#[tokio::test]
async fn the_webhook_checks_its_secret_and_hands_updates_to_the_core() {
    let mut w = World::new().await.linked().await;
    let mut s = super::settings(&w.fake);
    s.mode = TelegramMode::Webhook;
    s.webhook_url = Some("https://voisinage.example.org/telegram/webhook".into());
    s.webhook_secret = Some(secrecy::SecretString::from("s3cret-Token_1".to_owned()));
    let tg: Arc<Telegram> = Telegram::new(&s).unwrap();
    tg.configure_delivery().await.unwrap();
    assert_eq!(
        w.fake.webhook(),
        (s.webhook_url.clone().unwrap(), Some("s3cret-Token_1".to_owned()))
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = webhook_router(tg, w.core.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let url = format!("http://{addr}/telegram/webhook");
    let client = reqwest::Client::new();
    let update = json!({"update_id": 5000, "message": {"message_id": 77, "date": 1_780_000_000,
        "chat": {"id": GROUP, "type": "supergroup"}, "from": {"id": PAUL, "is_bot": false, "first_name": "Paul"},
        "text": "Je donne un canapé"}});
    for secret in [None, Some("wrong")] {
        let mut req = client.post(&url).json(&update);
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        assert_eq!(req.send().await.unwrap().status(), 401);
    }
    let ok = |body: serde_json::Value| {
        client
            .post(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-Token_1")
            .json(&body)
            .send()
    };
    assert_eq!(ok(update.clone()).await.unwrap().status(), 200);
    // Telegram sends it again: nothing changes.
    assert_eq!(ok(update).await.unwrap().status(), 200);
    let garbage = client
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-Token_1")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 200, "kept aside, not asked again");
    w.drain().await;
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM),
        vec!["Paul (Telegram) : Je donne un canapé".to_owned()]
    );
    assert_eq!(dead_letters(&w).await.len(), 1);
    // While a webhook is set, Telegram refuses getUpdates: the poller reports it.
    assert!(w.poller.poll_once(0).await.is_err());
    w.finish().await;
}
