//! A digest in each reader's language: one email per language its subscribers read (each
//! subscriber gets theirs, once), the room summary in the area's language.

use std::sync::Arc;

use mail_parser::MessageParser;
use voisinage::areas::{Areas, EXAMPLE_GEOJSON};
use voisinage::core::Core;
use voisinage::digest::Digester;
use voisinage::partners::Partners;

use super::{CONSOLE_ROOM, World, next_weekly_slot, recipients, settings, summaries};

/// Fixed French words of a digest email (headings, greeting, footer, punctuation).
const FRENCH: [&str; 8] = [
    "Bonjour",
    "Proposé par",
    "Recherché par",
    "Pour répondre",
    "désinscri",
    "la semaine",
    "novembre",
    " :",
];

/// The subject and plain text of the one email the sink received for `to`.
fn mail_to(w: &World, to: &str) -> (String, String) {
    let raws = w.sink.messages();
    let mails: Vec<_> = raws
        .iter()
        .map(|raw| MessageParser::default().parse(raw).unwrap())
        .filter(|m| m.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some(to))
        .collect();
    assert_eq!(mails.len(), 1, "{to} got {} emails", mails.len());
    let mail = &mails[0];
    let text = format!("{}\n{}", mail.body_text(0).unwrap(), mail.body_html(0).unwrap());
    (mail.subject().unwrap().to_owned(), text)
}

#[tokio::test]
async fn each_subscriber_gets_the_digest_once_in_their_language() {
    let w = World::new("digest-languages").await;
    w.a_week().await;
    sqlx::query("UPDATE email_subscriptions SET lang = 'en' WHERE address = 'luc@exemple.fr'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let slot = next_weekly_slot();
    let round = w.digester.run_once(slot + chrono::Duration::seconds(20)).await.unwrap();
    // Two weekly subscribers (one French, one English), the console room, the Telegram group.
    assert_eq!((round.queued, round.deliveries), (1, 4), "{round:?}");
    // One body per language, whatever the number of subscribers.
    let langs: Vec<String> = sqlx::query_scalar("SELECT lang FROM digest_bodies ORDER BY lang")
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(langs, vec!["en", "fr"]);
    w.drain().await;

    let (subject, fr) = mail_to(&w, "marie@exemple.fr");
    assert!(
        subject.starts_with("Voisinage Saint-Servan : la semaine jusqu'au"),
        "{subject}"
    );
    for needle in [
        "Proposé par vos voisins",
        "Bricolage :",
        "perceuse — Jeanne",
        "Se désinscrire",
    ] {
        assert!(fr.contains(needle), "{needle:?} missing in:\n{fr}");
    }
    let (subject, en) = mail_to(&w, "luc@exemple.fr");
    assert!(subject.starts_with("Voisinage Saint-Servan: the week to"), "{subject}");
    for needle in [
        "Hello! Here is the week in the Saint-Servan neighbourhood",
        "Offered by your neighbours",
        "DIY:",
        "Sought by your neighbours",
        "perceuse — Jeanne",
        "To answer: write to voisinage+r",
        "To unsubscribe, open this link:",
    ] {
        assert!(en.contains(needle), "{needle:?} missing in:\n{en}");
    }
    for french in FRENCH {
        assert!(!en.contains(french), "French {french:?} in the English digest:\n{en}");
    }
    // The rooms of this French area get the French summary.
    assert!(summaries(&w.fake)[0].starts_with("📰 Cette semaine à Saint-Servan :"));

    // A rerun and another daemon send nothing more.
    let again = w.digester.run_once(slot + chrono::Duration::seconds(50)).await.unwrap();
    let other = w
        .second_daemon()
        .run_once(slot + chrono::Duration::seconds(80))
        .await
        .unwrap();
    assert_eq!((again.queued, other.queued), (0, 0));
    w.drain().await;
    assert_eq!(recipients(&w.sink), vec!["luc@exemple.fr", "marie@exemple.fr"]);
    assert_eq!(summaries(&w.fake).len(), 1);
    w.finish().await;
}

#[tokio::test]
async fn a_delivery_queued_before_languages_gets_the_french_body() {
    let w = World::new("digest-old-payload").await;
    w.a_week().await;
    let slot = next_weekly_slot();
    w.digester.run_once(slot).await.unwrap();
    // What an older daemon queued: no language in the payload.
    sqlx::query(
        "INSERT INTO deliveries (channel, target, payload, dedupe_key)
         SELECT 'email', 'ancien@exemple.fr', jsonb_build_object('kind', 'digest', 'text', '', 'digest', id), 'old'
         FROM digests WHERE area_slug = 'saint-servan' AND status = 'queued'",
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    w.drain().await;
    let (subject, text) = mail_to(&w, "ancien@exemple.fr");
    assert!(subject.starts_with("Voisinage Saint-Servan : la semaine"), "{subject}");
    assert!(text.contains("Proposé par vos voisins"), "{text}");
    w.finish().await;
}

/// The example areas with Saint-Servan's rooms in English.
fn english_saint_servan() -> Arc<Areas> {
    let mut geo: serde_json::Value = serde_json::from_str(EXAMPLE_GEOJSON).unwrap();
    for f in geo["features"].as_array_mut().unwrap() {
        if f["properties"]["slug"] == "saint-servan" {
            f["properties"]["lang"] = "en".into();
        }
    }
    Arc::new(Areas::from_geojson("english-saint-servan", &geo.to_string()).unwrap())
}

#[tokio::test]
async fn the_room_summary_is_in_the_area_language() {
    let w = World::new("digest-room-lang").await;
    w.a_week().await;
    let core = Arc::new(Core::with_defaults(w.db.pool.clone(), english_saint_servan()));
    let digester = Digester::new(core, Arc::new(Partners::example()), &settings()).unwrap();
    let round = digester.run_once(next_weekly_slot()).await.unwrap();
    assert_eq!((round.queued, round.deliveries), (1, 4), "{round:?}");
    w.drain().await;
    let group = summaries(&w.fake);
    assert_eq!(group.len(), 1, "{group:?}");
    assert!(
        group[0].starts_with("📰 This week in Saint-Servan: 1 offer, 1 request"),
        "{}",
        group[0]
    );
    assert!(group[0].contains("New: perceuse, échelle."), "{}", group[0]);
    let console = w.console.sent_to(CONSOLE_ROOM);
    assert!(console[0].starts_with("📰 This week in Saint-Servan:"), "{console:?}");
    // Its subscribers read French: their email stays French.
    let (subject, _) = mail_to(&w, "marie@exemple.fr");
    assert!(subject.contains("la semaine"), "{subject}");
    w.finish().await;
}
