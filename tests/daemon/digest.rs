//! Scheduled digests, driven by a clock the tests hold (the scheduler's steps take `now`):
//! a weekly digest reaches its email subscribers (a real SMTP server) and the area's rooms
//! (the Telegram Bot API fake and a console room) once; a restart sends a missed digest once;
//! two daemons send it once; an empty week sends nothing. Also post expiry with its reminder.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mail_parser::MessageParser;
use voisinage::channels::email::Email;
use voisinage::channels::telegram::Telegram;
use voisinage::config::Settings;
use voisinage::core::Channel;
use voisinage::core::Core;
use voisinage::core::model::ChannelKind;
use voisinage::core::outbox::Outbox;
use voisinage::digest::{Digester, Made, Period};
use voisinage::i18n::Texts;
use voisinage::partners::Partners;

use crate::botapi::FakeBotApi;
use crate::email::{Sink, smtp_settings};
use crate::helpers::{Recorder, TestDb, core, count, drain, inbound, outbox, root};

mod languages;

const CONSOLE_ROOM: &str = "console:saint-servan";
const GROUP: i64 = -1001;
const WEEKLY: &str = "0 0 9 * * Sat";

/// The daemon's settings as the tests want them: weekly digests on Saturdays at 09:00 (Paris),
/// daily ones at 18:00, summaries in the rooms for the weekly one, email on.
fn settings() -> Settings {
    let env: Vec<(String, String)> = [
        ("VOISINAGE__DIGEST__WEEKLY", WEEKLY),
        ("VOISINAGE__DIGEST__DAILY", "0 0 18 * * *"),
        ("VOISINAGE__CHANNELS__EMAIL__ENABLED", "true"),
        (
            "VOISINAGE__CHANNELS__EMAIL__FROM",
            "Voisinage <voisinage@voisinage.test>",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    Settings::from_parts("test", voisinage::config::DEFAULT_TOML, &env).unwrap()
}

/// The next weekly slot after the real clock: posts made now fall in the period it closes.
fn next_weekly_slot() -> DateTime<Utc> {
    cron::Schedule::from_str(WEEKLY)
        .unwrap()
        .after(&Utc::now().with_timezone(&chrono_tz::Europe::Paris))
        .next()
        .unwrap()
        .with_timezone(&Utc)
}

struct World {
    sink: Sink,
    fake: FakeBotApi,
    db: TestDb,
    core: Arc<Core>,
    console: Arc<Recorder>,
    outbox: Outbox,
    digester: Digester,
}

impl World {
    async fn new(name: &str) -> World {
        let sink = Sink::start(name);
        let fake = FakeBotApi::start(crate::telegram::TOKEN).await;
        fake.add_chat(GROUP, "supergroup", "Voisins de Saint-Servan");
        fake.set_bot_status(GROUP, "administrator");
        let db = TestDb::new().await;
        for (channel, chat) in [(ChannelKind::Console, CONSOLE_ROOM), (ChannelKind::Telegram, "-1001")] {
            voisinage::store::link_room(&db.pool, channel, chat, "saint-servan")
                .await
                .unwrap();
        }
        let core = core(&db.pool);
        let email = Email::new(
            &smtp_settings(&sink),
            &root(),
            db.pool.clone(),
            core.links.clone(),
            Texts::embedded(),
        )
        .unwrap();
        let tg = Telegram::new(&crate::telegram::settings(&fake)).unwrap();
        let console = Recorder::new(ChannelKind::Console);
        let channels: Vec<Arc<dyn Channel>> = vec![email, tg, console.clone()];
        let outbox = outbox(&db.pool, channels);
        let digester = Digester::new(core.clone(), Arc::new(Partners::example()), &settings()).unwrap();
        World {
            sink,
            fake,
            db,
            core,
            console,
            outbox,
            digester,
        }
    }

    /// Another daemon on the same database (its own core and digester).
    fn second_daemon(&self) -> Digester {
        Digester::new(core(&self.db.pool), Arc::new(Partners::example()), &settings()).unwrap()
    }

    async fn subscribe(&self, address: &str, area: &str, rhythm: &str, status: &str) {
        sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm, status) VALUES ($1, $2, $3, $4)")
            .bind(address)
            .bind(area)
            .bind(rhythm)
            .bind(status)
            .execute(&self.db.pool)
            .await
            .unwrap();
    }

    /// A week of Saint-Servan: an offer and a request from the console room, two weekly
    /// subscribers, one daily, one who left, one of another area.
    async fn a_week(&self) {
        for (id, who, text) in [
            ("1", "Jeanne", "Je prête ma perceuse ce week-end"),
            ("2", "Paul", "Quelqu'un aurait une échelle à me prêter ?"),
        ] {
            self.core.ingest(&inbound(CONSOLE_ROOM, id, who, text)).await.unwrap();
        }
        self.subscribe("marie@exemple.fr", "saint-servan", "weekly", "active")
            .await;
        self.subscribe("luc@exemple.fr", "saint-servan", "weekly", "active")
            .await;
        self.subscribe("ines@exemple.fr", "saint-servan", "daily", "active")
            .await;
        self.subscribe("parti@exemple.fr", "saint-servan", "weekly", "unsubscribed")
            .await;
        self.subscribe("ailleurs@exemple.fr", "dinard", "weekly", "active")
            .await;
        // What ingest queued (acknowledgements) leaves first: the digest is what is left.
        self.drain().await;
        self.console.sent.lock().unwrap().clear();
    }

    async fn drain(&self) {
        drain(&self.db.pool, &self.outbox, Duration::from_secs(30)).await;
    }

    async fn digests(&self) -> Vec<(String, String, String, i32)> {
        sqlx::query_as("SELECT area_slug, period, status, recipients FROM digests ORDER BY id")
            .fetch_all(&self.db.pool)
            .await
            .unwrap()
    }

    async fn finish(self) {
        self.db.finish().await;
    }
}

/// The digest summaries the bot posted in the Telegram group (the relays aside).
fn summaries(fake: &FakeBotApi) -> Vec<String> {
    fake.bot_sent(GROUP)
        .into_iter()
        .map(|m| m.text)
        .filter(|t| t.starts_with("📰"))
        .collect()
}

fn recipients(sink: &Sink) -> Vec<String> {
    let mut to: Vec<String> = sink
        .messages()
        .iter()
        .map(|raw| {
            let m = MessageParser::default().parse(raw).unwrap();
            m.to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap()
                .to_owned()
        })
        .collect();
    to.sort();
    to
}

#[tokio::test]
async fn a_weekly_digest_at_its_time_reaches_subscribers_and_rooms_once() {
    let w = World::new("digest-weekly").await;
    w.a_week().await;
    let slot = next_weekly_slot();
    // A second before its time: nothing.
    let before = w.digester.run_once(slot - chrono::Duration::seconds(1)).await.unwrap();
    assert_eq!(before.queued, 0);
    let round = w.digester.run_once(slot + chrono::Duration::seconds(20)).await.unwrap();
    assert_eq!(round.queued, 1, "{round:?}");
    // Two weekly subscribers, the console room and the Telegram group.
    assert_eq!(round.deliveries, 4);
    // Later ticks, and another daemon, find it made.
    assert_eq!(
        w.digester
            .run_once(slot + chrono::Duration::seconds(50))
            .await
            .unwrap()
            .queued,
        0
    );
    assert_eq!(
        w.second_daemon()
            .run_once(slot + chrono::Duration::seconds(80))
            .await
            .unwrap()
            .queued,
        0
    );
    w.drain().await;

    assert_eq!(recipients(&w.sink), vec!["luc@exemple.fr", "marie@exemple.fr"]);
    let raw = &w.sink.messages()[0];
    // Kept for people to look at: scripts/render-email.sh target/digest-example.eml
    let _ = std::fs::write(root().join("target/digest-example.eml"), raw);
    let mail = MessageParser::default().parse(raw).unwrap();
    let subject = mail.subject().unwrap().to_owned();
    assert!(
        subject.starts_with("Voisinage Saint-Servan : la semaine jusqu'au"),
        "{subject}"
    );
    let text = mail.body_text(0).unwrap().into_owned();
    for needle in [
        "Proposé par vos voisins",
        "perceuse — Jeanne",
        "Recherché par vos voisins",
        "échelle — Paul",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
    }
    // Each post with the address that reaches its author, and the subscriber's way out.
    assert!(text.contains("Pour répondre : écrivez à voisinage+r"), "{text}");
    let html = mail.body_html(0).unwrap().into_owned();
    assert!(html.contains("href=\"mailto:voisinage+r"), "{html}");
    assert!(mail.header_raw("List-Unsubscribe").is_some());

    let group = summaries(&w.fake);
    assert_eq!(group.len(), 1, "{group:?}");
    assert!(
        group[0].starts_with("📰 Cette semaine à Saint-Servan : 1 offre, 1 demande"),
        "{}",
        group[0]
    );
    assert!(group[0].contains("Nouveau : perceuse, échelle."), "{}", group[0]);
    let console = w.console.sent_to(CONSOLE_ROOM);
    assert_eq!(console.len(), 1, "{console:?}");
    let queued: Vec<_> = w.digests().await.into_iter().filter(|d| d.2 == "queued").collect();
    assert_eq!(queued, vec![("saint-servan".into(), "week".into(), "queued".into(), 4)]);
    // One body stored, not one per subscriber.
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM digest_bodies")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    w.finish().await;
}

#[tokio::test]
async fn a_restart_after_the_slot_sends_the_missed_digest_once_and_a_stale_one_never() {
    let w = World::new("digest-restart").await;
    w.a_week().await;
    let slot = next_weekly_slot();
    // No daemon ran at 09:00; one starts at 14:00 (a fresh core: a restart).
    let restarted = w.second_daemon();
    let round = restarted.run_once(slot + chrono::Duration::hours(5)).await.unwrap();
    assert_eq!((round.queued, round.deliveries), (1, 4));
    assert_eq!(
        restarted
            .run_once(slot + chrono::Duration::hours(6))
            .await
            .unwrap()
            .queued,
        0
    );
    assert_eq!(
        w.digester
            .run_once(slot + chrono::Duration::hours(7))
            .await
            .unwrap()
            .queued,
        0
    );
    w.drain().await;
    assert_eq!(recipients(&w.sink), vec!["luc@exemple.fr", "marie@exemple.fr"]);
    assert_eq!(summaries(&w.fake).len(), 1);
    w.finish().await;

    // The daemons ran the week before (an empty digest then), then were down for three days
    // across the slot: that digest is stale (48 hours by default) and skipped; the next one
    // starts where the last one made ended, so it lists the posts of both weeks.
    let w = World::new("digest-stale").await;
    w.a_week().await;
    let slot = next_weekly_slot();
    let week_before = w.digester.run_once(slot - chrono::Duration::days(7)).await.unwrap();
    assert_eq!(week_before.queued, 0);
    let round = w.digester.run_once(slot + chrono::Duration::days(3)).await.unwrap();
    assert_eq!((round.queued, round.empty), (0, 0));
    let next = slot + chrono::Duration::days(7);
    assert_eq!(w.digester.run_once(next).await.unwrap().queued, 1);
    w.drain().await;
    let text = MessageParser::default()
        .parse(&w.sink.messages()[0])
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    assert!(text.contains("perceuse — Jeanne"), "{text}");
    w.finish().await;
}

#[tokio::test]
async fn two_daemons_at_the_same_moment_send_it_once() {
    let w = World::new("digest-two").await;
    w.a_week().await;
    let slot = next_weekly_slot();
    let other = w.second_daemon();
    let at = slot + chrono::Duration::seconds(5);
    let (a, b) = tokio::join!(w.digester.run_once(at), other.run_once(at));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.queued + b.queued, 1, "{a:?} {b:?}");
    assert_eq!(a.deliveries + b.deliveries, 4);
    w.drain().await;
    assert_eq!(recipients(&w.sink), vec!["luc@exemple.fr", "marie@exemple.fr"]);
    assert_eq!(summaries(&w.fake).len(), 1);
    assert_eq!(w.console.sent_to(CONSOLE_ROOM).len(), 1);
    w.finish().await;
}

#[tokio::test]
async fn an_empty_week_sends_nothing_and_by_hand_is_once_too() {
    let w = World::new("digest-empty").await;
    w.subscribe("marie@exemple.fr", "saint-servan", "weekly", "active")
        .await;
    let slot = next_weekly_slot();
    let round = w.digester.run_once(slot).await.unwrap();
    // Every area's week was empty (the nine example areas).
    assert_eq!((round.queued, round.empty), (0, 9));
    w.drain().await;
    assert!(w.sink.messages().is_empty());
    assert!(summaries(&w.fake).is_empty());
    let ours: Vec<_> = w
        .digests()
        .await
        .into_iter()
        .filter(|d| d.0 == "saint-servan")
        .collect();
    assert_eq!(ours, vec![("saint-servan".into(), "week".into(), "empty".into(), 0)]);

    // By hand (`voisinage digest`), after a post: sent to the weekly subscriber and the rooms.
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "1", "Jeanne", "Je donne une poussette"))
        .await
        .unwrap();
    let preview = w
        .digester
        .preview("saint-servan", Period::Week, Utc::now())
        .await
        .unwrap();
    assert_eq!(preview.emails.len(), 1, "one language: French");
    assert!(preview.emails[0].1.text.contains("poussette — Jeanne"));
    assert_eq!(count(&w.db.pool, "digests").await, 9, "a preview stores nothing");
    let now = Utc::now();
    let made = w.digester.send_now("saint-servan", Period::Week, now).await.unwrap();
    assert!(matches!(made, Made::Queued { deliveries: 3, .. }), "{made:?}");
    assert_eq!(
        w.digester.send_now("saint-servan", Period::Week, now).await.unwrap(),
        Made::Done
    );
    w.drain().await;
    assert_eq!(recipients(&w.sink), vec!["marie@exemple.fr"]);
    w.finish().await;
}

#[tokio::test]
async fn posts_expire_after_a_reminder_and_garder_keeps_them() {
    let w = World::new("digest-expiry").await;
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "1", "Jeanne", "Je prête ma tondeuse"))
        .await
        .unwrap();
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "2", "Paul", "Je donne des livres pour enfants"))
        .await
        .unwrap();
    w.drain().await;
    w.console.sent.lock().unwrap().clear();
    // The posts were made 27 days and an hour ago (default: 30 days, reminded 3 days before):
    // the test moves the posts back rather than the clock forward, so that /garder, said now,
    // happens at the same moment as the rounds.
    let now = Utc::now();
    assert_eq!(w.core.expire_once(now).await.unwrap().reminded, 0);
    sqlx::query("UPDATE posts SET created_at = created_at - interval '27 days 1 hour', renewed_at = renewed_at - interval '27 days 1 hour'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let r = w.core.expire_once(now).await.unwrap();
    assert_eq!((r.reminded, r.closed), (2, 0));
    assert_eq!(
        w.core
            .expire_once(now + chrono::Duration::hours(1))
            .await
            .unwrap()
            .reminded,
        0
    );
    w.drain().await;
    let sent = w.console.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[0].1.contains("sera retirée le"), "{}", sent[0].1);
    // Jeanne answers /garder to her reminder: her post starts a new life.
    let remote: String = sqlx::query_scalar(
        "SELECT d.remote_id FROM deliveries d JOIN posts p ON p.message_id = d.cause_message_id
         WHERE d.payload->>'kind' = 'reminder' AND p.item = 'tondeuse'",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    let mut keep = inbound(CONSOLE_ROOM, "3", "Jeanne", "/garder");
    keep.reply_to = Some(remote);
    w.core.ingest(&keep).await.unwrap();
    w.drain().await;
    let answer = w.console.sent().last().unwrap().1.clone();
    assert!(answer.contains("(tondeuse) gardée jusqu'au"), "{answer}");
    // Three days later Paul's post expires (one notice); Jeanne's was kept.
    let later = now + chrono::Duration::days(3);
    let r = w.core.expire_once(later).await.unwrap();
    assert_eq!((r.closed, r.reminded), (1, 0));
    assert_eq!(
        w.core
            .expire_once(later + chrono::Duration::hours(1))
            .await
            .unwrap()
            .closed,
        0
    );
    let states: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT item, status, closed_reason FROM posts ORDER BY id")
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(states[0].1, "open", "{states:?}");
    assert_eq!(
        (states[1].1.as_str(), states[1].2.as_deref()),
        ("closed", Some("expired")),
        "{states:?}"
    );
    w.drain().await;
    let last = w.console.sent().last().unwrap().1.clone();
    assert!(last.contains("a été retirée après 30 jours"), "{last}");
    // Her kept post is reminded again near the end of its new life, and only then.
    assert_eq!(
        w.core
            .expire_once(now + chrono::Duration::days(27) + chrono::Duration::hours(1))
            .await
            .unwrap()
            .reminded,
        1
    );
    w.finish().await;
}

#[tokio::test]
async fn a_lent_offer_says_until_when_in_the_digest_and_the_room_summary() {
    let w = World::new("digest-lent").await;
    let now = Utc::now();
    let say = |id: &str, who: &str, text: &str| voisinage::core::model::Inbound {
        sent_at: now,
        ..inbound(CONSOLE_ROOM, id, who, text)
    };
    for (id, who, text) in [
        ("1", "Paul", "Je prête ma perceuse"),
        ("2", "Jeanne", "Je cherche une perceuse"),
        ("3", "Jeanne", "/emprunte 1 5"),
        ("4", "Paul", "/accepte"),
    ] {
        w.core.ingest(&say(id, who, text)).await.unwrap();
    }
    let due = now.with_timezone(&chrono_tz::Europe::Paris).date_naive() + chrono::Duration::days(5);
    let until = format!(
        "· prêté jusqu'au {}",
        voisinage::i18n::format_dates(voisinage::i18n::Lang::Fr, due, due)
    );
    let preview = w
        .digester
        .preview("saint-servan", Period::Week, Utc::now())
        .await
        .unwrap();
    let email = &preview.emails[0].1;
    assert!(
        email.text.contains(&format!("perceuse — Paul {until}")),
        "{}",
        email.text
    );
    assert!(email.html.contains(&until.replace('\'', "&#x27;")), "{}", email.html);
    assert!(
        !email.text.contains(&format!("perceuse — Jeanne {until}")),
        "the request is not lent"
    );
    let summary = preview.summary.expect("a room summary");
    assert!(summary.contains(&format!("perceuse {until}")), "{summary}");
    w.finish().await;
}

/// The text and HTML parts of the mails the sink received for `to`, oldest first.
fn mails_to(sink: &Sink, to: &str) -> Vec<(String, String)> {
    sink.messages()
        .iter()
        .filter_map(|raw| {
            let m = MessageParser::default().parse(raw)?;
            let addressed = m
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .is_some_and(|a| a == to);
            addressed.then(|| {
                (
                    m.body_text(0).unwrap_or_default().into_owned(),
                    m.body_html(0).unwrap_or_default().into_owned(),
                )
            })
        })
        .collect()
}

#[tokio::test]
async fn a_town_hall_announcement_heads_the_next_digest_once_and_is_never_a_post() {
    use voisinage::core::announcements::AnnouncementDraft;
    let w = World::new("digest-announce").await;
    w.a_week().await;
    w.subscribe("chaque@exemple.fr", "saint-servan", "each", "active").await;
    let posts = count(&w.db.pool, "posts").await;
    let messages = count(&w.db.pool, "messages").await;
    let draft = AnnouncementDraft {
        commune: "Saint-Malo".into(),
        commune_slug: "saint-malo".into(),
        title: "Travaux place de la Roulette".into(),
        body: "Je prête ma perceuse ce week-end ? Non : la place est fermée du 2 au 5.".into(),
        happens_on: None,
        place: Some("Place de la Roulette".into()),
        areas: vec!["saint-servan".into()],
        urgent: false,
        created_by: "com@ville-saint-malo.test".into(),
    };
    let id = w
        .core
        .publish_announcement(&draft, None, Utc::now())
        .await
        .unwrap()
        .unwrap();
    w.drain().await;
    // At once: the area's rooms and the subscriber who reads every message; nobody else.
    let heading = "📢 Mairie de Saint-Malo : Travaux place de la Roulette";
    let in_console: Vec<String> = w.console.sent_to(CONSOLE_ROOM);
    assert_eq!(in_console.len(), 1, "{in_console:?}");
    assert!(in_console[0].starts_with(heading), "{}", in_console[0]);
    assert_eq!(
        w.fake
            .bot_sent(GROUP)
            .iter()
            .filter(|m| m.text.starts_with(heading))
            .count(),
        1
    );
    assert_eq!(recipients(&w.sink), vec!["chaque@exemple.fr"]);
    // Relayed, never parsed: even words that read like an offer make no post, no message.
    assert_eq!(count(&w.db.pool, "posts").await, posts);
    assert_eq!(count(&w.db.pool, "messages").await, messages);

    // The next weekly digest lists it first, in its own section.
    let slot = next_weekly_slot();
    w.digester.run_once(slot + chrono::Duration::seconds(20)).await.unwrap();
    w.drain().await;
    let marie = mails_to(&w.sink, "marie@exemple.fr");
    assert_eq!(marie.len(), 1);
    let (text, html) = &marie[0];
    let section = text.find("== Annonces de la mairie ==").expect(text);
    assert!(section < text.find("Proposé par vos voisins").unwrap(), "{text}");
    assert!(text.contains(heading), "{text}");
    assert!(text.contains("📍 Place de la Roulette"), "{text}");
    assert!(text.contains(&format!("/communes/saint-malo/annonces/{id}")), "{text}");
    assert!(html.contains("Annonces de la mairie</h2>"), "{html}");
    assert!(html.contains("Travaux place de la Roulette"), "{html}");
    // Dinard's subscriber gets no word of it.
    assert!(mails_to(&w.sink, "ailleurs@exemple.fr").is_empty());

    // The week after, with news of its own: the announcement is not listed again.
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "9", "Léa", "Je donne une poussette"))
        .await
        .unwrap();
    sqlx::query("UPDATE posts SET created_at = $1 WHERE id = (SELECT max(id) FROM posts)")
        .bind(slot + chrono::Duration::days(1))
        .execute(&w.db.pool)
        .await
        .unwrap();
    let round = w
        .digester
        .run_once(slot + chrono::Duration::days(7) + chrono::Duration::seconds(20))
        .await
        .unwrap();
    assert_eq!(round.queued, 1, "{round:?}");
    w.drain().await;
    let marie = mails_to(&w.sink, "marie@exemple.fr");
    assert_eq!(marie.len(), 2);
    assert!(marie[1].0.contains("poussette"), "{}", marie[1].0);
    assert!(!marie[1].0.contains("Annonces de la mairie"), "{}", marie[1].0);
    assert!(!marie[1].0.contains("Roulette"), "{}", marie[1].0);
    w.finish().await;
}
