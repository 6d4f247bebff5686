//! Partner suggestions against a real PostgreSQL, and the click counter over HTTP.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use voisinage::config::PartnersSettings;
use voisinage::core::Channel;
use voisinage::core::Core;
use voisinage::core::model::ChannelKind;
use voisinage::partners::{Partners, suggest_once};
use voisinage::store::link_room;

use crate::helpers::{Recorder, TestDb, core, count, drain, inbound, outbox};

const ROOM: &str = "servan-room";
const DRILL: &str = "Quelqu'un aurait une perceuse à me prêter ?";

fn settings() -> PartnersSettings {
    PartnersSettings {
        enabled: true,
        file: PathBuf::from("config/partners.toml"),
        delay_hours: 24,
        daily_cap: 2,
    }
}

fn hours(h: i64) -> chrono::Duration {
    chrono::Duration::hours(h)
}

/// A database with a console room for Saint-Servan, and its core.
async fn setup() -> (TestDb, Arc<Core>) {
    let db = TestDb::new().await;
    link_room(&db.pool, ChannelKind::Console, ROOM, "saint-servan")
        .await
        .unwrap();
    let core = core(&db.pool);
    (db, core)
}

/// `who` says `text` in the room, as message `native_id`.
async fn say(core: &Core, native_id: &str, who: &str, text: &str) {
    core.ingest(&inbound(ROOM, native_id, who, text)).await.unwrap();
}

async fn suggestions(db: &TestDb) -> Vec<(i64, Option<String>)> {
    sqlx::query_as("SELECT request_id, partner_id FROM partner_suggestions ORDER BY request_id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

async fn partner_deliveries(db: &TestDb) -> Vec<(String, Option<String>, String)> {
    sqlx::query_as(
        "SELECT dedupe_key, payload->>'reply_to', payload->>'kind' FROM deliveries
         WHERE dedupe_key LIKE 'partner:%' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_request_nobody_answered_gets_one_partner_suggestion_after_the_delay() {
    let (db, core) = setup().await;
    let console = Recorder::new(ChannelKind::Console);
    let ob = outbox(&db.pool, vec![console.clone() as Arc<dyn Channel>]);
    say(&core, "r1", "Jeanne", DRILL).await;
    drain(&db.pool, &ob, Duration::from_secs(10)).await;
    let before = console.sent_to(ROOM).len();
    let request: i64 = sqlx::query_scalar("SELECT id FROM posts WHERE direction = 'request'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let now = Utc::now();

    assert_eq!(
        suggest_once(&core, &Partners::example(), &settings(), now + hours(1))
            .await
            .unwrap(),
        0
    );
    assert!(suggestions(&db).await.is_empty(), "too early: nothing recorded");
    assert_eq!(
        suggest_once(&core, &Partners::example(), &settings(), now + hours(25))
            .await
            .unwrap(),
        1
    );
    drain(&db.pool, &ob, Duration::from_secs(10)).await;
    let sent = console.sent_to(ROOM);
    assert_eq!(sent.len(), before + 1, "{sent:#?}");
    let text = sent.last().unwrap();
    assert!(text.contains("Suggestion d'un partenaire"), "{text}");
    assert!(text.contains("Exemple — Outilthèque de quartier"), "{text}");
    assert!(text.contains("perceuse"), "{text}");
    assert!(text.contains("http://127.0.0.1:8080/p/exemple-outiltheque/"), "{text}");
    assert!(!text.contains("rémunéré"), "the tool library is not paid: {text}");
    assert_eq!(
        partner_deliveries(&db).await,
        [(
            format!("partner:{request}"),
            Some("r1".to_owned()),
            "partner".to_owned()
        )],
        "one delivery, as a reply to the request"
    );

    // Again, later, and from a second daemon: nothing more.
    assert_eq!(
        suggest_once(&core, &Partners::example(), &settings(), now + hours(26))
            .await
            .unwrap(),
        0
    );
    let second = crate::helpers::core(&db.pool);
    assert_eq!(
        suggest_once(&second, &Partners::example(), &settings(), now + hours(30))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        suggestions(&db).await,
        [(request, Some("exemple-outiltheque".to_owned()))]
    );
    assert_eq!(partner_deliveries(&db).await.len(), 1);
    drain(&db.pool, &ob, Duration::from_secs(10)).await;
    assert_eq!(console.sent_to(ROOM).len(), before + 1);
    db.finish().await;
}

#[tokio::test]
async fn a_matched_request_gets_no_suggestion_and_an_unfitting_one_is_recorded_without_a_message() {
    let (db, core) = setup().await;
    say(&core, "o1", "Paul", "Je prête ma perceuse").await;
    say(&core, "r1", "Jeanne", DRILL).await;
    assert_eq!(count(&db.pool, "matches").await, 1);
    // Nothing among the example partners is about pets.
    say(&core, "r2", "Léa", "Je cherche quelqu'un pour garder mon chat").await;
    let pets: i64 =
        sqlx::query_scalar("SELECT p.id FROM posts p JOIN messages m ON m.id = p.message_id WHERE m.native_id = 'r2'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let deliveries = count(&db.pool, "deliveries").await;
    let later = Utc::now() + hours(25);
    assert_eq!(
        suggest_once(&core, &Partners::example(), &settings(), later)
            .await
            .unwrap(),
        0
    );
    assert_eq!(suggestions(&db).await, [(pets, None)]);
    assert_eq!(count(&db.pool, "deliveries").await, deliveries);
    // Recorded: not looked at again.
    assert_eq!(
        suggest_once(&core, &Partners::example(), &settings(), later + hours(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(suggestions(&db).await.len(), 1);
    db.finish().await;
}

#[tokio::test]
async fn the_daily_cap_holds_even_with_two_daemons_and_the_rest_comes_later() {
    let (db, core) = setup().await;
    for (n, text) in [
        "Je cherche une perceuse",
        "Je cherche une ponceuse",
        "Je cherche une échelle",
    ]
    .into_iter()
    .enumerate()
    {
        say(&core, &format!("r{n}"), "Jeanne", text).await;
    }
    assert_eq!(count(&db.pool, "posts").await, 3);
    let t: DateTime<Utc> = Utc::now() + hours(25);
    let second = crate::helpers::core(&db.pool);
    let cfg = settings();
    let partners = Partners::example();
    let (a, b) = tokio::join!(
        suggest_once(&core, &partners, &cfg, t),
        suggest_once(&second, &partners, &cfg, t)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 2, "the cap is 2 a day");
    assert_eq!(suggestions(&db).await.len(), 2);
    assert_eq!(
        suggest_once(&core, &Partners::example(), &settings(), t + hours(23))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        suggest_once(
            &core,
            &Partners::example(),
            &settings(),
            t + hours(24) + chrono::Duration::minutes(1)
        )
        .await
        .unwrap(),
        1
    );
    assert_eq!(suggestions(&db).await.len(), 3);
    assert_eq!(partner_deliveries(&db).await.len(), 3);
    db.finish().await;
}

#[tokio::test]
async fn partner_links_count_clicks_and_redirect_and_anything_else_is_a_404() {
    let (db, mut core) = setup().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = format!("http://{}", listener.local_addr().unwrap());
    Arc::get_mut(&mut core).unwrap().links.public_url = http.clone();
    tokio::spawn(
        axum::serve(
            listener,
            voisinage::http::router(core.clone(), Arc::new(Partners::example())),
        )
        .into_future(),
    );
    let console = Recorder::new(ChannelKind::Console);
    let ob = outbox(&db.pool, vec![console.clone() as Arc<dyn Channel>]);
    say(&core, "r1", "Jeanne", DRILL).await;
    assert_eq!(
        suggest_once(&core, &Partners::example(), &settings(), Utc::now() + hours(25))
            .await
            .unwrap(),
        1
    );
    drain(&db.pool, &ob, Duration::from_secs(10)).await;
    let sent = console.sent_to(ROOM);
    let text = sent.last().unwrap();
    let link = text[text.find(&http).expect(text)..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let clicks = || async {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT sum(clicks)::bigint FROM partner_clicks WHERE partner_id = 'exemple-outiltheque'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .unwrap_or(0)
    };
    for expected in [1, 2] {
        let r = client.get(&link).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            r.headers()["location"],
            "https://outiltheque.example.org/catalogue?q=perceuse&quartier=Saint-Servan"
        );
        assert_eq!(clicks().await, expected);
    }
    assert_eq!(
        count(&db.pool, "partner_clicks").await,
        1,
        "one row per partner and day"
    );

    let token = link.rsplit('/').next().unwrap();
    let mut tampered = token.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    for bad in [
        format!("{http}/p/exemple-inconnu/{token}"),
        format!("{http}/p/exemple-outiltheque/{tampered}"),
        format!("{http}/p/exemple-repair-cafe/{token}"),
        format!("{http}/p/exemple-outiltheque/"),
    ] {
        let r = client.get(&bad).send().await.unwrap();
        assert_eq!(r.status(), 404, "{bad}");
        assert!(r.headers().get("location").is_none(), "{bad}");
        let body = r.text().await.unwrap();
        if bad.ends_with(token) || bad.ends_with(&tampered) {
            assert!(body.contains("Lien introuvable"), "{body}");
        }
    }
    assert_eq!(clicks().await, 2);
    assert_eq!(count(&db.pool, "partner_clicks").await, 1);
    // The figure for the municipality, without anything about the people who clicked.
    let metrics = client
        .get(format!("{http}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("voisinage_partner_clicks_total{partner=\"exemple-outiltheque\"} 2"),
        "{metrics}"
    );
    db.finish().await;
}

#[tokio::test]
async fn a_paid_partner_is_marked_as_such() {
    let (db, core) = setup().await;
    say(&core, "r1", "Jeanne", "Je cherche une camionnette pour samedi").await;
    assert_eq!(
        suggest_once(&core, &Partners::example(), &settings(), Utc::now() + hours(25))
            .await
            .unwrap(),
        1
    );
    let text: String = sqlx::query_scalar("SELECT payload->>'text' FROM deliveries WHERE dedupe_key LIKE 'partner:%'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(text.contains("Exemple — Autopartage"), "{text}");
    assert!(text.ends_with("(lien rémunéré)"), "{text}");
    db.finish().await;
}

#[tokio::test]
async fn a_request_older_than_a_week_past_the_delay_gets_no_late_suggestion() {
    let (db, core) = setup().await;
    say(&core, "r1", "Jeanne", DRILL).await;
    let now = chrono::Utc::now();
    // Eight days and a day's delay later (partners switched on late, or a daemon long down).
    let n = suggest_once(&core, &Partners::example(), &settings(), now + hours(24 * 9))
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert!(suggestions(&db).await.is_empty());
    // Within the week it would have had one.
    assert_eq!(
        suggest_once(&core, &Partners::example(), &settings(), now + hours(25))
            .await
            .unwrap(),
        1
    );
    db.finish().await;
}
