//! Loans (issue 16), from "je prête" to "rendu": both confirm, reminders while lent (once,
//! across two daemons and a restart), overdue, extension, cancellation, a waiting list, thanks.
//! Every step runs at a time the test chooses: the commands' message times and the `now` given
//! to `Core::loans_once`.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use voisinage::core::Core;
use voisinage::core::model::{ChannelKind, Inbound};
use voisinage::core::outbox::Outbox;
use voisinage::store::link_room;

use crate::helpers::{Recorder, TestDb, core, drain, outbox};
use crate::telegram::{ADMIN, GROUP, PAUL, World};

const ROOM: &str = "console:saint-servan";
const JEANNE: &str = "jeanne@example.org";

/// 10:00 in Paris on `day`.
fn morning(day: NaiveDate) -> DateTime<Utc> {
    chrono_tz::Europe::Paris
        .from_local_datetime(&day.and_hms_opt(10, 0, 0).unwrap())
        .unwrap()
        .to_utc()
}

fn day(d: &str) -> NaiveDate {
    d.parse().unwrap()
}

/// A message said at `at`.
fn said(
    channel: ChannelKind,
    chat: &str,
    id: &str,
    sender: &str,
    name: &str,
    text: &str,
    at: DateTime<Utc>,
) -> Inbound {
    Inbound {
        channel,
        chat: chat.to_owned(),
        native_id: id.to_owned(),
        sender: sender.to_owned(),
        sender_name: name.to_owned(),
        text: text.to_owned(),
        sent_at: at,
        ..Default::default()
    }
}

async fn loan_row(pool: &sqlx::PgPool, id: i64) -> (String, NaiveDate) {
    sqlx::query_as("SELECT state, due_on FROM loans WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Paul offers his drill in the Telegram group, then Jeanne asks by email (message
/// `<m1@example.org>`): the area's mailing list, which her later mails are sent to.
async fn paul_offers_jeanne_asks(w: &mut World, ask: &str) -> String {
    let list = voisinage::store::chats::ensure_list(&w.db.pool, "saint-servan")
        .await
        .unwrap();
    w.fake.user_message(GROUP, PAUL, "Paul", "Je prête ma perceuse");
    w.poll().await;
    let mail = said(
        ChannelKind::Email,
        &list,
        "<m1@example.org>",
        JEANNE,
        "Jeanne",
        ask,
        Utc::now(),
    );
    w.core.ingest(&mail).await.unwrap();
    list
}

async fn scalar(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_telegram_lender_lends_to_an_email_borrower_from_match_to_return() {
    let mut w = World::new().await.linked().await;
    let list = paul_offers_jeanne_asks(&mut w, "Quelqu'un aurait une perceuse à me prêter ?").await;
    let mail = |id: &str, text: &str| said(ChannelKind::Email, &list, id, JEANNE, "Jeanne", text, Utc::now());
    w.drain().await;
    let offer = scalar(&w.db.pool, "SELECT id FROM posts WHERE direction = 'offer'").await;
    assert!(w.email.sent_to(JEANNE).iter().any(|t| t.starts_with("🤝")));

    // Jeanne asks by email; Paul gets the proposal with buttons, in reply to his offer.
    w.core
        .ingest(&mail("<m2@example.org>", &format!("/emprunte {offer}")))
        .await
        .unwrap();
    w.drain().await;
    let loan = scalar(&w.db.pool, "SELECT id FROM loans").await;
    assert_eq!(
        loan_row(&w.db.pool, loan).await.0,
        "proposed",
        "nothing lent before Paul confirms"
    );
    assert!(
        w.email
            .sent_to(JEANNE)
            .last()
            .unwrap()
            .contains("Rien n'est prêté tant que Paul"),
        "{:?}",
        w.email.sent_to(JEANNE)
    );
    // Nothing said until when: Jeanne is asked, and answers the mail "3 semaines".
    let asked: String = sqlx::query_scalar(
        "SELECT remote_id FROM deliveries WHERE channel = 'email' AND dedupe_key LIKE 'answer:%' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert!(w.email.sent_to(JEANNE).last().unwrap().contains("Jusqu'à quand ?"));
    let mut answer = mail("<m2b@example.org>", "3 semaines");
    answer.reply_to = Some(asked);
    w.core.ingest(&answer).await.unwrap();
    w.drain().await;
    let today = Utc::now().with_timezone(&chrono_tz::Europe::Paris).date_naive();
    assert_eq!(loan_row(&w.db.pool, loan).await.1, today + chrono::Duration::days(21));
    assert!(
        w.bot_texts(GROUP).last().unwrap().contains("📅 Prêt n°1"),
        "{:?}",
        w.bot_texts(GROUP).last()
    );
    let proposal = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .rfind(|m| m.text.contains("Jeanne voudrait emprunter votre perceuse"))
        .expect("the proposal, with buttons");
    let buttons = proposal.reply_markup.clone().expect("inline buttons")["inline_keyboard"].clone();
    let accept = buttons[0][0]["callback_data"].as_str().unwrap().to_owned();
    w.fake.callback(GROUP, PAUL, "Paul", &accept, proposal.message_id);
    w.poll().await;
    w.drain().await;
    let (state, due) = loan_row(&w.db.pool, loan).await;
    assert_eq!(state, "active");
    assert!(
        w.email.sent_to(JEANNE).last().unwrap().contains("Prêt n°"),
        "{:?}",
        w.email.sent_to(JEANNE)
    );

    // While lent, /annonces says until when.
    w.core.ingest(&mail("<m3@example.org>", "/annonces")).await.unwrap();
    w.drain().await;
    assert!(
        w.email.sent_to(JEANNE).last().unwrap().contains("prêté jusqu'au"),
        "{:?}",
        w.email.sent_to(JEANNE).last()
    );

    // The day before: one reminder by email, even when the round runs twice.
    let before = morning(due - chrono::Duration::days(1));
    assert_eq!(w.core.loans_once(before).await.unwrap().reminded, 1);
    assert_eq!(w.core.loans_once(before).await.unwrap().reminded, 0);
    w.drain().await;
    assert!(w.email.sent_to(JEANNE).last().unwrap().contains("Petit rappel"));

    // Jeanne says it is back; Paul confirms; Jeanne is invited to thank and does.
    w.core.ingest(&mail("<m4@example.org>", "/rendu")).await.unwrap();
    w.drain().await;
    let claimed = w.fake.bot_sent(GROUP).pop().unwrap();
    assert!(claimed.text.contains("dit vous avoir rendu"), "{}", claimed.text);
    // No reminder while Paul has not confirmed (Jeanne says it is back).
    assert_eq!(w.core.loans_once(morning(due)).await.unwrap().reminded, 0);
    let buttons = claimed.reply_markup.clone().expect("a button")["inline_keyboard"].clone();
    let back = buttons[0][0]["callback_data"].as_str().unwrap().to_owned();
    w.fake.callback(GROUP, PAUL, "Paul", &back, claimed.message_id);
    w.poll().await;
    w.drain().await;
    assert_eq!(loan_row(&w.db.pool, loan).await.0, "returned");
    assert!(w.email.sent_to(JEANNE).last().unwrap().contains("/merci"));
    w.core.ingest(&mail("<m5@example.org>", "/merci")).await.unwrap();
    w.drain().await;
    assert!(
        w.bot_texts(GROUP).last().unwrap().contains("C'est votre premier merci"),
        "{:?}",
        w.bot_texts(GROUP).last()
    );

    // Nothing after the return: neither on the due day nor later.
    let sent = w.email.sent_to(JEANNE).len();
    for d in 0..30 {
        w.core
            .loans_once(morning(due + chrono::Duration::days(d)))
            .await
            .unwrap();
    }
    w.drain().await;
    assert_eq!(w.email.sent_to(JEANNE).len(), sent);
    assert_eq!(scalar(&w.db.pool, "SELECT count(*) FROM loan_reminders").await, 1);

    // /prets shows it, with the thanks as a count.
    w.fake.user_message(GROUP, PAUL, "Paul", "/prets");
    w.poll().await;
    w.drain().await;
    let listed = w.bot_texts(GROUP).pop().unwrap();
    assert!(
        listed.contains("1 merci reçu") && listed.contains("prêté à Jeanne · rendu"),
        "{listed}"
    );
    w.finish().await;
}

/// An area with a console room, where Paul offers a drill and Jeanne asks for one.
struct Street {
    db: TestDb,
    core: Arc<Core>,
    console: Arc<Recorder>,
    outbox: Outbox,
    offer: i64,
    n: std::cell::Cell<u32>,
}

const JUNE_10: &str = "2026-06-10";

impl Street {
    async fn new() -> Street {
        let s = Street::empty().await;
        s.say("Paul", "Je prête ma perceuse").await;
        s.say("Jeanne", "Quelqu'un aurait une perceuse ?").await;
        let offer = scalar(&s.db.pool, "SELECT id FROM posts WHERE direction = 'offer'").await;
        Street { offer, ..s }
    }

    /// The area and its room, where nobody said anything yet.
    async fn empty() -> Street {
        let db = TestDb::new().await;
        link_room(&db.pool, ChannelKind::Console, ROOM, "saint-servan")
            .await
            .unwrap();
        let core = core(&db.pool);
        let console = Recorder::new(ChannelKind::Console);
        let outbox = outbox(&db.pool, vec![console.clone()]);
        Street {
            db,
            core,
            console,
            outbox,
            offer: 0,
            n: Default::default(),
        }
    }

    /// `name` says `text` in the room on 10 June at noon.
    async fn say(&self, name: &str, text: &str) {
        self.say_on(name, text, morning(day(JUNE_10)) + chrono::Duration::hours(2))
            .await;
    }

    async fn say_on(&self, name: &str, text: &str, at: DateTime<Utc>) {
        self.say_to(name, text, at, None).await;
    }

    /// `name` says `text` in reply to the room's message `reply_to` ("c1" is Paul's offer,
    /// "c2" Jeanne's request).
    async fn say_to(&self, name: &str, text: &str, at: DateTime<Utc>, reply_to: Option<&str>) {
        self.n.set(self.n.get() + 1);
        let id = format!("c{}", self.n.get());
        let mut m = said(ChannelKind::Console, ROOM, &id, &name.to_lowercase(), name, text, at);
        m.reply_to = reply_to.map(str::to_owned);
        self.core.ingest(&m).await.unwrap();
        drain(&self.db.pool, &self.outbox, std::time::Duration::from_secs(10)).await;
    }

    fn last(&self) -> String {
        self.console.sent_to(ROOM).pop().unwrap_or_default()
    }

    fn said_containing(&self, words: &str) -> usize {
        self.console.sent_to(ROOM).iter().filter(|t| t.contains(words)).count()
    }

    /// Jeanne borrows the drill for `days` days from 10 June, and Paul confirms.
    async fn lent(&self, days: u32) -> i64 {
        self.say("Jeanne", &format!("/emprunte {} {days}", self.offer)).await;
        self.say("Paul", "/accepte").await;
        scalar(&self.db.pool, "SELECT max(id) FROM loans").await
    }
}

#[tokio::test]
async fn reminders_go_once_across_two_daemons_and_a_restart_and_the_lender_hears_when_overdue() {
    let s = Street::new().await;
    let loan = s.lent(5).await;
    assert_eq!(loan_row(&s.db.pool, loan).await, ("active".into(), day("2026-06-15")));
    // A second daemon on the same database, with its own outbox.
    let other = core(&s.db.pool);
    let other_console = Recorder::new(ChannelKind::Console);
    let other_outbox = outbox(&s.db.pool, vec![other_console.clone()]);
    let mut queued = 0;
    for d in 11..=30 {
        let now = morning(day(&format!("2026-06-{d:02}")));
        let (a, b) = tokio::join!(s.core.loans_once(now), other.loans_once(now));
        queued += a.unwrap().reminded + b.unwrap().reminded;
        // A restart: a new core runs the same round again.
        queued += core(&s.db.pool).loans_once(now).await.unwrap().reminded;
        let (_, _) = tokio::join!(
            drain(&s.db.pool, &s.outbox, std::time::Duration::from_secs(10)),
            drain(&s.db.pool, &other_outbox, std::time::Duration::from_secs(10))
        );
    }
    let mut sent = s.console.sent_to(ROOM);
    sent.extend(other_console.sent_to(ROOM));
    let count = |w: &str| sent.iter().filter(|t| t.contains(w)).count();
    assert_eq!(count("Petit rappel"), 1, "the day before");
    assert_eq!(count("C'est aujourd'hui"), 1, "on the day");
    // 1, 3, 7 and 14 days late by the 29th (the 21st-day one is in July).
    assert_eq!(count("devait être rendu le 15 juin ("), 4, "{sent:#?}");
    assert_eq!(count("un jour de retard"), 1);
    assert_eq!(count("14 jours de retard"), 1);
    assert_eq!(count("prêté à Jeanne devait vous être rendu"), 1, "the lender, once");
    assert_eq!(loan_row(&s.db.pool, loan).await.0, "overdue");
    assert_eq!(scalar(&s.db.pool, "SELECT count(*) FROM loan_reminders").await, 7);
    assert_eq!(queued, 7, "each reminder queued by one daemon only");
    s.db.finish().await;
}

#[tokio::test]
async fn an_extension_moves_the_due_date_and_its_reminders() {
    let s = Street::new().await;
    let loan = s.lent(3).await;
    // Due on the 13th; overdue on the 14th (one reminder, the lender told).
    for d in [12, 13, 14] {
        s.core.loans_once(morning(day(&format!("2026-06-{d}")))).await.unwrap();
    }
    assert_eq!(loan_row(&s.db.pool, loan).await.0, "overdue");
    // Jeanne asks for 4 more days, Paul agrees: due on the 18th counting from the 14th.
    let on_14 = morning(day("2026-06-14"));
    s.say_on("Jeanne", "/prolonger 4", on_14).await;
    assert!(
        s.last().contains("Jeanne voudrait garder perceuse 4 jours de plus"),
        "{}",
        s.last()
    );
    s.say_on("Paul", "/prolonger", on_14).await;
    assert!(s.last().contains("prêté à Jeanne jusqu'au 18 juin"), "{}", s.last());
    assert_eq!(loan_row(&s.db.pool, loan).await, ("active".into(), day("2026-06-18")));
    drain(&s.db.pool, &s.outbox, std::time::Duration::from_secs(10)).await;
    let before = s.said_containing("Petit rappel");
    for d in 15..=19 {
        s.core.loans_once(morning(day(&format!("2026-06-{d}")))).await.unwrap();
    }
    drain(&s.db.pool, &s.outbox, std::time::Duration::from_secs(10)).await;
    assert_eq!(
        s.said_containing("Petit rappel"),
        before + 1,
        "a new series for the new date"
    );
    assert_eq!(s.said_containing("à rendre le 18 juin"), 1);
    assert_eq!(s.said_containing("devait être rendu le 18 juin"), 1);
    s.db.finish().await;
}

#[tokio::test]
async fn a_cancelled_or_declined_proposal_lends_nothing_and_frees_the_offer() {
    let s = Street::new().await;
    s.say("Jeanne", &format!("/emprunte {}", s.offer)).await;
    s.say("Jeanne", "/annule").await;
    assert!(s.last().contains("retirée"), "{}", s.last());
    assert!(s.said_containing("La proposition de prêt n°1 (perceuse) a été retirée") == 1);
    assert_eq!(loan_row(&s.db.pool, 1).await.0, "cancelled");
    // Paul may not confirm a withdrawn proposal.
    s.say("Paul", "/accepte 1").await;
    assert!(s.last().contains("Je ne trouve pas ce prêt"), "{}", s.last());
    // Paul proposes to lend (default length: 14 days), Jeanne declines.
    s.say("Paul", &format!("/prete {} @Jeanne", s.offer)).await;
    assert!(s.said_containing("Paul vous propose de vous prêter perceuse") == 1);
    assert_eq!(loan_row(&s.db.pool, 2).await, ("proposed".into(), day("2026-06-24")));
    s.say("Jeanne", "/refuse").await;
    assert_eq!(loan_row(&s.db.pool, 2).await.0, "declined");
    // Nothing was lent: no reminders ever, and the offer still matches new requests.
    for d in 20..=30 {
        s.core.loans_once(morning(day(&format!("2026-06-{d}")))).await.unwrap();
    }
    assert_eq!(scalar(&s.db.pool, "SELECT count(*) FROM loan_reminders").await, 0);
    // (Jeanne heard "Paul propose ce que vous cherchez" once already.)
    s.say("Marc", "Je cherche une perceuse").await;
    assert_eq!(s.said_containing("Paul (console) propose ce que vous cherchez"), 2);
    s.db.finish().await;
}

#[tokio::test]
async fn a_lent_thing_takes_no_match_and_its_waiting_list_is_told_in_order() {
    let s = Street::new().await;
    let loan = s.lent(7).await;
    // Marc's request finds nothing available: the lent drill fits, so he joins its waiting
    // list without asking.
    s.say("Marc", "Je cherche une perceuse").await;
    assert_eq!(
        s.said_containing("Paul (console) propose ce que vous cherchez"),
        1,
        "Jeanne's only"
    );
    assert!(
        s.last()
            .contains("prêté jusqu'au 17 juin. Vous êtes n°1 sur la liste d'attente"),
        "{}",
        s.last()
    );
    // Asking again keeps his place; Lucie comes after him.
    s.say("Marc", &format!("/emprunte {}", s.offer)).await;
    assert!(s.last().contains("Vous êtes n°1"), "{}", s.last());
    s.say("Lucie", &format!("/emprunte {}", s.offer)).await;
    assert!(s.last().contains("Vous êtes n°2"), "{}", s.last());
    // Returned: Marc (first) and Paul are told; Lucie not yet.
    s.say("Paul", "/rendu").await;
    assert_eq!(loan_row(&s.db.pool, loan).await.0, "returned");
    assert_eq!(s.said_containing("vous êtes le prochain sur la liste"), 1);
    assert_eq!(s.said_containing("Marc attendait votre perceuse"), 1);
    assert_eq!(s.said_containing("Lucie attendait"), 0);
    // Marc borrows it and gives it back: now Lucie's turn.
    s.say("Marc", &format!("/emprunte {}", s.offer)).await;
    s.say("Paul", "/accepte").await;
    s.say("Paul", "/rendu").await;
    assert_eq!(s.said_containing("Lucie attendait votre perceuse"), 1);
    assert_eq!(s.said_containing("vous êtes le prochain sur la liste"), 2);
    // Two loans started and returned: /metrics counts them.
    assert_eq!(
        scalar(&s.db.pool, "SELECT count(*) FROM loans WHERE state = 'returned'").await,
        2
    );
    assert_eq!(
        voisinage::store::loans::counts(&s.db.pool).await.unwrap(),
        vec![("returned".to_owned(), 2)]
    );
    s.db.finish().await;
}

#[tokio::test]
async fn a_reply_to_the_offer_or_to_the_request_proposes_a_loan() {
    let s = Street::new().await;
    let noon = morning(day(JUNE_10)) + chrono::Duration::hours(2);
    // The match notice names the commands.
    assert_eq!(
        s.said_containing(&format!("Si c'est un prêt : /emprunte {}", s.offer)),
        1
    );
    // Jeanne answers Paul's offer with /emprunte: the loan of that offer is proposed.
    s.say_to("Jeanne", "/emprunte", noon, Some("c1")).await;
    assert_eq!(s.said_containing("Jeanne voudrait emprunter votre perceuse"), 1);
    s.say("Jeanne", "/annule").await;
    // Paul answers Jeanne's request with /prete: his matched offer, to her.
    s.say_to("Paul", "/prete", noon, Some("c2")).await;
    assert_eq!(s.said_containing("Paul vous propose de vous prêter perceuse"), 1);
    s.say("Jeanne", "/accepte").await;
    assert_eq!(
        scalar(&s.db.pool, "SELECT count(*) FROM loans WHERE state = 'active'").await,
        1
    );
    // /prets lists both, with their states.
    s.say("Jeanne", "/prets").await;
    assert!(s.last().contains("emprunté à Paul · annulé"), "{}", s.last());
    assert!(s.last().contains("emprunté à Paul · jusqu'au 24 juin"), "{}", s.last());
    s.db.finish().await;
}

#[tokio::test]
async fn an_email_borrower_confirms_by_a_signed_link_that_only_acts_on_post() {
    let mut w = World::new().await.linked().await;
    paul_offers_jeanne_asks(&mut w, "Je cherche une perceuse").await;
    let offer = scalar(&w.db.pool, "SELECT id FROM posts WHERE direction = 'offer'").await;
    w.fake
        .user_message(GROUP, PAUL, "Paul", &format!("/prete {offer} @jeanne"));
    w.poll().await;
    w.drain().await;
    let proposal = w
        .email
        .sent_to(JEANNE)
        .pop()
        .unwrap_or_else(|| panic!("{:?} {:?}", w.email.sent(), w.bot_texts(GROUP)));
    assert!(
        proposal.contains("Paul vous propose de vous prêter perceuse"),
        "{proposal}"
    );
    let link = |what: &str| {
        let at = proposal.find(what).unwrap_or_else(|| panic!("{what} in {proposal}"));
        let url = proposal[at..]
            .split_whitespace()
            .find(|w| w.starts_with("http"))
            .unwrap();
        url.split_once("?t=").unwrap().1.to_owned()
    };
    let (accept, decline) = (link("Pour confirmer"), link("Pour refuser"));
    // Opening the page (a mail scanner does) asks and changes nothing.
    let (_, question, button) = w.core.loan_link_page(&accept).await.unwrap().expect("a valid link");
    assert!(
        question.starts_with("Confirmer le prêt n°1 : perceuse prêté par Paul à Jeanne"),
        "{question}"
    );
    assert_eq!(button, "✅ Accepter");
    assert_eq!(loan_row(&w.db.pool, 1).await.0, "proposed");
    // Its button confirms, once; the other link then does nothing.
    let (_, done) = w.core.loan_link_post(&accept).await.unwrap().unwrap();
    assert!(done.contains("Prêt n°1 confirmé"), "{done}");
    assert_eq!(loan_row(&w.db.pool, 1).await.0, "active");
    let (_, again) = w.core.loan_link_post(&decline).await.unwrap().unwrap();
    assert!(again.contains("Je ne trouve pas ce prêt"), "{again}");
    assert!(w.core.loan_link_page("la1.0000").await.unwrap().is_none(), "forged");
    w.drain().await;
    assert!(w.bot_texts(GROUP).last().unwrap().contains("Prêt n°1 confirmé"));
    assert_eq!(loan_row(&w.db.pool, 1).await.0, "active");
    w.finish().await;
}

/// The remote id of the bot's answer to the `n`-th message said in the Street's room ("c{n}"),
/// to reply to it.
async fn answer_remote(pool: &sqlx::PgPool, n: u32) -> String {
    sqlx::query_scalar(
        "SELECT d.remote_id FROM deliveries d JOIN messages m ON m.id = d.cause_message_id
         WHERE m.native_id = $1 AND d.dedupe_key LIKE 'answer:%'",
    )
    .bind(format!("c{n}"))
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn due_asked(pool: &sqlx::PgPool, id: i64) -> bool {
    sqlx::query_scalar("SELECT due_asked FROM loans WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn without_a_date_the_proposer_is_asked_until_when_and_the_answer_sets_it() {
    let s = Street::new().await;
    let noon = morning(day(JUNE_10)) + chrono::Duration::hours(2);
    // Nothing says until when (no days, no dates in the posts): the proposal goes with the
    // default length, and Jeanne is asked.
    s.say("Jeanne", &format!("/emprunte {}", s.offer)).await;
    assert_eq!(
        s.said_containing("Jusqu'à quand ? Répondez à ce message par une date"),
        1
    );
    assert_eq!(
        s.said_containing("sans réponse, ce sera jusqu'au 24 juin (14 jours)"),
        1
    );
    assert_eq!(loan_row(&s.db.pool, 1).await, ("proposed".into(), day("2026-06-24")));
    assert!(due_asked(&s.db.pool, 1).await);
    // Paul confirms first; Jeanne answers "dimanche" in reply to the question: Sunday 14 June,
    // and Paul is told.
    s.say("Paul", "/accepte").await;
    let question = answer_remote(&s.db.pool, 3).await;
    s.say_to("Jeanne", "dimanche", noon, Some(&question)).await;
    assert_eq!(loan_row(&s.db.pool, 1).await, ("active".into(), day("2026-06-14")));
    assert_eq!(
        s.said_containing("📅 Prêt n°1 : perceuse prêté par Paul à Jeanne jusqu'au 14 juin"),
        2,
        "Jeanne's answer and Paul's notice"
    );
    // The question is closed: another answer is an ordinary message and changes nothing.
    s.say_to("Jeanne", "3 jours", noon, Some(&question)).await;
    assert_eq!(loan_row(&s.db.pool, 1).await.1, day("2026-06-14"));
    assert!(!due_asked(&s.db.pool, 1).await);
    // The reminders follow the answered date.
    s.core.loans_once(morning(day("2026-06-13"))).await.unwrap();
    drain(&s.db.pool, &s.outbox, std::time::Duration::from_secs(10)).await;
    assert_eq!(s.said_containing("à rendre le 14 juin"), 1);
    s.db.finish().await;
}

#[tokio::test]
async fn a_date_or_a_length_in_the_command_sets_the_due_date_without_asking() {
    let s = Street::new().await;
    // Wednesday 10 June: "samedi" is the 13th, "le 20" the 20th, "3 semaines" 1 July.
    for (n, (said, due)) in [
        ("jusqu'à samedi", "2026-06-13"),
        ("le 20", "2026-06-20"),
        ("3 semaines", "2026-07-01"),
        ("5", "2026-06-15"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = n as i64 + 1;
        s.say("Jeanne", &format!("/emprunte {} {said}", s.offer)).await;
        assert_eq!(s.said_containing("Jusqu'à quand"), 0, "{said}");
        assert_eq!(loan_row(&s.db.pool, id).await, ("proposed".into(), day(due)), "{said}");
        assert!(!due_asked(&s.db.pool, id).await);
        s.say("Jeanne", "/annule").await;
    }
    // Paul's command takes a date after the name too.
    s.say("Paul", &format!("/prete {} @Jeanne dimanche", s.offer)).await;
    assert_eq!(loan_row(&s.db.pool, 5).await, ("proposed".into(), day("2026-06-14")));
    s.db.finish().await;
}

#[tokio::test]
async fn an_offer_of_two_drills_lends_both_and_only_then_waits() {
    let s = Street::empty().await;
    s.say("Paul", "J'ai 2 perceuses à prêter").await;
    let (offer, copies): (i64, i32) = sqlx::query_as("SELECT id, copies FROM posts WHERE direction = 'offer'")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(copies, 2, "the parser read two drills");
    // Jeanne borrows one.
    s.say("Jeanne", "Quelqu'un aurait une perceuse ?").await;
    s.say("Jeanne", &format!("/emprunte {offer} 7")).await;
    s.say("Paul", "/accepte").await;
    // One is lent, one is free: Marc's request still matches, and he borrows the other.
    s.say("Marc", "Je cherche une perceuse").await;
    assert_eq!(s.said_containing("Paul (console) propose ce que vous cherchez"), 2);
    s.say("Paul", "/annonces").await;
    assert!(!s.last().contains("prêté jusqu'au"), "one copy is free: {}", s.last());
    s.say("Marc", &format!("/emprunte {offer} 3")).await;
    assert_eq!(s.said_containing("Marc voudrait emprunter votre perceuse"), 1);
    s.say("Paul", "/accepte").await;
    assert_eq!(
        scalar(&s.db.pool, "SELECT count(*) FROM loans WHERE state = 'active'").await,
        2
    );
    // Both lent: no match for Lucie, who waits for the first to come back (Marc's, the 13th).
    s.say("Paul", "/annonces").await;
    assert!(s.last().contains("· prêté jusqu'au 13 juin"), "{}", s.last());
    s.say("Lucie", "Je cherche une perceuse").await;
    assert_eq!(s.said_containing("Paul (console) propose ce que vous cherchez"), 2);
    assert!(
        s.last()
            .contains("prêté jusqu'au 13 juin. Vous êtes n°1 sur la liste d'attente"),
        "{}",
        s.last()
    );
    // A third /emprunte waits too; Paul may not lend a third copy.
    s.say("Anne", &format!("/emprunte {offer}")).await;
    assert!(s.last().contains("Vous êtes n°2"), "{}", s.last());
    s.say("Paul", &format!("/prete {offer} @Lucie")).await;
    assert!(s.last().contains("fait déjà l'objet du prêt"), "{}", s.last());
    // Jeanne's copy comes back: Lucie is told, and borrows it.
    s.say("Paul", "/rendu 1").await;
    assert_eq!(s.said_containing("Lucie attendait votre perceuse"), 1);
    s.say("Lucie", &format!("/emprunte {offer} 2")).await;
    s.say("Paul", "/accepte").await;
    assert_eq!(
        scalar(&s.db.pool, "SELECT count(*) FROM loans WHERE state = 'active'").await,
        2
    );
    s.db.finish().await;
}

#[tokio::test]
async fn a_lent_offer_does_not_expire_under_its_borrower_and_comes_back_renewed() {
    let s = Street::new().await;
    let loan = s.lent(60).await;
    // The posts were made 31 days ago (default life: 30 days): Jeanne's request expires, the
    // lent drill neither expires nor gets its "will be withdrawn" reminder.
    sqlx::query("UPDATE posts SET renewed_at = renewed_at - interval '31 days'")
        .execute(&s.db.pool)
        .await
        .unwrap();
    let now = Utc::now();
    let r = s.core.expire_once(now).await.unwrap();
    assert_eq!((r.reminded, r.closed), (0, 1), "only the request");
    let status = || async {
        sqlx::query_scalar::<_, String>("SELECT status FROM posts WHERE id = $1")
            .bind(s.offer)
            .fetch_one(&s.db.pool)
            .await
            .unwrap()
    };
    assert_eq!(status().await, "open");
    assert_eq!(loan_row(&s.db.pool, loan).await.0, "active");
    // Returned: the drill is available again, for a new life from the return.
    s.say_on("Paul", "/rendu", now).await;
    assert_eq!(loan_row(&s.db.pool, loan).await.0, "returned");
    assert_eq!(s.core.expire_once(now).await.unwrap(), Default::default());
    assert_eq!(status().await, "open");
    let later = now + chrono::Duration::days(31);
    assert_eq!(s.core.expire_once(later).await.unwrap().closed, 1);
    assert_eq!(status().await, "closed");
    s.db.finish().await;
}

#[tokio::test]
async fn match_notices_carry_loan_buttons_on_telegram_and_signed_links_by_email() {
    let mut w = World::new().await.linked().await;
    let list = paul_offers_jeanne_asks(&mut w, "Je cherche une perceuse").await;
    let mail = |id: &str, text: &str| said(ChannelKind::Email, &list, id, JEANNE, "Jeanne", text, Utc::now());
    w.drain().await;
    // Jeanne's notice (email) has a signed link to ask to borrow; Paul's (Telegram) a button to
    // lend to her.
    let notice = w.email.sent_to(JEANNE).pop().unwrap();
    let at = notice.find("Pour demander à l'emprunter : ").expect(&notice);
    let url = notice[at..].split_whitespace().find(|w| w.starts_with("http")).unwrap();
    let borrow = url.split_once("?t=").unwrap().1.to_owned();
    let paul_notice = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .find(|m| m.text.contains("cherche justement"))
        .expect("Paul's match notice");
    let buttons = paul_notice.reply_markup.clone().expect("inline buttons")["inline_keyboard"].clone();
    assert_eq!(buttons[0][0]["text"], "📦 Prêter à Jeanne");
    let lend = buttons[0][0]["callback_data"].as_str().unwrap().to_owned();

    // Jeanne's link: the page asks, its button proposes (as /emprunte), once.
    let (_, question, button) = w.core.loan_link_page(&borrow).await.unwrap().expect("a valid link");
    assert_eq!(question, "Demander à Paul de vous prêter perceuse (annonce n°1) ?");
    assert_eq!(button, "📦 Emprunter");
    assert_eq!(
        scalar(&w.db.pool, "SELECT count(*) FROM loans").await,
        0,
        "GET acts not"
    );
    let (_, done) = w.core.loan_link_post(&borrow).await.unwrap().unwrap();
    assert!(done.contains("Proposition de prêt n°1"), "{done}");
    w.drain().await;
    assert!(
        w.bot_texts(GROUP)
            .iter()
            .any(|t| t.contains("Jeanne voudrait emprunter votre perceuse")),
        "{:?}",
        w.bot_texts(GROUP)
    );
    // Asked until when by email (a link has no answer to reply to).
    assert!(
        w.email.sent_to(JEANNE).last().unwrap().contains("Jusqu'à quand ?"),
        "{:?}",
        w.email.sent_to(JEANNE).last()
    );
    let (_, again) = w.core.loan_link_post(&borrow).await.unwrap().unwrap();
    assert!(again.contains("est déjà à votre nom"), "{again}");
    w.core.ingest(&mail("<m2@example.org>", "/annule")).await.unwrap();
    w.drain().await;
    assert_eq!(loan_row(&w.db.pool, 1).await.0, "cancelled");

    // Anne may not press Paul's button; Paul's press proposes to lend to Jeanne, who hears by
    // email with the links to confirm.
    w.fake.callback(GROUP, ADMIN, "Anne", &lend, paul_notice.message_id);
    w.poll().await;
    let answers = w.fake.calls_of("answerCallbackQuery");
    assert!(
        answers.last().unwrap().params["text"]
            .as_str()
            .unwrap()
            .contains("Ce bouton est pour"),
        "{:?}",
        answers.last().map(|c| &c.params)
    );
    assert_eq!(scalar(&w.db.pool, "SELECT count(*) FROM loans").await, 1);
    assert!(
        w.fake.calls_of("editMessageReplyMarkup").is_empty(),
        "Anne's press leaves Paul's button"
    );
    w.fake.callback(GROUP, PAUL, "Paul", &lend, paul_notice.message_id);
    w.poll().await;
    w.drain().await;
    assert_eq!(
        w.fake.calls_of("editMessageReplyMarkup").len(),
        1,
        "Paul's press takes it"
    );
    assert_eq!(loan_row(&w.db.pool, 2).await.0, "proposed");
    let proposal = w.email.sent_to(JEANNE).pop().unwrap();
    assert!(
        proposal.contains("Paul vous propose de vous prêter perceuse") && proposal.contains("Pour confirmer :"),
        "{proposal}"
    );
    // Paul is asked until when in the group, and his reply sets it.
    let question = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .rfind(|m| m.text.contains("Jusqu'à quand ?"))
        .expect("the question to Paul");
    w.fake.user_reply(GROUP, PAUL, "Paul", "3 jours", question.message_id);
    w.poll().await;
    w.drain().await;
    let today = Utc::now().with_timezone(&chrono_tz::Europe::Paris).date_naive();
    assert_eq!(loan_row(&w.db.pool, 2).await.1, today + chrono::Duration::days(3));
    assert!(
        w.email.sent_to(JEANNE).last().unwrap().contains("📅 Prêt n°2"),
        "{:?}",
        w.email.sent_to(JEANNE).last()
    );

    // The other way round: Jeanne lends by email, her notice's link proposes it to Paul.
    w.core
        .ingest(&mail("<m3@example.org>", "Je prête mon escabeau"))
        .await
        .unwrap();
    w.fake.user_message(GROUP, PAUL, "Paul", "Je cherche un escabeau");
    w.poll().await;
    w.drain().await;
    let notice = w.email.sent_to(JEANNE).pop().unwrap();
    let at = notice.find("Pour proposer de le prêter : ").expect(&notice);
    let url = notice[at..].split_whitespace().find(|w| w.starts_with("http")).unwrap();
    let lend_link = url.split_once("?t=").unwrap().1.to_owned();
    let (_, question, button) = w.core.loan_link_page(&lend_link).await.unwrap().unwrap();
    assert!(
        question.starts_with("Proposer à Paul de lui prêter escabeau"),
        "{question}"
    );
    assert_eq!(button, "📦 Proposer le prêt");
    let (_, done) = w.core.loan_link_post(&lend_link).await.unwrap().unwrap();
    assert!(done.contains("envoyée à Paul"), "{done}");
    w.drain().await;
    assert!(
        w.bot_texts(GROUP)
            .iter()
            .any(|t| t.contains("Jeanne vous propose de vous prêter escabeau")),
        "{:?}",
        w.bot_texts(GROUP)
    );
    w.finish().await;
}

#[tokio::test]
async fn a_matrix_neighbour_reads_the_commands_in_the_bang_form() {
    let db = TestDb::new().await;
    let room = "!street:example.org";
    link_room(&db.pool, ChannelKind::Matrix, room, "saint-servan")
        .await
        .unwrap();
    let core = core(&db.pool);
    let matrix = Recorder::new(ChannelKind::Matrix);
    let outbox = outbox(&db.pool, vec![matrix.clone()]);
    let at = morning(day(JUNE_10));
    let say = |id: &str, who: &str, text: &str| {
        said(
            ChannelKind::Matrix,
            room,
            id,
            &format!("@{}:example.org", who.to_lowercase()),
            who,
            text,
            at,
        )
    };
    core.ingest(&say("$1", "Paul", "Je prête ma perceuse")).await.unwrap();
    core.ingest(&say("$2", "Jeanne", "Je cherche une perceuse"))
        .await
        .unwrap();
    core.ingest(&say("$3", "Jeanne", "!emprunte 1")).await.unwrap();
    drain(&db.pool, &outbox, std::time::Duration::from_secs(10)).await;
    let sent = matrix.sent_to(room);
    assert!(
        sent.iter().any(|t| t.contains("Si c'est un prêt : !emprunte 1")),
        "{sent:#?}"
    );
    assert!(sent.iter().any(|t| t.contains("Répondez !accepte 1")), "{sent:#?}");
    assert!(
        sent.iter().any(|t| t.contains("!annule 1 pour la retirer")),
        "{sent:#?}"
    );
    assert!(
        !sent.iter().any(|t| t.contains("/emprunte") || t.contains("/accepte")),
        "{sent:#?}"
    );
    db.finish().await;
}

#[tokio::test]
async fn three_neighbours_asking_at_once_for_two_copies_make_two_proposals_and_one_wait() {
    let s = Street::empty().await;
    s.say("Paul", "J'ai 2 perceuses à prêter").await;
    let offer = scalar(&s.db.pool, "SELECT id FROM posts WHERE direction = 'offer'").await;
    // Three daemons, each with one neighbour's /emprunte, at the same moment.
    let at = morning(day(JUNE_10)) + chrono::Duration::hours(3);
    let ask = |who: &str| {
        let text = format!("/emprunte {offer} 3");
        said(
            ChannelKind::Console,
            ROOM,
            &format!("x-{who}"),
            &who.to_lowercase(),
            who,
            &text,
            at,
        )
    };
    let (a, b, c) = (core(&s.db.pool), core(&s.db.pool), core(&s.db.pool));
    let (ja, ma, la) = (ask("Jeanne"), ask("Marc"), ask("Lucie"));
    let (ra, rb, rc) = tokio::join!(a.ingest(&ja), b.ingest(&ma), c.ingest(&la));
    for r in [ra, rb, rc] {
        r.unwrap();
    }
    assert_eq!(scalar(&s.db.pool, "SELECT count(*) FROM loans").await, 2);
    assert_eq!(scalar(&s.db.pool, "SELECT count(*) FROM loan_waiters").await, 1);
    s.db.finish().await;
}
