//! Direct messages: the bot accepts a DM invitation and runs the onboarding, by postcode and by
//! position, answering with the room's matrix.to link and the Telegram group's invite link.

use geo::InteriorPoint;
use serde_json::json;
use voisinage::areas::Areas;
use voisinage::core::model::ChannelKind;

use super::{Neighbour, Synapse, World, unique};

#[tokio::test]
async fn a_dm_finds_the_area_by_postcode_and_by_position() {
    let hs = Synapse::shared();
    let mut w = World::new(hs).await;
    w.sync().await;
    let bot = w.mx.user_id().to_owned();
    // Saint-Servan also has a Telegram group with an invite link.
    voisinage::store::link_room(&w.db.pool, ChannelKind::Telegram, "-1001", "saint-servan")
        .await
        .unwrap();
    voisinage::store::chats::set_invite_link(&w.db.pool, ChannelKind::Telegram, "-1001", "https://t.me/+servan")
        .await
        .unwrap();
    let luc = Neighbour::login(hs, &unique("luc")).await;
    let dm = luc
        .call(
            reqwest::Method::POST,
            "/createRoom",
            Some(json!({"preset": "trusted_private_chat", "is_direct": true, "invite": [bot]})),
        )
        .await["room_id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.sync().await; // accepts the invitation
    luc.say(&dm, "35400").await;
    w.sync().await;
    w.drain().await;
    let said = luc.bodies_from(&dm, &bot).await;
    assert!(said.last().unwrap().contains("plusieurs quartiers"), "{said:?}");
    luc.say(&dm, "saint-servan").await;
    w.sync().await;
    w.drain().await;
    let links = luc.bodies_from(&dm, &bot).await.pop().unwrap();
    assert!(
        links.contains(&format!("https://matrix.to/#/#{}saint-servan:localhost", w.prefix)),
        "{links}"
    );
    assert!(links.contains("https://t.me/+servan"), "{links}");

    // By position (m.location with a geo: URI).
    let p = Areas::example()
        .get("dinard")
        .unwrap()
        .polygon
        .interior_point()
        .unwrap();
    luc.send(
        &dm,
        "m.room.message",
        json!({"msgtype": "m.location", "body": "ma position", "geo_uri": format!("geo:{},{};u=15", p.y(), p.x())}),
    )
    .await;
    w.sync().await;
    w.drain().await;
    let links = luc.bodies_from(&dm, &bot).await.pop().unwrap();
    assert!(links.contains("Dinard"), "{links}");
    // Nothing said in the DM was relayed to a room.
    assert!(w.console.sent().is_empty());
    w.finish().await;
}
