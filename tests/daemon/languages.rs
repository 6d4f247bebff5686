//! Members' language: `/langue`, the channel's hint at first contact, and everything the bot
//! tells a member (answers, notices, match notices, reminders) in it, while rooms keep the
//! area's language.

use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::json;
use voisinage::core::Channel;
use voisinage::core::mail::{Mail, Received};
use voisinage::core::model::{ChannelKind, Inbound};
use voisinage::store::link_room;

use crate::helpers::{Recorder, TestDb, core, drain, inbound, outbox};
use crate::telegram::{CONSOLE_ROOM, GROUP, World};

const ROOM: &str = "servan";
const OTHER_ROOM: &str = "-100777";

async fn member_lang(db: &TestDb, name: &str) -> String {
    sqlx::query_scalar("SELECT lang FROM members WHERE display_name = $1")
        .bind(name)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// An area with a console room and a Telegram room, one recorder for what is sent to each.
async fn setup() -> (TestDb, Arc<voisinage::core::Core>, Arc<Recorder>, Arc<Recorder>) {
    let db = TestDb::new().await;
    link_room(&db.pool, ChannelKind::Console, ROOM, "saint-servan")
        .await
        .unwrap();
    link_room(&db.pool, ChannelKind::Telegram, OTHER_ROOM, "saint-servan")
        .await
        .unwrap();
    let core = core(&db.pool);
    let (console, telegram) = (
        Recorder::new(ChannelKind::Console),
        Recorder::new(ChannelKind::Telegram),
    );
    (db, core, console, telegram)
}

/// A message said in the Telegram room.
fn on_telegram(native_id: &str, sender: &str, text: &str) -> Inbound {
    Inbound {
        channel: ChannelKind::Telegram,
        ..inbound(OTHER_ROOM, native_id, sender, text)
    }
}

#[tokio::test]
async fn langue_changes_the_language_of_a_members_answers_and_notices_but_not_the_rooms() {
    let (db, core, console, telegram) = setup().await;
    let ob = outbox(&db.pool, vec![console.clone() as Arc<dyn Channel>, telegram.clone()]);
    core.ingest(&inbound(ROOM, "1", "Ann", "/aide")).await.unwrap();
    core.ingest(&inbound(ROOM, "2", "Ann", "/langue en")).await.unwrap();
    assert_eq!(member_lang(&db, "Ann").await, "en");
    core.ingest(&inbound(ROOM, "3", "Ann", "/aide")).await.unwrap();
    core.ingest(&inbound(ROOM, "4", "Ann", "je prête ma perceuse samedi"))
        .await
        .unwrap();
    core.ingest(&inbound(ROOM, "5", "Ann", "/langue klingon"))
        .await
        .unwrap();
    core.ingest(&inbound(ROOM, "6", "Ann", "/langue fr")).await.unwrap();
    core.ingest(&inbound(ROOM, "7", "Ann", "/mes-annonces")).await.unwrap();
    drain(&db.pool, &ob, std::time::Duration::from_secs(10)).await;
    let here = console.sent_to(ROOM);
    assert!(here[0].contains("Je suis le bot d'entraide"), "{here:?}");
    assert_eq!(here[1], "Noted: I'll answer you in English.");
    assert!(here[2].contains("I'm the neighbourhood mutual-aid bot"), "{here:?}");
    assert!(
        here[3].starts_with("📌 Offer #"),
        "the post notice is in English: {here:?}"
    );
    assert!(here[4].contains("I don't know the language \"klingon\""), "{here:?}");
    assert_eq!(here[5], "C'est noté : je vous répondrai en français.");
    assert!(here[6].contains("annonce"), "back in French: {here:?}");
    // The room's copy of the post stays in the area's language.
    let there = telegram.sent_to(OTHER_ROOM);
    assert_eq!(there.len(), 1, "{there:?}");
    assert!(there[0].starts_with("Ann (console) : "), "{there:?}");
    db.finish().await;
}

#[tokio::test]
async fn the_channels_hint_sets_a_new_members_language_once() {
    let (db, core, console, telegram) = setup().await;
    let ob = outbox(&db.pool, vec![console.clone() as Arc<dyn Channel>, telegram.clone()]);
    let hinted = |id: &str, lang: &str, text: &str| Inbound {
        lang_hint: Some(lang.to_owned()),
        ..inbound(ROOM, id, "Bob", text)
    };
    core.ingest(&hinted("1", "en-GB", "/aide")).await.unwrap();
    assert_eq!(member_lang(&db, "Bob").await, "en");
    // A later hint does not override: the member's own choice (or first hint) counts.
    core.ingest(&hinted("2", "fr", "/aide")).await.unwrap();
    assert_eq!(member_lang(&db, "Bob").await, "en");
    // An unknown language is French.
    core.ingest(&Inbound {
        lang_hint: Some("de".into()),
        ..inbound(ROOM, "3", "Carl", "/aide")
    })
    .await
    .unwrap();
    assert_eq!(member_lang(&db, "Carl").await, "fr");
    drain(&db.pool, &ob, std::time::Duration::from_secs(10)).await;
    let here = console.sent_to(ROOM);
    assert!(here[0].contains("I'm the neighbourhood"), "{here:?}");
    assert!(here[1].contains("I'm the neighbourhood"), "{here:?}");
    assert!(here[2].contains("Je suis le bot"), "{here:?}");
    db.finish().await;
}

#[tokio::test]
async fn each_side_of_a_match_and_each_reminder_is_in_its_members_language() {
    let (db, core, console, telegram) = setup().await;
    let ob = outbox(&db.pool, vec![console.clone() as Arc<dyn Channel>, telegram.clone()]);
    core.ingest(&inbound(ROOM, "1", "Ann", "/langue en")).await.unwrap();
    core.ingest(&inbound(ROOM, "2", "Ann", "Je prête ma perceuse"))
        .await
        .unwrap();
    core.ingest(&on_telegram("3", "Jean", "Quelqu'un aurait une perceuse ?"))
        .await
        .unwrap();
    drain(&db.pool, &ob, std::time::Duration::from_secs(10)).await;
    let ann = console.sent_to(ROOM);
    let jean = telegram.sent_to(OTHER_ROOM);
    assert!(
        ann.iter().any(|t| t.contains("is looking for what you're offering")),
        "Ann hears in English: {ann:?}"
    );
    assert!(
        jean.iter()
            .any(|t| t.contains("Bonne nouvelle") || t.contains("propose")),
        "Jean hears in French: {jean:?}"
    );
    assert!(!jean.iter().any(|t| t.contains("Good news")), "{jean:?}");
    // Four weeks later both posts are about to expire: each author is reminded in their
    // language.
    core.expire_once(Utc::now() + Duration::days(28)).await.unwrap();
    drain(&db.pool, &ob, std::time::Duration::from_secs(10)).await;
    let ann = console.sent_to(ROOM);
    let jean = telegram.sent_to(OTHER_ROOM);
    assert!(ann.last().unwrap().contains("will be removed on"), "{ann:?}");
    assert!(!jean.last().unwrap().contains("will be removed"), "{jean:?}");
    db.finish().await;
}

#[tokio::test]
async fn a_telegram_users_language_code_sets_their_language_and_the_room_copy_stays_french() {
    let mut w = World::new().await.linked().await;
    w.fake.push_update(json!({"message": {
        "message_id": 77, "date": 1_800_000_000,
        "chat": {"id": GROUP, "type": "supergroup"},
        "from": {"id": 4242, "is_bot": false, "first_name": "Mary", "language_code": "en"},
        "text": "Je donne une poussette"}}));
    w.poll().await;
    w.drain().await;
    let lang: String = sqlx::query_scalar("SELECT lang FROM members WHERE display_name = 'Mary'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(lang, "en");
    let said = w.bot_texts(GROUP);
    assert!(
        said.iter().any(|t| t.starts_with("📌 Offer #")),
        "an English notice in the group: {said:?}"
    );
    assert!(!said.iter().any(|t| t.contains("notée")), "{said:?}");
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM),
        vec!["Mary (Telegram) : Je donne une poussette".to_owned()]
    );
    w.finish().await;
}

#[tokio::test]
async fn a_stranger_writing_in_english_is_answered_in_english() {
    let (db, core, _, _) = setup().await;
    let mail = |native_id: &str, subject: &str, lang_hint: Option<&str>| Mail {
        from: format!("{native_id}@example.org"),
        name: "Someone".into(),
        native_id: native_id.into(),
        subject: subject.into(),
        text: "Hello".into(),
        sent_at: Utc::now(),
        plus_tokens: vec![],
        lang_hint: lang_hint.map(str::to_owned),
        ..Default::default()
    };
    let got = core
        .receive_mail(&mail("a", "subscribe saint-servan weekly", None))
        .await
        .unwrap();
    assert_eq!(got, Received::Stranger);
    core.receive_mail(&mail("b", "Bonjour", Some("en-US"))).await.unwrap();
    core.receive_mail(&mail("c", "inscription saint-servan", Some("fr")))
        .await
        .unwrap();
    let queued: Vec<(String, serde_json::Value)> =
        sqlx::query_as("SELECT target, payload FROM deliveries WHERE channel = 'email' ORDER BY target")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(queued.len(), 3, "{queued:?}");
    assert_eq!(queued[0].1["lang"], "en");
    assert!(
        queued[0].1["subject"].as_str().unwrap().starts_with("Please confirm"),
        "{queued:?}"
    );
    assert_eq!(queued[1].1["lang"], "en");
    assert!(!queued[1].1["text"].as_str().unwrap().contains("Bonjour"), "{queued:?}");
    assert_eq!(queued[2].1["lang"], "fr");
    assert!(
        queued[2].1["subject"].as_str().unwrap().starts_with("Confirm"),
        "{queued:?}"
    );
    db.finish().await;
}
