//! The private line to the town hall (issue 18): `/mairie …` said privately goes by email (a
//! real SMTP sink) to the commune's contact, never to a room; the contact's reply, read from
//! the bot's mailbox (a real Dovecot), reaches the resident's private chat; in a group the bot
//! refuses; a forged reply from another address is not taken for the town hall's.

use std::collections::HashMap;
use std::sync::Arc;

use voisinage::channels::email::MailReader;
use voisinage::core::model::{ChannelKind, MailTrust, SenderCheck};

use super::receive::{Dovecot, settings};
use super::{CONSOLE_ROOM, World};
use crate::helpers::inbound;

const CONTACT: &str = "ccas@saint-malo.example";

async fn world(name: &str) -> World {
    let trust = MailTrust {
        check: SenderCheck::Off,
        authserv_id: None,
    };
    World::with(name, trust, |core| {
        core.town_halls = Arc::new(HashMap::from([("Saint-Malo".to_owned(), CONTACT.to_owned())]));
    })
    .await
}

fn private(text: &str, native_id: &str) -> voisinage::core::model::Inbound {
    let mut m = inbound("paul-prive", native_id, "Paul", text);
    m.direct = true;
    m
}

#[tokio::test]
async fn a_private_message_reaches_the_town_hall_by_email_and_its_answer_comes_back() {
    let w = world("town-hall").await;
    let imap = Dovecot::start();
    // Paul is a neighbour of Saint-Servan (Saint-Malo): he said hello in the area's room.
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "c1", "Paul", "Bonjour à tous"))
        .await
        .unwrap();
    w.core
        .ingest(&private(
            "/mairie Le lampadaire de la rue des Lilas est en panne depuis lundi",
            "p1",
        ))
        .await
        .unwrap();
    w.drain().await;
    let answer = w.console.sent_to("paul-prive");
    assert_eq!(
        answer.last().unwrap(),
        "📨 Message transmis à la mairie de Saint-Malo. Sa réponse vous arrivera ici."
    );
    // Nothing of it in the area's room.
    assert!(
        w.console
            .sent_to(CONSOLE_ROOM)
            .iter()
            .all(|t| !t.contains("lampadaire")),
        "{:?}",
        w.console.sent_to(CONSOLE_ROOM)
    );
    let mails = w.sink.messages();
    assert_eq!(mails.len(), 1, "one mail, to the contact");
    let mail = mail_parser::MessageParser::default().parse(&mails[0]).unwrap();
    assert_eq!(mail.to().unwrap().first().unwrap().address().unwrap(), CONTACT);
    assert!(mail.subject().unwrap().contains("Saint-Servan"), "{:?}", mail.subject());
    let body = mail.body_text(0).unwrap();
    assert!(
        body.contains("Le lampadaire de la rue des Lilas est en panne depuis lundi"),
        "{body}"
    );
    assert!(body.contains("Paul"), "{body}");
    let reply_to = mail.reply_to().unwrap().first().unwrap().address().unwrap().to_owned();
    assert!(reply_to.starts_with("voisinage+m"), "{reply_to}");

    // A forged answer from another address, with the same token, is not the town hall's.
    imap.deliver(&format!(
        "From: Quelqu'un <farceur@exemple.fr>\nTo: {reply_to}\nSubject: Re: lampadaire\nMessage-ID: <f1@exemple.fr>\n\
         Content-Type: text/plain; charset=utf-8\n\nC'est réparé, ha ha.\n"
    ));
    // The contact answers from their mail program.
    imap.deliver(&format!(
        "From: CCAS Saint-Malo <{CONTACT}>\nTo: {reply_to}\nSubject: Re: lampadaire\nMessage-ID: <t1@saint-malo.example>\n\
         Content-Type: text/plain; charset=utf-8\n\nMerci, les services techniques passent jeudi.\n\n\
         Le jeu. 11 juin 2026, Voisinage a écrit :\n> Paul (console), habitant du quartier Saint-Servan\n"
    ));
    let mut reader = MailReader::new(&settings(&imap), w.core.clone());
    assert_eq!(reader.poll_once().await.unwrap(), Some(2));
    w.drain().await;
    let chat = w.console.sent_to("paul-prive");
    assert_eq!(
        chat.last().unwrap(),
        "📢 Mairie de Saint-Malo (réponse) : Merci, les services techniques passent jeudi."
    );
    assert!(chat.iter().all(|t| !t.contains("ha ha")), "{chat:?}");
    assert!(
        w.console
            .sent_to(CONSOLE_ROOM)
            .iter()
            .all(|t| !t.contains("services techniques") && !t.contains("ha ha")),
        "no answer reaches the room"
    );
    reader.release().await;
    w.finish().await;
}

#[tokio::test]
async fn in_a_group_the_bot_refuses_and_a_commune_without_contact_is_said_closed() {
    let w = world("town-hall-group").await;
    voisinage::store::link_room(&w.db.pool, ChannelKind::Telegram, "-1001", "saint-servan")
        .await
        .unwrap();
    let mut said = inbound("-1001", "g1", "Paul", "/mairie Les poubelles ne sont pas ramassées");
    said.channel = ChannelKind::Telegram;
    let stored = w.core.ingest(&said).await.unwrap();
    let voisinage::core::ingest::Ingested::Stored { message_id, .. } = stored else {
        panic!("stored")
    };
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT coalesce(payload->>'text', '') FROM deliveries WHERE cause_message_id = $1 ORDER BY id",
    )
    .bind(message_id)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert!(
        texts.iter().any(|t| t.contains("envoyez /mairie en message privé")),
        "{texts:?}"
    );
    let to_contact: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE target = $1")
        .bind(CONTACT)
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(to_contact, 0, "nothing said in a group goes to the town hall");
    assert!(texts.iter().all(|t| !t.contains("poubelles")), "not relayed: {texts:?}");

    w.finish().await;

    // A commune without a contact has no line: the resident is told, nothing is sent.
    let closed = World::new("town-hall-closed").await;
    closed
        .core
        .ingest(&inbound(CONSOLE_ROOM, "c1", "Paul", "Bonjour"))
        .await
        .unwrap();
    closed
        .core
        .ingest(&private("/mairie Une question", "p1"))
        .await
        .unwrap();
    closed.drain().await;
    assert_eq!(
        closed.console.sent_to("paul-prive").last().unwrap(),
        "La mairie de Saint-Malo n'a pas encore ouvert de ligne privée avec Voisinage. Vous pouvez la contacter directement."
    );
    assert!(closed.sink.messages().is_empty());
    closed.finish().await;
}
