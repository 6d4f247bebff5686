//! Onboarding in a private chat: /start, a postcode shared by several areas, a position, a
//! deep link; the answer carries the area's group invite link.

use geo::InteriorPoint;
use voisinage::areas::Areas;

use super::World;

const LUC: i64 = 501;
const MAUD: i64 = 502;

fn keyboard_labels(markup: &serde_json::Value) -> Vec<String> {
    markup["keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().into_iter().flatten())
        .filter_map(|b| b["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn from_start_to_the_invite_link_by_postcode() {
    let mut w = World::new().await.linked().await;
    let invite: String = sqlx::query_scalar("SELECT invite_link FROM chats WHERE channel = 'telegram'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    w.fake.add_chat(LUC, "private", "Luc");
    w.fake.user_message(LUC, LUC, "Luc", "/start");
    w.poll().await;
    w.drain().await;
    let welcome = w.fake.bot_sent(LUC).pop().unwrap();
    assert!(welcome.text.contains("code postal"), "{}", welcome.text);
    let markup = welcome.reply_markup.clone().unwrap();
    assert_eq!(markup["keyboard"][0][0]["request_location"], true, "{markup}");

    // 35400 is shared by eight areas: the bot asks which, with a button per area.
    w.fake.user_message(LUC, LUC, "Luc", "35 400");
    w.poll().await;
    w.drain().await;
    let question = w.fake.bot_sent(LUC).pop().unwrap();
    assert!(question.text.contains("plusieurs quartiers"), "{}", question.text);
    let labels = keyboard_labels(question.reply_markup.as_ref().unwrap());
    assert!(labels.contains(&"Saint-Servan".to_owned()), "{labels:?}");

    w.fake.user_message(LUC, LUC, "Luc", "Saint-Servan");
    w.poll().await;
    w.drain().await;
    let links = w.fake.bot_sent(LUC).pop().unwrap();
    assert!(links.text.contains(&invite), "{}", links.text);
    assert!(links.text.contains("Saint-Servan"));
    let area: Option<String> = sqlx::query_scalar(
        "SELECT m.area_slug FROM members m JOIN identities i ON i.member_id = m.id
         WHERE i.channel = 'telegram' AND i.external_id = $1",
    )
    .bind(LUC.to_string())
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(area.as_deref(), Some("saint-servan"));

    // Commands work in private for the member's area; an unknown postcode is said plainly.
    w.fake.user_message(LUC, LUC, "Luc", "/annonces");
    w.fake.user_message(LUC, LUC, "Luc", "99999");
    w.poll().await;
    w.drain().await;
    let texts: Vec<String> = w.fake.bot_sent(LUC).into_iter().map(|m| m.text).collect();
    assert!(texts[texts.len() - 2].contains("annonce"), "{texts:?}");
    assert!(texts[texts.len() - 1].contains("99999"), "{texts:?}");
    w.finish().await;
}

#[tokio::test]
async fn by_location_and_by_deep_link() {
    let mut w = World::new().await.linked().await;
    let areas = Areas::example();
    let p = areas.get("saint-servan").unwrap().polygon.interior_point().unwrap();
    w.fake.add_chat(MAUD, "private", "Maud");
    w.fake.user_location(MAUD, MAUD, "Maud", p.y(), p.x());
    w.poll().await;
    w.drain().await;
    let links = w.fake.bot_sent(MAUD).pop().unwrap();
    assert!(
        links.text.contains("Saint-Servan") && links.text.contains("https://t.me/+"),
        "{}",
        links.text
    );
    // The answer takes the keyboard away.
    assert_eq!(links.reply_markup.unwrap()["remove_keyboard"], true);

    // At sea: not an area.
    w.fake.user_location(MAUD, MAUD, "Maud", 48.70, -2.30);
    // t.me/Bot?start=parame: Paramé has no Telegram group yet, and says so.
    w.fake.user_message(MAUD, MAUD, "Maud", "/start parame");
    w.poll().await;
    w.drain().await;
    let texts: Vec<String> = w.fake.bot_sent(MAUD).into_iter().map(|m| m.text).collect();
    assert!(texts[texts.len() - 2].contains("aucun de nos quartiers"), "{texts:?}");
    assert!(
        texts[texts.len() - 1].contains("Paramé") && texts[texts.len() - 1].contains("pas encore de lien"),
        "{texts:?}"
    );
    w.finish().await;
}

/// `/courriel` said in the group: the command (which shows the address) is deleted, the group
/// hears no address but a link to the bot's private chat; once the member has written to the
/// bot privately, the answer with the address goes there.
#[tokio::test]
async fn courriel_in_the_group_is_deleted_and_answered_privately() {
    use super::{GROUP, PAUL};
    let mut w = World::new().await.linked().await;
    let (_, said) = w.fake.user_message(GROUP, PAUL, "Paul", "/courriel paul@exemple.fr");
    w.poll().await;
    w.drain().await;
    assert!(
        w.fake.deleted_ids(GROUP).contains(&said),
        "the command leaves the group"
    );
    let answer = w.bot_texts(GROUP).pop().unwrap();
    assert!(!answer.contains("paul@"), "{answer}");
    assert!(answer.contains("https://t.me/VoisinageTestBot"), "{answer}");

    w.fake.add_chat(PAUL, "private", "Paul");
    w.fake.user_message(PAUL, PAUL, "Paul", "bonjour");
    w.poll().await;
    w.drain().await;
    let (_, said) = w.fake.user_message(GROUP, PAUL, "Paul", "/courriel paul@exemple.fr");
    w.poll().await;
    w.drain().await;
    assert!(w.fake.deleted_ids(GROUP).contains(&said));
    let answer = w.bot_texts(GROUP).pop().unwrap();
    assert!(answer.contains("répondu en message privé"), "{answer}");
    assert!(!answer.contains("paul@"), "{answer}");
    let private = w.bot_texts(PAUL).pop().unwrap();
    assert!(
        private.contains("paul@exemple.fr") && private.contains("déjà été envoyée"),
        "{private}"
    );
    let mails = w.email.sent.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "one confirmation: {mails:?}");
    assert_eq!(mails[0].0, "paul@exemple.fr");
    w.finish().await;
}
