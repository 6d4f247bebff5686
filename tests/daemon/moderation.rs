//! Area moderators, erasure and export (issue 14), against the Bot API fake and Synapse.

use std::sync::Arc;
use std::time::Duration;

use voisinage::channels::telegram::Telegram;
use voisinage::core::Channel;
use voisinage::core::model::ChannelKind;

use crate::helpers::{Recorder, TestDb, at, core, drain, inbound, outbox};
use crate::matrix::{Neighbour, Synapse, unique};
use crate::telegram::{ADMIN, CONSOLE_ROOM, GROUP, PAUL, World};

const MARIE: i64 = 13;

async fn scalar_i64(pool: &sqlx::PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn moderators_remove_ban_and_hear_reports_privately() {
    let mut w = World::new().await.linked().await;
    w.fake.set_member(GROUP, MARIE, "Marie", "member");
    w.fake.add_chat(ADMIN, "private", "Anne");
    w.fake.add_chat(MARIE, "private", "Marie");
    let (_, scam) = w
        .fake
        .user_message(GROUP, PAUL, "Paul", "Je vends un iPhone neuf 50 euros, virement");
    w.poll().await;
    w.drain().await;
    assert_eq!(w.console.sent_to(CONSOLE_ROOM).len(), 1);

    // Not a moderator: a clear refusal, nothing removed.
    w.fake.user_reply(GROUP, MARIE, "Marie", "/supprimer", scam);
    w.poll().await;
    w.drain().await;
    assert!(w.bot_texts(GROUP).last().unwrap().contains("seuls les modérateurs"));
    assert!(!w.fake.deleted_ids(GROUP).contains(&scam));

    // Marie reports it: the command leaves the group, Anne (an administrator) hears privately,
    // Marie is thanked privately, the group hears nothing.
    let before = w.bot_texts(GROUP).len();
    let (_, report) = w.fake.user_reply(GROUP, MARIE, "Marie", "/signaler", scam);
    w.poll().await;
    w.drain().await;
    assert_eq!(
        w.bot_texts(GROUP).len(),
        before,
        "nothing public: {:?}",
        w.bot_texts(GROUP)
    );
    assert!(
        w.fake.deleted_ids(GROUP).contains(&report),
        "the /signaler command is removed"
    );
    let told = w.fake.bot_sent(ADMIN);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].text.contains("iPhone") && told[0].text.contains("Marie"),
        "{}",
        told[0].text
    );
    assert!(w.bot_texts(MARIE)[0].contains("Merci"), "{:?}", w.bot_texts(MARIE));

    assert!(
        w.fake.bot_sent(GROUP).iter().any(|m| m.reply_to == Some(scam)),
        "the bot acknowledged the post: {:?}",
        w.bot_texts(GROUP)
    );
    // Anne answers the report privately with /supprimer: the message goes everywhere.
    w.fake
        .user_reply(ADMIN, ADMIN, "Anne", "/supprimer", told[0].message_id);
    w.poll().await;
    w.drain().await;
    assert!(w.fake.deleted_ids(GROUP).contains(&scam), "deleted where it was said");
    let about: Vec<String> = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .filter(|m| m.reply_to == Some(scam))
        .map(|m| m.text)
        .collect();
    assert!(about.is_empty(), "the bot's notices about it go too: {about:?}");
    let console = w.console.sent_to(CONSOLE_ROOM);
    assert!(console.last().unwrap().starts_with("delete remote-"), "{console:?}");
    assert!(
        w.bot_texts(ADMIN).last().unwrap().contains("supprimé"),
        "{:?}",
        w.bot_texts(ADMIN)
    );
    let reasons: Vec<String> = sqlx::query_scalar("SELECT closed_reason FROM posts")
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    assert!(
        !reasons.is_empty() && reasons.iter().all(|r| r == "moderated"),
        "{reasons:?}"
    );

    // /bannir in reply in the group: banned from the group, no longer read.
    let (_, hello) = w.fake.user_message(GROUP, PAUL, "Paul", "Encore moi");
    w.poll().await;
    w.drain().await;
    w.fake.user_reply(GROUP, ADMIN, "Anne", "/bannir", hello);
    w.poll().await;
    w.drain().await;
    assert_eq!(w.fake.member_status(GROUP, PAUL).as_deref(), Some("kicked"));
    let relayed = w.console.sent_to(CONSOLE_ROOM).len();
    w.fake.user_message(GROUP, PAUL, "Paul", "Je donne une perceuse");
    w.poll().await;
    w.drain().await;
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM).len(),
        relayed,
        "a banned member is not relayed"
    );
    assert_eq!(
        scalar_i64(&w.db.pool, "SELECT count(*) FROM posts WHERE item = 'perceuse'").await,
        0
    );

    // /debannir undoes it.
    w.fake.user_reply(GROUP, ADMIN, "Anne", "/debannir", hello);
    w.poll().await;
    w.drain().await;
    assert_eq!(w.fake.member_status(GROUP, PAUL).as_deref(), Some("left"));
    w.fake.user_message(GROUP, PAUL, "Paul", "Je prête mon escabeau");
    w.poll().await;
    w.drain().await;
    assert_eq!(w.console.sent_to(CONSOLE_ROOM).len(), relayed + 1);

    // The log, privately, for moderators only.
    w.fake.user_message(GROUP, ADMIN, "Anne", "/journal");
    w.poll().await;
    w.drain().await;
    let log = w.bot_texts(ADMIN).last().unwrap().clone();
    for line in ["a signalé", "a supprimé", "a banni", "levé le bannissement"] {
        assert!(log.contains(line), "{line}: {log}");
    }
    let mut lines: Vec<(String, Vec<String>)> = sqlx::query_as("SELECT action, copies FROM moderation_log ORDER BY id")
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(
        lines.iter().map(|l| l.0.as_str()).collect::<Vec<_>>(),
        ["report", "delete", "ban", "unban"]
    );
    let deleted = lines.remove(1).1;
    assert!(deleted.contains(&format!("telegram:{GROUP}")) && deleted.contains(&format!("console:{CONSOLE_ROOM}")));
    w.fake.user_message(GROUP, MARIE, "Marie", "/journal");
    w.poll().await;
    w.drain().await;
    assert!(w.bot_texts(MARIE).last().unwrap().contains("seuls les modérateurs"));
    w.finish().await;
}

#[tokio::test]
async fn moderators_named_in_the_configuration_and_their_limits() {
    let mut w = World::with(|_, core| {
        core.trust
            .moderators
            .insert("saint-servan".into(), vec![format!("telegram:{MARIE}")]);
    })
    .await
    .linked()
    .await;
    w.fake.set_member(GROUP, MARIE, "Marie", "member");
    let (_, said) = w.fake.user_message(GROUP, PAUL, "Paul", "Bonjour à tous");
    w.poll().await;
    w.drain().await;
    w.fake.user_reply(GROUP, MARIE, "Marie", "/supprimer", said);
    w.poll().await;
    w.drain().await;
    assert!(w.fake.deleted_ids(GROUP).contains(&said));
    let paul: i64 = sqlx::query_scalar("SELECT member_id FROM identities WHERE external_id = $1")
        .bind(PAUL.to_string())
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    let marie: i64 = sqlx::query_scalar("SELECT member_id FROM identities WHERE external_id = $1")
        .bind(MARIE.to_string())
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    let anne: i64 = sqlx::query_scalar("SELECT member_id FROM identities WHERE external_id = $1")
        .bind(ADMIN.to_string())
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    use voisinage::core::moderation::is_moderator;
    assert!(is_moderator(&w.core, "saint-servan", marie).await.unwrap(), "named");
    assert!(
        is_moderator(&w.core, "saint-servan", anne).await.unwrap(),
        "administrator"
    );
    assert!(!is_moderator(&w.core, "saint-servan", paul).await.unwrap());
    assert!(!is_moderator(&w.core, "rocabey", marie).await.unwrap(), "per area");
    // The administrators were asked once, then cached.
    let asked = w.fake.calls_of("getChatAdministrators").len();
    is_moderator(&w.core, "saint-servan", paul).await.unwrap();
    assert_eq!(w.fake.calls_of("getChatAdministrators").len(), asked);
    // A moderator cannot be banned.
    let (_, anne_said) = w.fake.user_message(GROUP, ADMIN, "Anne", "Réunion jeudi");
    w.poll().await;
    w.fake.user_reply(GROUP, MARIE, "Marie", "/bannir", anne_said);
    w.poll().await;
    w.drain().await;
    assert!(w.bot_texts(GROUP).last().unwrap().contains("Impossible de bannir"));
    assert_eq!(scalar_i64(&w.db.pool, "SELECT count(*) FROM bans").await, 0);
    w.finish().await;
}

/// Every value of every text-like column of every table, with where it is.
async fn every_text(pool: &sqlx::PgPool) -> Vec<(String, String)> {
    let cols: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')
           AND table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(cols.len() > 30, "{cols:?}");
    let mut out = Vec::new();
    for (table, column, kind) in cols {
        let expr = if kind == "bytea" {
            format!("encode(\"{column}\", 'escape')")
        } else {
            format!("\"{column}\"::text")
        };
        let values: Vec<Option<String>> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {expr} FROM \"{table}\"")))
                .fetch_all(pool)
                .await
                .unwrap();
        for v in values.into_iter().flatten() {
            out.push((format!("{table}.{column}"), v));
        }
    }
    out
}

#[tokio::test]
async fn forgetting_leaves_no_trace_and_takes_the_copies_down() {
    let hs = Synapse::shared();
    let mut mw = crate::matrix::World::new(hs).await;
    mw.sync().await;
    let room = mw.room_of("saint-servan").await;
    // Telegram as the area's other room.
    let fake = crate::botapi::FakeBotApi::start(crate::telegram::TOKEN).await;
    fake.add_chat(GROUP, "supergroup", "Voisins de Saint-Servan");
    fake.set_bot_status(GROUP, "administrator");
    voisinage::store::link_room(&mw.db.pool, ChannelKind::Telegram, &GROUP.to_string(), "saint-servan")
        .await
        .unwrap();
    let tg = Telegram::new(&crate::telegram::settings(&fake)).unwrap();
    let channels: Vec<Arc<dyn Channel>> = vec![mw.mx.clone(), tg.clone(), mw.console.clone()];
    let ob = outbox(&mw.db.pool, channels);

    let name = unique("zoe");
    let zoe = Neighbour::login(hs, &name).await;
    zoe.join(&room).await;
    let words = "Je prête ma scie sauteuse Bosch bleue";
    let said = zoe.say(&room, words).await;
    mw.sync().await;
    drain(&mw.db.pool, &ob, Duration::from_secs(60)).await;
    let copy = fake
        .bot_sent(GROUP)
        .into_iter()
        .find(|m| m.text.contains("scie"))
        .unwrap();
    // Her address too: she subscribed to the area's news by email.
    let address = format!("{name}@example.org");
    let member: i64 = sqlx::query_scalar("SELECT member_id FROM identities WHERE external_id = $1")
        .bind(&zoe.user_id)
        .fetch_one(&mw.db.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, member_id, rhythm) VALUES ($1, 'saint-servan', $2, 'each')")
        .bind(&address)
        .bind(member)
        .execute(&mw.db.pool)
        .await
        .unwrap();

    // And what else can name her: a second address not confirmed yet, a mail held under her
    // address, her post kept as a labelled example.
    sqlx::query(
        "INSERT INTO pending_subscriptions (address, area_slug, rhythm, member_id, lang, issued)
         VALUES ($1, 'saint-servan', 'weekly', $2, 'fr', 1)",
    )
    .bind(format!("autre.{address}"))
    .bind(member)
    .execute(&mw.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO held_mails (address, native_id, mail, reason, held_at)
         VALUES ($1, 'held-1', jsonb_build_object('text', $2::text), 'dmarc=fail', now())",
    )
    .bind(&address)
    .bind(words)
    .execute(&mw.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO corrections (message_id, by_member, kind, text, sent_at, expect)
         SELECT id, member_id, 'confirmed', body, '2026-06-10T18:30:00+02:00', '[]' FROM messages WHERE native_id = $1",
    )
    .bind(&said)
    .execute(&mw.db.pool)
    .await
    .unwrap();

    // Asked, then confirmed.
    zoe.say(&room, "!oublier").await;
    mw.sync().await;
    drain(&mw.db.pool, &ob, Duration::from_secs(60)).await;
    let asked = zoe.bodies_from(&room, mw.mx.user_id()).await;
    assert!(asked.last().unwrap().contains("oublier confirmer"), "{asked:?}");
    assert_eq!(
        scalar_i64(&mw.db.pool, "SELECT count(*) FROM identities").await,
        1,
        "nothing erased yet"
    );
    zoe.say(&room, "!oublier confirmer").await;
    mw.sync().await;
    drain(&mw.db.pool, &ob, Duration::from_secs(60)).await;

    // The copy in Telegram is deleted, her message redacted in Matrix.
    assert!(fake.deleted_ids(GROUP).contains(&copy.message_id));
    let event = zoe
        .messages(&room)
        .await
        .into_iter()
        .find(|e| e["event_id"] == said.as_str())
        .unwrap();
    assert!(event["unsigned"]["redacted_because"].is_object(), "{event}");
    assert!(event["content"].as_object().is_none_or(|c| c.is_empty()), "{event}");
    // Nothing of her words or addresses in any table.
    let all = every_text(&mw.db.pool).await;
    for needle in [words, "scie sauteuse", address.as_str(), zoe.user_id.as_str()] {
        let found: Vec<&(String, String)> = all.iter().filter(|(_, v)| v.contains(needle)).collect();
        assert!(found.is_empty(), "{needle:?} is still in {found:?}");
    }
    assert_eq!(scalar_i64(&mw.db.pool, "SELECT count(*) FROM identities").await, 0);
    assert_eq!(
        scalar_i64(&mw.db.pool, "SELECT count(*) FROM email_subscriptions").await,
        0
    );
    assert_eq!(
        scalar_i64(&mw.db.pool, "SELECT count(*) FROM posts WHERE status = 'open'").await,
        0
    );
    // The figures stay: one post, one erasure logged with counts only.
    assert_eq!(scalar_i64(&mw.db.pool, "SELECT count(*) FROM posts").await, 1);
    assert_eq!(scalar_i64(&mw.db.pool, "SELECT count(*) FROM erasures").await, 1);
    mw.finish().await;
}

#[tokio::test]
async fn the_export_holds_everything_and_old_texts_expire() {
    let db = TestDb::new().await;
    voisinage::store::link_room(&db.pool, ChannelKind::Console, CONSOLE_ROOM, "saint-servan")
        .await
        .unwrap();
    let core = core(&db.pool);
    let console = Recorder::new(ChannelKind::Console);
    let ob = outbox(&db.pool, vec![console.clone()]);
    let mut old = inbound(CONSOLE_ROOM, "c1", "Léa", "Je prête ma tondeuse");
    old.sent_at = at("2025-01-10T10:00:00+01:00").to_utc();
    core.ingest(&old).await.unwrap();
    core.ingest(&inbound(CONSOLE_ROOM, "c2", "Léa", "Qqn aurait un escabeau ?"))
        .await
        .unwrap();
    // She withdraws the second in reply to it: a labelled example of hers.
    let mut withdraw = inbound(CONSOLE_ROOM, "c2b", "Léa", "pas une annonce");
    withdraw.reply_to = Some("c2".into());
    core.ingest(&withdraw).await.unwrap();
    core.ingest(&inbound(CONSOLE_ROOM, "c3", "Léa", "/mes-donnees"))
        .await
        .unwrap();
    drain(&db.pool, &ob, Duration::from_secs(30)).await;
    let sent = console.sent_to(CONSOLE_ROOM);
    let export = sent.iter().find(|t| t.contains("\"messages\"")).expect("the export");
    let json: serde_json::Value = serde_json::from_str(&export[export.find('{').unwrap()..]).unwrap();
    let bodies: Vec<&str> = json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&"Je prête ma tondeuse") && bodies.contains(&"Qqn aurait un escabeau ?"));
    assert_eq!(json["posts"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(json["identities"][0]["external_id"], "léa");
    assert!(json["deliveries_to_you"].as_array().is_some());
    let corrections = json["answers_and_corrections"].as_array().unwrap();
    assert_eq!(corrections.len(), 1, "{json}");
    assert_eq!(corrections[0]["text"], "Qqn aurait un escabeau ?");
    assert_eq!(corrections[0]["kind"], "rejected");
    assert!(json["held_mails"].as_array().is_some() && json["pending_subscriptions"].as_array().is_some());

    // Retention at 365 days: the old message loses its text, once; the figures stay.
    let now = at("2026-06-10T20:00:00+02:00").to_utc();
    assert_eq!(core.retention_once(now).await.unwrap(), 1);
    assert_eq!(core.retention_once(now).await.unwrap(), 0, "idempotent");
    let body: String = sqlx::query_scalar("SELECT body FROM messages WHERE native_id = 'c1'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(body, "[effacé]");
    let source: String = sqlx::query_scalar(
        "SELECT p.source_text FROM posts p JOIN messages m ON m.id = p.message_id WHERE m.native_id = 'c1'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(source, "[effacé]");
    let relay: String = sqlx::query_scalar(
        "SELECT d.payload->>'text' FROM deliveries d JOIN messages m ON m.id = d.cause_message_id
         WHERE m.native_id = 'c1' AND d.payload->>'kind' = 'relay' LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await
    .unwrap()
    .unwrap_or_else(|| "[effacé]".into());
    assert_eq!(relay, "[effacé]");
    assert_eq!(scalar_i64(&db.pool, "SELECT count(*) FROM posts").await, 2);
    let kept: String = sqlx::query_scalar("SELECT body FROM messages WHERE native_id = 'c2'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(kept, "Qqn aurait un escabeau ?");
    db.finish().await;
}

/// A group administrator corrects a neighbour's misread post (issue 13: "the author or an area
/// moderator"); another member may not, and only the author confirms.
#[tokio::test]
async fn a_moderator_corrects_a_reading_and_a_member_may_not() {
    let mut w = World::new().await.linked().await;
    w.fake.set_member(GROUP, MARIE, "Marie", "member");
    let (_, said) = w
        .fake
        .user_message(GROUP, PAUL, "Paul", "Je prête mon échelle ce week-end");
    w.poll().await;
    w.drain().await;
    let ack = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .find(|m| m.reply_to == Some(said) && m.text.contains("notée"))
        .expect("acknowledged");
    let pool = w.db.pool.clone();
    let status = || async {
        sqlx::query_as::<_, (String, Option<String>)>("SELECT status, closed_reason FROM posts")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    w.fake
        .user_reply(GROUP, MARIE, "Marie", "/corriger pas une annonce", ack.message_id);
    w.poll().await;
    w.drain().await;
    assert!(
        w.bot_texts(GROUP).last().unwrap().contains("Seule la personne"),
        "{:?}",
        w.bot_texts(GROUP)
    );
    assert_eq!(status().await, ("open".to_owned(), None));
    w.fake
        .user_reply(GROUP, ADMIN, "Anne", "/corriger demande échelle", ack.message_id);
    w.poll().await;
    w.drain().await;
    let posts: Vec<(String, String, String)> = sqlx::query_as("SELECT direction, item, status FROM posts ORDER BY id")
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(
        posts,
        [
            ("offer".to_owned(), "échelle".to_owned(), "closed".to_owned()),
            ("request".to_owned(), "échelle".to_owned(), "open".to_owned())
        ],
        "{:?}",
        w.bot_texts(GROUP)
    );
    let by: i64 = sqlx::query_scalar("SELECT by_member FROM corrections")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    let anne: i64 = sqlx::query_scalar("SELECT member_id FROM identities WHERE external_id = $1")
        .bind(ADMIN.to_string())
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(by, anne, "the example records who corrected it");
    w.finish().await;
}
