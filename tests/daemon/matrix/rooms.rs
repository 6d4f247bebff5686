//! Rooms: created once per area across two start-ups, with the alias, name and history
//! visibility asked for; a room made by hand linked by its creator (room version 12), refused to
//! a member who is not an administrator; unknown areas answered.

use std::time::Duration;

use voisinage::channels::matrix::{Matrix, Syncer};

use super::{Neighbour, Synapse, World, unique};

async fn matrix_rooms(w: &World) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT area_slug, external_id FROM chats WHERE channel = 'matrix' AND kind = 'room' ORDER BY area_slug",
    )
    .fetch_all(&w.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn rooms_are_created_once_per_area_across_two_start_ups() {
    let hs = Synapse::shared();
    let mut w = World::new(hs).await;
    w.sync().await;
    let first = matrix_rooms(&w).await;
    assert_eq!(first.len(), 9, "{first:?}");
    let mut kept: Vec<String> = std::fs::read_dir(w.data_dir.join("matrix"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .map(|n| {
            n.split_once('.')
                .map_or("store-*".to_owned(), |(_, ext)| format!("*.{ext}"))
        })
        .collect();
    kept.sort();
    // The session, the SDK's store (keys) and its passphrase, the key backup's recovery key.
    assert_eq!(
        kept,
        ["*.json", "*.recovery-key", "*.store-passphrase", "store-*"].map(String::from),
        "the session and the keys are kept in the data directory"
    );

    // A neighbour finds the room by its alias and sees what the bot set up.
    let jeanne = Neighbour::login(hs, &unique("jeanne")).await;
    let alias = format!("#{}saint-servan:localhost", w.prefix);
    let room = jeanne.join(&alias).await;
    assert_eq!(first.iter().find(|(a, _)| a == "saint-servan").unwrap().1, room);
    let name = jeanne
        .call(reqwest::Method::GET, &format!("/rooms/{room}/state/m.room.name/"), None)
        .await;
    assert_eq!(name["name"], "Voisinage · Saint-Servan");
    let hv = jeanne
        .call(
            reqwest::Method::GET,
            &format!("/rooms/{room}/state/m.room.history_visibility/"),
            None,
        )
        .await;
    assert_eq!(hv["history_visibility"], "shared");

    // A second start-up (a new process: new adapter, same data directory, and even a new
    // database that knows no room): the rooms are adopted by alias, not created again.
    w.syncer.release().await;
    let mx2 = Matrix::new(&w.settings, &w.data_dir).unwrap();
    let db2 = crate::helpers::TestDb::new().await;
    let core2 = crate::helpers::core(&db2.pool);
    let mut syncer2 = Syncer::new(mx2, core2);
    syncer2.sync_once(Duration::ZERO).await.unwrap();
    let again: Vec<(String, String)> = sqlx::query_as(
        "SELECT area_slug, external_id FROM chats WHERE channel = 'matrix' AND kind = 'room' ORDER BY area_slug",
    )
    .fetch_all(&db2.pool)
    .await
    .unwrap();
    assert_eq!(again, first);
    let session = std::fs::read_dir(w.data_dir.join("matrix"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with("session-") && name.ends_with(".json")
        })
        .expect("the session file");
    let devices = std::fs::read_to_string(session).unwrap();
    assert!(devices.contains("access_token"));
    syncer2.release().await;
    db2.finish().await;
    w.finish().await;
}

#[tokio::test]
async fn a_room_made_by_hand_is_linked_by_its_creator_only() {
    let hs = Synapse::shared();
    let mut w = World::new(hs).await;
    w.sync().await;
    let bot = w.mx.user_id().to_owned();
    let anne = Neighbour::login(hs, &unique("anne")).await;
    let paul = Neighbour::login(hs, &unique("paul")).await;
    let created = anne
        .call(
            reqwest::Method::POST,
            "/createRoom",
            Some(serde_json::json!({"preset": "public_chat", "name": "Dinard entre voisins", "invite": [bot]})),
        )
        .await;
    let room = created["room_id"].as_str().unwrap().to_owned();
    paul.join(&room).await;
    w.sync().await; // the bot accepts the invitation
    paul.say(&room, "!relier dinard").await;
    w.sync().await;
    w.drain().await;
    let said = anne.bodies_from(&room, &bot).await;
    assert!(said.last().unwrap().contains("seul un administrateur"), "{said:?}");
    assert_ne!(w.room_of("dinard").await, room);

    anne.say(&room, "!relier nulle-part").await;
    anne.say(&room, "!relier dinard").await;
    w.sync().await;
    w.drain().await;
    let said = anne.bodies_from(&room, &bot).await;
    assert!(said[said.len() - 2].contains("nulle-part"), "{said:?}");
    assert!(said.last().unwrap().contains("Dinard"), "{said:?}");
    assert_eq!(
        w.room_of("dinard").await,
        room,
        "the creator (room version 12) linked it"
    );
    w.finish().await;
}
