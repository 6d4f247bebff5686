//! Municipal polls (issue 18): one poll in the Telegram groups (Bot API fake), the Matrix rooms
//! (Synapse) and by email, with one tally keyed by member; closing posts the results once in
//! each room; the public results page, looked at with headless Chromium.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use voisinage::channels::matrix::{Matrix, Syncer};
use voisinage::channels::telegram::{Poller, Telegram};
use voisinage::core::Channel;
use voisinage::core::Core;
use voisinage::core::model::ChannelKind;
use voisinage::core::outbox::Outbox;
use voisinage::core::polls::{Figures, PollDraft, PollError};
use voisinage::municipal::{CommuneSettings, MuniState, Settings};
use voisinage::store::polls;

use crate::botapi::FakeBotApi;
use crate::helpers::{Recorder, TestDb, core, drain, outbox, root};
use crate::matrix::{Neighbour, Synapse, unique};

const SERVAN_GROUP: i64 = -1001;
const ROCABEY_GROUP: i64 = -1002;
const JEANNE_TG: i64 = 21;
const PAUL_TG: i64 = 22;

struct World {
    fake: FakeBotApi,
    db: TestDb,
    core: Arc<Core>,
    email: Arc<Recorder>,
    outbox: Outbox,
    poller: Poller,
    syncer: Syncer,
    mx: Arc<Matrix>,
    data_dir: std::path::PathBuf,
}

impl World {
    async fn new(hs: &Synapse) -> World {
        let fake = FakeBotApi::start(crate::telegram::TOKEN).await;
        let db = TestDb::new().await;
        let core = core(&db.pool);
        let tg = Telegram::new(&crate::telegram::settings(&fake)).unwrap();
        let bot = hs.register(&unique("bot"));
        let prefix = format!("{}-", unique("p"));
        let data_dir = root().join(format!("target/peers/data-{prefix}"));
        let mx = Matrix::new(&crate::matrix::settings(hs, &bot, &prefix), &data_dir).unwrap();
        let email = Recorder::new(ChannelKind::Email);
        let channels: Vec<Arc<dyn Channel>> = vec![tg.clone(), mx.clone(), email.clone()];
        let outbox = outbox(&db.pool, channels);
        for (group, area) in [(SERVAN_GROUP, "saint-servan"), (ROCABEY_GROUP, "rocabey")] {
            fake.add_chat(group, "supergroup", area);
            fake.set_bot_status(group, "administrator");
            voisinage::store::link_room(&db.pool, ChannelKind::Telegram, &group.to_string(), area)
                .await
                .unwrap();
        }
        let poller = Poller::new(tg, core.clone());
        let syncer = Syncer::new(mx.clone(), core.clone());
        World {
            fake,
            db,
            core,
            email,
            outbox,
            poller,
            syncer,
            mx,
            data_dir,
        }
    }

    async fn exchange(&mut self) {
        self.poller.poll_once(0).await.unwrap();
        self.syncer.sync_once(Duration::ZERO).await.unwrap();
        drain(&self.db.pool, &self.outbox, Duration::from_secs(60)).await;
    }

    async fn room_of(&self, area: &str) -> String {
        voisinage::store::chats::room_of_area(&self.db.pool, ChannelKind::Matrix, area)
            .await
            .unwrap()
            .expect("the area's Matrix room")
    }

    async fn tally(&self, poll: i64) -> Figures {
        let rows = polls::counts(&self.db.pool, poll).await.unwrap();
        Figures::from_counts(3, &rows)
    }

    fn state(&self) -> MuniState {
        MuniState {
            core: self.core.clone(),
            settings: Arc::new(Settings {
                communes: vec![CommuneSettings {
                    name: "Saint-Malo".into(),
                    slug: "saint-malo".into(),
                    staff: vec![],
                    contact_email: None,
                }],
                report_k: 5,
            }),
        }
    }
}

async fn subscribe(pool: &sqlx::PgPool, address: &str, area: &str, member: Option<i64>) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO email_subscriptions (address, area_slug, member_id, rhythm, lang) VALUES ($1, $2, $3, 'weekly', 'fr')
         RETURNING id",
    )
    .bind(address)
    .bind(area)
    .bind(member)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// One member with three linked identities (Telegram, Matrix, email).
async fn linked_member(pool: &sqlx::PgPool, matrix_user: &str) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO members (display_name, area_slug) VALUES ('Jeanne', 'saint-servan') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    for (channel, external) in [
        ("telegram", JEANNE_TG.to_string()),
        ("matrix", matrix_user.to_owned()),
        ("email", "jeanne@example.org".to_owned()),
    ] {
        sqlx::query("INSERT INTO identities (member_id, channel, external_id) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(channel)
            .bind(external)
            .execute(pool)
            .await
            .unwrap();
    }
    id
}

fn draft(closes_in: chrono::Duration) -> PollDraft {
    PollDraft {
        commune: "Saint-Malo".into(),
        commune_slug: "saint-malo".into(),
        question: "Quel jour pour le marché de Noël ?".into(),
        options: vec!["Samedi".into(), "Dimanche".into(), "Les deux".into()],
        multiple: false,
        areas: vec!["saint-servan".into(), "rocabey".into()],
        closes_at: Utc::now() + closes_in,
        created_by: "mairie@saint-malo.fr".into(),
    }
}

/// The link of `option` in the poll mail sent to `address`, pointed at `server`.
fn vote_link(email: &Recorder, address: &str, option: &str, server: &str) -> String {
    let mail = email.sent_to(address).into_iter().next().expect("a poll mail");
    let line = mail
        .lines()
        .find(|l| l.starts_with(&format!("- {option} : ")))
        .expect("a link per option");
    let url = line.rsplit(' ').next().unwrap();
    url.replace("http://127.0.0.1:8080", server)
}

async fn serve(state: MuniState) -> String {
    let app = voisinage::municipal::polls::router().with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// POSTs the vote of a link (what its page's button sends); returns the status.
async fn vote_by_email(link: &str, option: usize) -> reqwest::StatusCode {
    let page = reqwest::get(link).await.unwrap();
    assert_eq!(page.status(), 200, "the link shows the choice");
    let html = page.text().await.unwrap();
    assert!(html.contains("<button type=\"submit\">Voter</button>"), "{html}");
    reqwest::Client::new()
        .post(link)
        .form(&[(format!("o{option}"), "1")])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_poll_counts_one_vote_per_member_across_channels_and_closes_once() {
    let hs = Synapse::shared();
    let mut w = World::new(hs).await;
    w.exchange().await; // the Matrix rooms of the areas
    let servan = w.room_of("saint-servan").await;
    let jeanne_mx = Neighbour::login(hs, &unique("jeanne")).await;
    let marc_mx = Neighbour::login(hs, &unique("marc")).await;
    jeanne_mx.join(&servan).await;
    marc_mx.join(&servan).await;
    let jeanne = linked_member(&w.db.pool, &jeanne_mx.user_id).await;
    subscribe(&w.db.pool, "jeanne@example.org", "saint-servan", Some(jeanne)).await;
    subscribe(&w.db.pool, "lise@example.org", "rocabey", None).await;
    let server = serve(w.state()).await;

    // Bad input says why and creates nothing.
    let mut bad = draft(chrono::Duration::hours(1));
    bad.options.truncate(1);
    assert_eq!(
        w.core.create_poll(&bad, None, Utc::now()).await.unwrap(),
        Err(PollError::Options)
    );
    bad = draft(chrono::Duration::hours(1));
    bad.areas.push("dinard".into());
    assert!(matches!(
        w.core.create_poll(&bad, None, Utc::now()).await.unwrap(),
        Err(PollError::ForeignArea(_))
    ));

    let d = draft(chrono::Duration::hours(1));
    let poll = w.core.create_poll(&d, None, Utc::now()).await.unwrap().unwrap();
    w.exchange().await;

    // A native, non-anonymous poll in each group, a Matrix poll with its fallback, one mail each.
    for group in [SERVAN_GROUP, ROCABEY_GROUP] {
        let polls = w.fake.polls(group);
        assert_eq!(polls.len(), 1, "one poll in {group}");
        assert_eq!(
            polls[0]["question"],
            "📢 Mairie de Saint-Malo : Quel jour pour le marché de Noël ?"
        );
        assert_eq!(polls[0]["is_anonymous"], false);
        assert_eq!(polls[0]["options"].as_array().unwrap().len(), 3);
    }
    let start = jeanne_mx
        .messages(&servan)
        .await
        .into_iter()
        .find(|e| e["type"] == "org.matrix.msc3381.poll.start")
        .expect("a Matrix poll");
    assert_eq!(
        start["content"]["org.matrix.msc3381.poll.start"]["answers"][2]["org.matrix.msc1767.text"],
        "Les deux"
    );
    assert!(
        start["content"]["org.matrix.msc1767.text"]
            .as_str()
            .unwrap()
            .contains("3. Les deux")
    );
    let start_id = start["event_id"].as_str().unwrap().to_owned();
    assert_eq!(w.email.sent_to("jeanne@example.org").len(), 1);
    assert_eq!(w.email.sent_to("lise@example.org").len(), 1);

    // Jeanne: Telegram "Samedi", then Matrix "Dimanche", then email "Les deux": one vote, the last.
    let servan_poll = w.fake.polls(SERVAN_GROUP)[0]["id"].as_str().unwrap().to_owned();
    w.fake.poll_answer(&servan_poll, JEANNE_TG, "Jeanne", &[0]).unwrap();
    w.exchange().await;
    assert_eq!(
        w.tally(poll).await,
        Figures {
            voters: 1,
            votes: vec![1, 0, 0]
        }
    );
    let response = |answer: &str| {
        json!({"m.relates_to": {"rel_type": "m.reference", "event_id": start_id},
               "org.matrix.msc3381.poll.response": {"answers": [answer]}})
    };
    jeanne_mx
        .send(&servan, "org.matrix.msc3381.poll.response", response("1"))
        .await;
    w.exchange().await;
    assert_eq!(
        w.tally(poll).await,
        Figures {
            voters: 1,
            votes: vec![0, 1, 0]
        }
    );
    let link = vote_link(&w.email, "jeanne@example.org", "Les deux", &server);
    assert_eq!(vote_by_email(&link, 2).await, 200);
    assert_eq!(
        w.tally(poll).await,
        Figures {
            voters: 1,
            votes: vec![0, 0, 1]
        }
    );

    // Three other people, one per channel: three more votes.
    w.fake.poll_answer(&servan_poll, PAUL_TG, "Paul", &[0]).unwrap();
    marc_mx
        .send(&servan, "org.matrix.msc3381.poll.response", response("1"))
        .await;
    w.exchange().await;
    let link = vote_link(&w.email, "lise@example.org", "Dimanche", &server);
    assert_eq!(vote_by_email(&link, 1).await, 200);
    assert_eq!(
        w.tally(poll).await,
        Figures {
            voters: 4,
            votes: vec![1, 2, 1]
        }
    );
    // Per area: Lise voted as a subscriber of Rocabey.
    let rows = polls::counts(&w.db.pool, poll).await.unwrap();
    assert_eq!(
        Figures::of_area(3, &rows, "rocabey"),
        Figures {
            voters: 1,
            votes: vec![0, 1, 0]
        }
    );
    // A vote is no message: nothing was relayed or parsed.
    assert_eq!(crate::helpers::count(&w.db.pool, "messages").await, 0);
    assert_eq!(crate::helpers::count(&w.db.pool, "posts").await, 0);

    // Paul takes his vote back on Telegram.
    w.fake.poll_answer(&servan_poll, PAUL_TG, "Paul", &[]).unwrap();
    w.exchange().await;
    assert_eq!(
        w.tally(poll).await,
        Figures {
            voters: 3,
            votes: vec![0, 2, 1]
        }
    );

    // Closing: once, whoever runs it and however often.
    let after = d.closes_at + chrono::Duration::seconds(1);
    assert_eq!(
        w.core
            .polls_close_once(d.closes_at - chrono::Duration::seconds(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(w.core.polls_close_once(after).await.unwrap(), 1);
    assert_eq!(w.core.polls_close_once(after).await.unwrap(), 0);
    w.exchange().await;
    assert_eq!(w.core.polls_close_once(after).await.unwrap(), 0);
    w.exchange().await;
    for group in [SERVAN_GROUP, ROCABEY_GROUP] {
        assert_eq!(w.fake.polls(group)[0]["is_closed"], true, "stopped in {group}");
        let results: Vec<String> = w
            .fake
            .bot_sent(group)
            .into_iter()
            .map(|m| m.text)
            .filter(|t| t.contains("résultats du sondage"))
            .collect();
        assert_eq!(results.len(), 1, "{results:?}");
        assert!(results[0].contains("(3 votants)"), "{}", results[0]);
        assert!(results[0].contains("Dimanche : 2 (67 %)"), "{}", results[0]);
        assert!(results[0].contains("/communes/saint-malo/sondages/"), "{}", results[0]);
    }
    let events = jeanne_mx.messages(&servan).await;
    let bot = w.mx.user_id().to_owned();
    let said: Vec<&str> = events
        .iter()
        .filter(|e| e["sender"] == bot && e["type"] == "m.room.message")
        .filter_map(|e| e["content"]["body"].as_str())
        .filter(|b| b.contains("résultats du sondage"))
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "org.matrix.msc3381.poll.end")
            .count(),
        1
    );

    // After closing: Telegram takes no answer, the email link says it is closed.
    assert!(w.fake.poll_answer(&servan_poll, PAUL_TG, "Paul", &[1]).is_none());
    jeanne_mx
        .send(&servan, "org.matrix.msc3381.poll.response", response("0"))
        .await;
    w.exchange().await;
    let link = vote_link(&w.email, "jeanne@example.org", "Samedi", &server);
    let closed = reqwest::get(&link).await.unwrap();
    assert_eq!(closed.status(), 410);
    assert!(closed.text().await.unwrap().contains("Ce sondage est clos"));
    assert_eq!(
        w.tally(poll).await,
        Figures {
            voters: 3,
            votes: vec![0, 2, 1]
        }
    );

    // The public results page: figures only, a chart, a table; and what it looks like.
    let page = reqwest::get(format!("{server}/communes/saint-malo/sondages/{poll}"))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for needed in [
        "<svg role=\"img\"",
        "<title id=\"t-all\">",
        "<table>",
        "Rocabey",
        "3 votants",
    ] {
        assert!(html.contains(needed), "{needed} in {html}");
    }
    assert!(!html.contains("Jeanne") && !html.contains("example.org"));
    let list = reqwest::get(format!("{server}/communes/saint-malo/sondages"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("/communes/saint-malo/sondages/{poll}")));
    screenshot(
        &format!("{server}/communes/saint-malo/sondages/{poll}"),
        "municipal-poll-results.png",
    )
    .await;

    w.poller.release().await;
    w.syncer.release().await;
    w.db.finish().await;
    let _ = std::fs::remove_dir_all(&w.data_dir);
}

/// Renders `url` with headless Chromium into target/`name` (a phone-sized window).
pub(crate) async fn screenshot(url: &str, name: &str) {
    let out = root().join("target").join(name);
    let profile = root().join(format!("target/chromium-profile-{}", std::process::id()));
    let status = tokio::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            // The pages are French first: a French browser, whatever the machine's locale.
            "--lang=fr-FR",
            "--accept-lang=fr-FR,fr",
            &format!("--user-data-dir={}", profile.display()),
            "--window-size=480,1800",
            &format!("--screenshot={}", out.display()),
            url,
        ])
        .output()
        .await
        .expect("chromium runs (apt-get install chromium)");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    assert!(out.exists());
    let _ = std::fs::remove_dir_all(profile);
}

/// /mes-donnees holds a member's votes (the question and the answers chosen); /oublier keeps
/// the vote in the tally, counted for a member with no name, identity or address left.
#[tokio::test]
async fn the_export_shows_a_members_votes_and_forgetting_keeps_a_nameless_count() {
    let db = TestDb::new().await;
    let core = core(&db.pool);
    let mut d = draft(chrono::Duration::hours(1));
    d.multiple = true;
    let poll = core.create_poll(&d, None, Utc::now()).await.unwrap().unwrap();
    let jeanne = linked_member(&db.pool, "@jeanne:example.org").await;
    let sub = subscribe(&db.pool, "jeanne@example.org", "saint-servan", Some(jeanne)).await;
    assert_eq!(
        core.poll_vote_by_email(poll, sub, &[0, 2], Utc::now()).await.unwrap(),
        voisinage::core::polls::VoteOutcome::Counted
    );
    let export = voisinage::store::privacy::export(&db.pool, jeanne).await.unwrap();
    let votes = export["poll_votes"].as_array().unwrap();
    assert_eq!(votes.len(), 1, "{export}");
    assert_eq!(votes[0]["question"], "Quel jour pour le marché de Noël ?");
    assert_eq!(votes[0]["choices"], json!(["Samedi", "Les deux"]));
    assert_eq!(votes[0]["channel"], "email");

    let mut tx = db.pool.begin().await.unwrap();
    let mut queue = Vec::new();
    core.erase_member(&mut tx, jeanne, Utc::now(), &mut queue)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let tally = Figures::from_counts(3, &polls::counts(&db.pool, poll).await.unwrap());
    assert_eq!(
        tally,
        Figures {
            voters: 1,
            votes: vec![1, 0, 1]
        },
        "the vote still counts"
    );
    let (name, identities): (String, i64) = sqlx::query_as(
        "SELECT m.display_name, (SELECT count(*) FROM identities WHERE member_id = m.id) FROM members m WHERE m.id = $1",
    )
    .bind(jeanne)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_ne!(name, "Jeanne");
    assert_eq!(identities, 0);
    let export = voisinage::store::privacy::export(&db.pool, jeanne).await.unwrap();
    assert_eq!(export["identities"], json!([]));
    db.finish().await;
}
