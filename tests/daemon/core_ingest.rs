//! Ingest against a real PostgreSQL: idempotence, matching, relays, commands.

use voisinage::core::ingest::Ingested;
use voisinage::core::model::ChannelKind;
use voisinage::store::{link_room, posts};

use crate::helpers::{TestDb, core, count, inbound};

async fn stored(r: Ingested) -> (i64, Vec<i64>, Vec<i64>) {
    match r {
        Ingested::Stored {
            message_id,
            posts,
            matches,
            ..
        } => (message_id, posts, matches),
        Ingested::Duplicate => panic!("unexpected duplicate"),
    }
}

#[tokio::test]
async fn the_same_message_twice_is_stored_once() {
    let db = TestDb::new().await;
    let core = core(&db.pool);
    link_room(&db.pool, ChannelKind::Console, "room-a", "saint-servan")
        .await
        .unwrap();
    link_room(&db.pool, ChannelKind::Telegram, "-100123", "saint-servan")
        .await
        .unwrap();
    let m = inbound(
        "room-a",
        "42",
        "Jeanne",
        "Je prête ma perceuse et mon escabeau ce week-end",
    );
    let (_, first_posts, _) = stored(core.ingest(&m).await.unwrap()).await;
    assert_eq!(first_posts.len(), 2);
    let deliveries = count(&db.pool, "deliveries").await;
    assert!(deliveries >= 3, "a relay and two notices");
    assert_eq!(core.ingest(&m).await.unwrap(), Ingested::Duplicate);
    assert_eq!(count(&db.pool, "messages").await, 1);
    assert_eq!(count(&db.pool, "posts").await, 2);
    assert_eq!(count(&db.pool, "deliveries").await, deliveries);
    db.finish().await;
}

#[tokio::test]
async fn a_request_finds_the_open_offer_of_its_area_only() {
    let db = TestDb::new().await;
    let core = core(&db.pool);
    link_room(&db.pool, ChannelKind::Console, "servan", "saint-servan")
        .await
        .unwrap();
    link_room(&db.pool, ChannelKind::Console, "parame", "parame")
        .await
        .unwrap();
    let (_, here, _) = stored(
        core.ingest(&inbound("servan", "1", "Jeanne", "Je prête ma perceuse"))
            .await
            .unwrap(),
    )
    .await;
    let (_, _, _) = stored(
        core.ingest(&inbound("parame", "2", "Paul", "Je prête ma perceuse"))
            .await
            .unwrap(),
    )
    .await;
    stored(
        core.ingest(&inbound("servan", "3", "Luc", "je prête mon escabeau"))
            .await
            .unwrap(),
    )
    .await;

    let (_, req, matches) = stored(
        core.ingest(&inbound(
            "servan",
            "4",
            "Karim",
            "Qqn aurait une perceuse à me prêter ?",
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(matches.len(), 1, "one offer of drills in Saint-Servan, none of ladders");
    let (r, o): (i64, i64) = sqlx::query_as("SELECT request_id, offer_id FROM matches WHERE id = $1")
        .bind(matches[0])
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!((r, o), (req[0], here[0]));

    // Jeanne closes her offer: the next request finds nothing.
    let jeanne: i64 = sqlx::query_scalar("SELECT member_id FROM posts WHERE id = $1")
        .bind(here[0])
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        posts::close(&db.pool, here[0], jeanne).await.unwrap(),
        posts::Close::Closed {
            item: "perceuse".into()
        }
    );
    let (_, _, matches) = stored(
        core.ingest(&inbound("servan", "5", "Léa", "Je cherche une perceuse"))
            .await
            .unwrap(),
    )
    .await;
    assert!(matches.is_empty(), "a closed offer no longer matches");
    // And the reverse: a new offer finds the open requests.
    let (_, _, matches) = stored(
        core.ingest(&inbound("servan", "6", "Tom", "Perceuse dispo si besoin"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(matches.len(), 2, "Karim's and Léa's requests");
    db.finish().await;
}

#[tokio::test]
async fn messages_are_relayed_to_the_other_rooms_with_their_author() {
    let db = TestDb::new().await;
    let core = core(&db.pool);
    link_room(&db.pool, ChannelKind::Console, "room", "rocabey")
        .await
        .unwrap();
    link_room(&db.pool, ChannelKind::Telegram, "-1001", "rocabey")
        .await
        .unwrap();
    link_room(&db.pool, ChannelKind::Matrix, "!x:example.org", "rocabey")
        .await
        .unwrap();
    link_room(&db.pool, ChannelKind::Telegram, "-1002", "parame")
        .await
        .unwrap();
    stored(
        core.ingest(&inbound("room", "1", "Jeanne", "Bonjour tout le monde"))
            .await
            .unwrap(),
    )
    .await;
    let relays: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT channel, target, payload->>'text' FROM deliveries WHERE payload->>'kind' = 'relay' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        relays.len(),
        2,
        "to the area's Telegram and Matrix rooms, not to another area"
    );
    for (_, target, text) in &relays {
        assert_ne!(target, "-1002");
        assert!(
            text.starts_with("Jeanne (console)") && text.ends_with("Bonjour tout le monde"),
            "{text}"
        );
    }
    db.finish().await;
}

#[tokio::test]
async fn chats_of_no_area_store_the_message_and_nothing_else() {
    let db = TestDb::new().await;
    let core = core(&db.pool);
    let r = core
        .ingest(&inbound("unknown-chat", "1", "Eve", "Je prête ma perceuse"))
        .await
        .unwrap();
    assert!(matches!(r, Ingested::Stored { area: None, .. }));
    assert_eq!(count(&db.pool, "messages").await, 1, "nothing said is lost");
    assert_eq!(count(&db.pool, "posts").await, 0);
    assert_eq!(count(&db.pool, "deliveries").await, 0);
    db.finish().await;
}

#[tokio::test]
async fn commands_are_answered_and_only_authors_close_their_posts() {
    let db = TestDb::new().await;
    let core = core(&db.pool);
    link_room(&db.pool, ChannelKind::Console, "room", "parame")
        .await
        .unwrap();
    let (_, p, _) = stored(
        core.ingest(&inbound("room", "1", "Jeanne", "Je donne un canapé"))
            .await
            .unwrap(),
    )
    .await;
    let answer = |id: i64| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT d.payload->>'text' FROM deliveries d JOIN messages m ON m.id = d.cause_message_id
                 WHERE m.native_id = $1 AND d.payload->>'kind' = 'answer'",
            )
            .bind(id.to_string())
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    stored(
        core.ingest(&inbound("room", "2", "Paul", &format!("/fini {}", p[0])))
            .await
            .unwrap(),
    )
    .await;
    assert!(answer(2).await.contains(&p[0].to_string()));
    let status: String = sqlx::query_scalar("SELECT status FROM posts WHERE id = $1")
        .bind(p[0])
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(status, "open", "Paul cannot close Jeanne's post");
    stored(
        core.ingest(&inbound("room", "3", "Jeanne", &format!("/fini@VoisinageBot {}", p[0])))
            .await
            .unwrap(),
    )
    .await;
    assert!(answer(3).await.contains("canapé"));
    let status: String = sqlx::query_scalar("SELECT status FROM posts WHERE id = $1")
        .bind(p[0])
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(status, "closed");
    stored(
        core.ingest(&inbound("room", "4", "Paul", "/annonces jardinage"))
            .await
            .unwrap(),
    )
    .await;
    assert!(!answer(4).await.is_empty());
    stored(
        core.ingest(&inbound("room", "5", "Paul", "/annonces outils"))
            .await
            .unwrap(),
    )
    .await;
    assert!(
        answer(5).await.contains("bricolage"),
        "an unknown category lists the known ones"
    );
    stored(core.ingest(&inbound("room", "6", "Paul", "/aide")).await.unwrap()).await;
    assert!(answer(6).await.contains("/chercher"));
    assert_eq!(count(&db.pool, "posts").await, 1, "commands are not posts");
    db.finish().await;
}

#[tokio::test]
async fn a_long_message_is_stored_and_relayed_whole_but_parsed_up_to_the_cap() {
    let db = TestDb::new().await;
    let core = core(&db.pool);
    link_room(&db.pool, ChannelKind::Console, "room", "rocabey")
        .await
        .unwrap();
    link_room(&db.pool, ChannelKind::Matrix, "!x:example.org", "rocabey")
        .await
        .unwrap();
    // Chatter up to the cap, then a post phrase the parser never reads.
    let chatter = "Il fait beau aujourd'hui dans le quartier. ".repeat(core.parse_max_chars / 40);
    let text = format!("{chatter}Je prête ma perceuse ce week-end.");
    assert!(text.chars().count() > core.parse_max_chars);
    let (message_id, posts, _) = stored(core.ingest(&inbound("room", "1", "Jeanne", &text)).await.unwrap()).await;
    assert!(posts.is_empty(), "the post phrase lies after the cap");
    let body = body_of(&db.pool, message_id).await;
    assert_eq!(body, text);
    let relay: String = sqlx::query_scalar("SELECT payload->>'text' FROM deliveries WHERE payload->>'kind' = 'relay'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(relay.ends_with("Je prête ma perceuse ce week-end."), "relayed whole");
    // The same phrase before the cap is a post.
    let (_, posts, _) = stored(
        core.ingest(&inbound("room", "2", "Jeanne", "Je prête ma perceuse ce week-end."))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(posts.len(), 1);
    db.finish().await;
}

/// Huge messages are parsed off the runtime's workers: a ticker on the same runtime keeps
/// ticking while they are ingested. The parser reads the whole text here (a cap as large as
/// the messages), so each parse is long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parsing_huge_messages_does_not_stall_the_runtime() {
    let db = TestDb::new().await;
    let mut core =
        voisinage::core::Core::with_defaults(db.pool.clone(), std::sync::Arc::new(voisinage::areas::Areas::example()));
    core.parse_max_chars = usize::MAX;
    let core = std::sync::Arc::new(core);
    link_room(&db.pool, ChannelKind::Console, "room", "rocabey")
        .await
        .unwrap();
    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop = tokio_util::sync::CancellationToken::new();
    let ticker = tokio::spawn({
        let (ticks, stop) = (ticks.clone(), stop.clone());
        async move {
            let mut every = tokio::time::interval(std::time::Duration::from_millis(10));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !stop.is_cancelled() {
                every.tick().await;
                ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    let started = std::time::Instant::now();
    let phrase = "lit bébé samedi 12 juin, je prête ma perceuse ";
    let huge = phrase.repeat((512 << 10) / phrase.len());
    let mut jobs = tokio::task::JoinSet::new();
    // Four senders: one new sender's concurrent first messages would race to create them.
    for n in 0..4 {
        let (core, text) = (core.clone(), huge.clone());
        jobs.spawn(async move {
            core.ingest(&inbound("room", &n.to_string(), &format!("Voisin {n}"), &text))
                .await
        });
    }
    while let Some(r) = jobs.join_next().await {
        r.unwrap().unwrap();
    }
    stop.cancel();
    ticker.await.unwrap();
    let elapsed = started.elapsed();
    let ticked = ticks.load(std::sync::atomic::Ordering::Relaxed);
    // At most one tick per 10 ms. Parses on both workers would stall the ticker for most of
    // the run (four long parses, two workers); ask for half the ticks the time allows.
    let expected = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX) / 10;
    assert!(ticked * 2 >= expected, "{ticked} ticks in {elapsed:?}");
    db.finish().await;
}

/// A fresh database whose console room "room-a" is Saint-Servan's.
async fn room_a() -> (TestDb, std::sync::Arc<voisinage::core::Core>) {
    let db = TestDb::new().await;
    let core = core(&db.pool);
    link_room(&db.pool, ChannelKind::Console, "room-a", "saint-servan")
        .await
        .unwrap();
    (db, core)
}

/// The deliveries queued, in queue order: (cause message, channel, target).
async fn queued(pool: &sqlx::PgPool) -> Vec<(Option<i64>, String, String)> {
    sqlx::query_as("SELECT cause_message_id, channel, target FROM deliveries ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_poll_round_ingested_together_does_what_each_message_does_alone() {
    let round = [
        inbound("room-a", "1", "Jeanne", "Je prête ma perceuse ce week-end"),
        inbound("room-a", "2", "Paul", "Qqn aurait une perceuse à me prêter ?"),
        inbound("room-a", "3", "Luc", "Bonne soirée à tous"),
        inbound("room-a", "1", "Jeanne", "Je prête ma perceuse ce week-end"),
        // A command ends the run of plain words stored together; Luc, new in this round, is
        // the same member in every message.
        inbound("room-a", "5", "Luc", "/aide"),
        inbound("room-a", "6", "Luc", "Je donne un vélo d'enfant"),
    ];
    let mut outcomes = Vec::new();
    let mut authors = Vec::new();
    for together in [false, true] {
        let (db, core) = room_a().await;
        link_room(&db.pool, ChannelKind::Telegram, "-100123", "saint-servan")
            .await
            .unwrap();
        let done = match together {
            true => core.ingest_batch(&round).await.unwrap(),
            false => {
                let mut done = Vec::new();
                for m in &round {
                    done.push(core.ingest(m).await.unwrap());
                }
                done
            }
        };
        let shape: Vec<(usize, usize)> = done
            .iter()
            .map(|d| match d {
                Ingested::Stored { posts, matches, .. } => (posts.len(), matches.len()),
                Ingested::Duplicate => (usize::MAX, usize::MAX),
            })
            .collect();
        // The offer, the request that finds it in the same round, chatter, a redelivery, a
        // command, an offer.
        let redelivery = (usize::MAX, usize::MAX);
        assert_eq!(shape, vec![(1, 0), (1, 1), (0, 0), redelivery, (0, 0), (1, 0)]);
        let by: Vec<(String, Option<i64>)> = sqlx::query_as("SELECT native_id, member_id FROM messages ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
        assert_eq!(by[2].1, by[4].1, "Luc's messages: {by:?}");
        authors.push(by);
        let rows = queued(&db.pool).await;
        let causes: Vec<Option<i64>> = rows.iter().map(|r| r.0).collect();
        assert!(causes.is_sorted(), "deliveries in the messages' order: {causes:?}");
        assert_eq!(count(&db.pool, "messages").await, 5);
        outcomes.push(rows.into_iter().map(|(_, c, t)| (c, t)).collect::<Vec<_>>());
        db.finish().await;
    }
    assert_eq!(outcomes[0], outcomes[1], "the same deliveries, in the same order");
    assert_eq!(authors[0], authors[1], "the same messages by the same members");
}

#[tokio::test]
async fn a_message_that_fails_in_a_round_fails_alone_and_keeps_the_order() {
    let (db, core) = room_a().await;
    // The store refuses one message (as it would a value out of a column's range).
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.body LIKE '%boom%' THEN RAISE EXCEPTION 'message refused by the store'; END IF;
         RETURN NEW; END $$;
         CREATE TRIGGER refuse_boom BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_boom();",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let broken = inbound("room-a", "2", "Paul", "boom");
    let round = [
        inbound("room-a", "1", "Jeanne", "Je prête ma perceuse"),
        broken,
        inbound("room-a", "3", "Luc", "Je donne un vélo"),
    ];
    let err = core.ingest_batch(&round).await.unwrap_err();
    assert!(format!("{err:#}").contains("refused by the store"), "{err:#}");
    // The message before it is kept; the one after waits, so the chat's order holds when the
    // round is handled again.
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM messages ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(bodies, vec!["Je prête ma perceuse".to_owned()]);
    let again = core.ingest_batch(&round[2..]).await.unwrap();
    assert!(matches!(again[..], [Ingested::Stored { .. }]));
    assert_eq!(count(&db.pool, "messages").await, 2);
    db.finish().await;
}

#[tokio::test]
async fn a_nul_character_is_dropped_not_refused() {
    let (db, core) = room_a().await;
    let (id, posts, _) = stored(
        core.ingest(&inbound("room-a", "1", "Jea\0nne", "Je prête\0 ma perceuse"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(posts.len(), 1);
    let body = body_of(&db.pool, id).await;
    assert_eq!(body, "Je prête ma perceuse");
    db.finish().await;
}

/// An edit carrying U+0000 (which PostgreSQL's text columns refuse) is applied without it,
/// rather than failing on every retry.
#[tokio::test]
async fn an_edit_with_a_nul_character_is_applied_without_it() {
    let (db, core) = room_a().await;
    let (id, _, _) = stored(
        core.ingest(&inbound("room-a", "1", "Jeanne", "Je prête ma perceuse"))
            .await
            .unwrap(),
    )
    .await;
    let edit = voisinage::core::model::Edit {
        channel: ChannelKind::Console,
        chat: "room-a".into(),
        native_id: "1".into(),
        edit_key: "e\u{0}1".into(),
        text: "Je prête ma\0 scie".into(),
        edited_at: chrono::Utc::now(),
    };
    let changed = core.edit(&edit).await.unwrap();
    assert!(
        matches!(changed, voisinage::core::edits::Changed::Applied { .. }),
        "{changed:?}"
    );
    let body = body_of(&db.pool, id).await;
    assert_eq!(body, "Je prête ma scie");
    // The same edit again is a redelivery.
    let again = core.edit(&edit).await.unwrap();
    assert_eq!(again, voisinage::core::edits::Changed::Duplicate);
    db.finish().await;
}

/// The stored text of message `id`.
async fn body_of(pool: &sqlx::PgPool, id: i64) -> String {
    sqlx::query_scalar("SELECT body FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}
