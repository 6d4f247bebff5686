//! End-to-end encrypted rooms and direct chats (issue 17): the neighbour is a real Matrix
//! client built on matrix-sdk with encryption and its own sqlite store, so what the bot says
//! is only readable if it was encrypted for the neighbour's device, and what the neighbour says
//! reaches the bot encrypted.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::api::client::state::send_state_event;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId};
use matrix_sdk::{Client, Room};
use serde_json::Value;
use voisinage::channels::matrix::{Matrix, Syncer};
use voisinage::core::Channel;

use super::{CONSOLE_ROOM, PASSWORD, Synapse, World, unique};
use crate::helpers::{inbound, root};

/// A neighbour on an encrypting client (like Element): own device, own crypto store.
struct Crypted {
    client: Client,
    dir: PathBuf,
}

impl Crypted {
    async fn login(hs: &Synapse, name: &str) -> Crypted {
        Crypted::login_sharing(hs, name, "AllDevices").await
    }

    /// A client that shares its room keys per `strategy` (a `CollectStrategy` by name):
    /// "OnlyTrustedDevices" keeps them from the bot's device, which it never verified.
    async fn login_sharing(hs: &Synapse, name: &str, strategy: &str) -> Crypted {
        hs.register(name);
        let dir = root().join(format!("target/peers/e2e-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        let client = Client::builder()
            .homeserver_url(&hs.url)
            .sqlite_store(&dir, None)
            .with_room_key_recipient_strategy(serde_json::from_value(serde_json::json!(strategy)).unwrap())
            .build()
            .await
            .unwrap();
        client
            .matrix_auth()
            .login_username(name, PASSWORD)
            .send()
            .await
            .unwrap();
        let c = Crypted { client, dir };
        c.sync().await;
        c
    }

    /// One sync: room keys and device lists come in, keys go out.
    async fn sync(&self) {
        self.client
            .sync_once(SyncSettings::default().timeout(Duration::ZERO))
            .await
            .unwrap();
    }

    fn room(&self, id: &str) -> Room {
        self.client
            .get_room(&OwnedRoomId::try_from(id).unwrap())
            .expect("the neighbour's client knows the room")
    }

    /// Says `text` in `room` (encrypted when the room is).
    async fn say(&self, room: &str, text: &str) {
        self.sync().await;
        self.room(room)
            .send(RoomMessageEventContent::text_plain(text))
            .await
            .unwrap();
    }

    /// The bodies `sender` said in `room`, oldest first, as this client reads them: an event it
    /// cannot decrypt reads as "<undecryptable>", one sent in clear as "<clear> BODY".
    async fn bodies_from(&self, room: &str, sender: &str) -> Vec<String> {
        self.sync().await;
        let mut opts = MessagesOptions::backward();
        opts.limit = 100u32.into();
        let page = self.room(room).messages(opts).await.unwrap();
        let mut out: Vec<String> = page
            .chunk
            .iter()
            .filter_map(|ev| {
                let v: Value = serde_json::from_str(ev.raw().json().get()).ok()?;
                let body = v["content"]["body"].as_str().unwrap_or("");
                match v["type"].as_str() {
                    _ if v["sender"] != sender => None,
                    Some("m.room.message") if ev.encryption_info().is_some() => Some(body.to_owned()),
                    Some("m.room.message") => Some(format!("<clear> {body}")),
                    Some("m.room.encrypted") => Some("<undecryptable>".to_owned()),
                    _ => None,
                }
            })
            .collect();
        out.reverse();
        out
    }
}

impl Drop for Crypted {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn an_encrypted_dm_onboards_by_postcode() {
    let hs = Synapse::shared();
    let mut w = World::new(hs).await;
    w.sync().await; // the bot's device and its keys are on the server
    let bot = w.mx.user_id().to_owned();
    let luc = Crypted::login(hs, &unique("luc")).await;
    let dm = luc
        .client
        .create_dm(&OwnedUserId::try_from(bot.as_str()).unwrap())
        .await
        .unwrap();
    assert!(dm.latest_encryption_state().await.unwrap().is_encrypted());
    let dm = dm.room_id().to_string();
    w.sync().await; // accepts the invitation
    w.sync().await;
    luc.say(&dm, "35400").await;
    w.sync().await;
    w.drain().await;
    let said = luc.bodies_from(&dm, &bot).await;
    assert!(
        said.last().is_some_and(|t| t.contains("plusieurs quartiers")),
        "{said:?}"
    );
    luc.say(&dm, "saint-servan").await;
    w.sync().await;
    w.drain().await;
    let said = luc.bodies_from(&dm, &bot).await;
    let links = said.last().unwrap();
    assert!(
        links.contains(&format!("https://matrix.to/#/#{}saint-servan:localhost", w.prefix)),
        "{said:?}"
    );
    // Everything the bot said there was encrypted, and readable by the neighbour.
    assert!(!said.iter().any(|t| t.starts_with('<')), "{said:?}");
    w.finish().await;
}

/// Turns encryption on in `room`, as the bot (the room's administrator) would be asked to.
async fn encrypt_room(mx: &Matrix, room: &str) {
    let client = mx.connect().await.unwrap();
    let req = send_state_event::v3::Request::new(
        OwnedRoomId::try_from(room).unwrap(),
        &Default::default(),
        &RoomEncryptionEventContent::with_recommended_defaults(),
    )
    .unwrap();
    client.send(req).await.unwrap();
}

/// A world whose Saint-Servan room has encryption on and Jeanne in it, her client sharing its
/// room keys per `strategy`. Returns the world, the room and Jeanne.
async fn encrypted_area(hs: &Synapse, strategy: &str) -> (World, String, Crypted) {
    let mut w = World::new(hs).await;
    w.sync().await;
    let room = w.room_of("saint-servan").await;
    let jeanne = Crypted::login_sharing(hs, &unique("jeanne"), strategy).await;
    jeanne
        .client
        .join_room_by_id(&OwnedRoomId::try_from(room.as_str()).unwrap())
        .await
        .unwrap();
    encrypt_room(&w.mx, &room).await;
    w.sync().await;
    (w, room, jeanne)
}

/// Jeanne says `text` in `room`; the bot syncs and the outbox drains. Returns what reached the
/// console room.
async fn relayed(w: &mut World, jeanne: &Crypted, room: &str, text: &str) -> Vec<String> {
    jeanne.say(room, text).await;
    w.sync().await;
    w.drain().await;
    w.console.sent_to(CONSOLE_ROOM)
}

#[tokio::test]
async fn an_area_room_switched_to_encryption_keeps_bridging_both_ways_and_after_a_restart() {
    let hs = Synapse::shared();
    let (mut w, room, jeanne) = encrypted_area(hs, "AllDevices").await;
    let bot = w.mx.user_id().to_owned();

    // Matrix (encrypted) → the area's other room.
    let console = relayed(&mut w, &jeanne, &room, "Je prête ma perceuse samedi").await;
    assert!(
        console
            .iter()
            .any(|t| t.ends_with("(Matrix) : Je prête ma perceuse samedi")),
        "{console:?}"
    );

    // The other room → Matrix, encrypted for the neighbour's device.
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "c1", "Léa", "Je donne des confitures"))
        .await
        .unwrap();
    w.drain().await;
    let said = jeanne.bodies_from(&room, &bot).await;
    assert!(said.iter().any(|t| t.ends_with("Je donne des confitures")), "{said:?}");
    // Encrypted since the room was (the bot's notices too), and readable by the neighbour.
    let since = said.iter().position(|t| !t.starts_with("<clear>")).unwrap();
    assert!(!said[since..].iter().any(|t| t.starts_with('<')), "{said:?}");

    // A restart: a new adapter on the same data directory (session, crypto store) goes on
    // reading the encrypted room.
    w.syncer.release().await;
    let mx = Matrix::new(&w.settings, &w.data_dir).unwrap();
    drop(std::mem::replace(
        &mut w.syncer,
        Syncer::new(mx.clone(), w.core.clone()),
    ));
    w.mx = mx;
    let channels: Vec<Arc<dyn Channel>> = vec![w.mx.clone(), w.console.clone()];
    w.outbox = crate::helpers::outbox(&w.db.pool, channels);
    w.sync().await;
    let console = relayed(&mut w, &jeanne, &room, "Qui aurait une échelle à prêter ?").await;
    assert!(
        console
            .iter()
            .any(|t| t.ends_with("(Matrix) : Qui aurait une échelle à prêter ?")),
        "{console:?}"
    );
    assert_eq!(kept(&w).await, 0);
    w.finish().await;
}

/// Events kept aside, waiting for their key.
async fn kept(w: &World) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM matrix_undecrypted")
        .fetch_one(&w.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_message_the_bot_cannot_decrypt_yet_is_handled_once_its_key_comes() {
    let hs = Synapse::shared();
    // Jeanne's client keeps room keys from devices she has not verified: the bot's.
    let (mut w, room, jeanne) = encrypted_area(hs, "OnlyTrustedDevices").await;
    let bot = w.mx.user_id().to_owned();
    let room_id = OwnedRoomId::try_from(room.as_str()).unwrap();
    // The sync goes on; the event is kept aside, nothing relayed yet.
    let console = relayed(&mut w, &jeanne, &room, "Je prête ma perceuse samedi").await;
    assert!(console.is_empty(), "{console:?}");
    assert_eq!(kept(&w).await, 1);

    // The key comes (as from a key backup: Jeanne's export, imported on the bot's device).
    let keys = root().join(format!("target/peers/keys-{}", w.prefix));
    jeanne
        .client
        .encryption()
        .export_room_keys(keys.clone(), "phrase", |s| s.room_id().as_str() == room_id.as_str())
        .await
        .unwrap();
    let bot_client = w.mx.connect().await.unwrap().clone();
    bot_client
        .encryption()
        .import_room_keys(keys.clone(), "phrase")
        .await
        .unwrap();
    let _ = std::fs::remove_file(&keys);
    w.sync().await;
    w.drain().await;
    let console = w.console.sent_to(CONSOLE_ROOM);
    assert_eq!(console.len(), 1, "{console:?}");
    assert!(
        console[0].ends_with("(Matrix) : Je prête ma perceuse samedi"),
        "{console:?}"
    );
    assert_eq!(kept(&w).await, 0);
    // Handled once: later syncs do not relay it again.
    w.sync().await;
    w.drain().await;
    assert_eq!(w.console.sent_to(CONSOLE_ROOM).len(), 1);

    // A message whose key never comes: after the patience, its author is asked once to
    // send it again (in the room, encrypted for her).
    w.syncer.set_undecrypted_patience(Duration::ZERO);
    // A new room key, which the bot never gets.
    jeanne.room(&room).discard_room_key().await.unwrap();
    relayed(&mut w, &jeanne, &room, "Qui aurait une échelle ?").await;
    w.sync().await;
    w.drain().await;
    let said = jeanne.bodies_from(&room, &bot).await;
    let asked: Vec<&String> = said.iter().filter(|t| t.contains("n'ai pas pu lire")).collect();
    assert_eq!(asked.len(), 1, "{said:?}");
    assert!(!asked[0].starts_with('<'), "{said:?}");
    assert_eq!(w.console.sent_to(CONSOLE_ROOM).len(), 1);
    w.finish().await;
}

#[tokio::test]
async fn a_delivery_retried_by_another_daemon_is_not_doubled_in_an_encrypted_room() {
    let hs = Synapse::shared();
    let (mut w, room, jeanne) = encrypted_area(hs, "AllDevices").await;
    let bot = w.mx.user_id().to_owned();
    // The first daemon "died" after the send: the row still says sending, its lease over.
    let (id, first) = super::relay_sent_by_a_dead_daemon(&w).await;
    // The second daemon (another device) takes the sync lock, then retries the delivery.
    w.syncer.release().await;
    let mx2 = Matrix::new(&w.settings, &w.data_dir.join("second-daemon")).unwrap();
    let mut syncer2 = Syncer::new(mx2.clone(), w.core.clone());
    assert!(!syncer2.sync_once(Duration::ZERO).await.unwrap().standby);
    let ob2 = crate::helpers::outbox(&w.db.pool, vec![mx2.clone() as Arc<dyn Channel>]);
    crate::helpers::drain(&w.db.pool, &ob2, Duration::from_secs(60)).await;
    let copy = super::the_one_copy(jeanne.bodies_from(&room, &bot).await, "brouette");
    assert!(!copy.starts_with('<'), "{copy}");
    super::assert_sent_as(&w, id, &first).await;
    syncer2.release().await;
    w.finish().await;
}
