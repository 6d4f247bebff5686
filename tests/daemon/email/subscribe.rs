//! Subscribing with confirmation, every-message subscribers, one-click unsubscribe, SMTP down.

use mail_parser::MessageParser;

use super::{CONSOLE_ROOM, World};
use crate::helpers::inbound;
use voisinage::core::model::ChannelKind;

fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
    MessageParser::default().parse(raw).expect("an email")
}

fn header(m: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    m.header_raw(name).map(|v| v.trim().to_owned())
}

/// The link after "t=" in a text.
fn token_in(text: &str, path: &str) -> String {
    let start = text.find(path).unwrap_or_else(|| panic!("{path} in {text}")) + path.len() + 3;
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .next()
        .unwrap()
        .to_owned()
}

async fn subscriptions(w: &World) -> Vec<(String, String, String, String)> {
    sqlx::query_as("SELECT address, area_slug, rhythm, status FROM email_subscriptions ORDER BY id")
        .fetch_all(&w.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn subscribe_with_confirmation_receive_every_message_and_unsubscribe_in_one_click() {
    let w = World::new("subscribe").await;
    let http = reqwest::Client::new();
    w.core
        .ingest(&inbound(
            CONSOLE_ROOM,
            "1",
            "Jeanne",
            "/courriel Jeanne@Exemple.fr chaque",
        ))
        .await
        .unwrap();
    // Asked twice the same day: one confirmation only.
    w.core
        .ingest(&inbound(
            CONSOLE_ROOM,
            "2",
            "Jeanne",
            "/courriel jeanne@exemple.fr chaque",
        ))
        .await
        .unwrap();
    w.drain().await;
    assert!(w.console.sent_to(CONSOLE_ROOM)[0].contains("jeanne@exemple.fr"));
    let mails = w.sink.messages();
    assert_eq!(mails.len(), 1);
    let confirm = parse(&mails[0]);
    assert_eq!(
        confirm.to().unwrap().first().unwrap().address().unwrap(),
        "jeanne@exemple.fr"
    );
    assert!(confirm.subject().unwrap().contains("Saint-Servan"));
    assert!(
        confirm.body_html(0).is_some() && confirm.body_text(0).is_some(),
        "both parts"
    );
    assert_eq!(header(&confirm, "List-Unsubscribe"), None, "not a subscriber yet");
    let token = token_in(&confirm.body_text(0).unwrap(), "/email/confirm");
    let html = confirm.body_html(0).unwrap();
    assert!(
        html.contains("\">Confirmer mon inscription</a>") && !html.contains(">http"),
        "the link is shown as words: {html}"
    );
    // The link signs an opaque id: neither the address nor the area can be read from it.
    let payload = token.split('.').next().unwrap();
    let clear: String = (0..payload.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&payload[i..i + 2], 16).unwrap() as char)
        .collect();
    assert!(clear.starts_with("c3|"), "{clear}");
    assert!(!clear.contains("jeanne") && !clear.contains("saint-servan"), "{clear}");
    assert!(subscriptions(&w).await.is_empty(), "nothing before the confirmation");

    // A mail scanner following the link confirms nothing; the button does.
    let page = http
        .get(format!("{}/email/confirm?t={token}", w.http))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    assert!(subscriptions(&w).await.is_empty());
    // Another signature: its last hex digit changed (whatever it was).
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    let bad = http
        .post(format!("{}/email/confirm?t={forged}", w.http))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let done = http
        .post(format!("{}/email/confirm?t={token}", w.http))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert_eq!(
        subscriptions(&w).await,
        vec![(
            "jeanne@exemple.fr".into(),
            "saint-servan".into(),
            "each".into(),
            "active".into()
        )]
    );

    // A neighbour's message reaches the every-message subscriber, with one-click unsubscribe.
    w.core
        .ingest(&inbound(
            CONSOLE_ROOM,
            "3",
            "Paul <b>",
            "Je prête ma tondeuse samedi & dimanche",
        ))
        .await
        .unwrap();
    w.drain().await;
    let mails = w.sink.messages();
    assert_eq!(mails.len(), 2);
    // Kept for people to look at: scripts/render-email.sh target/email-example.eml
    let _ = std::fs::write(crate::helpers::root().join("target/email-example.eml"), &mails[1]);
    let relay = parse(&mails[1]);
    assert!(
        relay.subject().unwrap().starts_with("Paul <b>"),
        "{:?}",
        relay.subject()
    );
    assert!(
        relay
            .body_text(0)
            .unwrap()
            .contains("Paul <b> (console) : Je prête ma tondeuse samedi & dimanche")
    );
    let html = relay.body_html(0).unwrap();
    assert!(
        html.contains("<b>Paul &lt;b&gt;</b> (console) : Je prête ma tondeuse samedi &amp; dimanche"),
        "{html}"
    );
    let unsubscribe = header(&relay, "List-Unsubscribe").unwrap();
    assert_eq!(
        header(&relay, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let url = unsubscribe.trim_matches(['<', '>']).to_owned();
    assert!(url.starts_with(&format!("{}/email/unsubscribe?t=", w.http)), "{url}");
    // The footer shows words with the link behind them, never the raw URL as its text; the
    // plain part puts the URL on its own line after the words.
    let href = format!("<a href=\"{}\">Se désinscrire</a>", url.replace('&', "&amp;"));
    assert!(html.contains(&href), "{html}");
    assert!(!html.contains(&format!(">{url}<")), "no raw URL shown: {html}");
    let text = relay.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(
        text.contains(&format!("Pour vous désinscrire, ouvrez ce lien :\n{url}")),
        "{text}"
    );

    // GET shows a button and changes nothing; the one-click POST unsubscribes.
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
    assert_eq!(subscriptions(&w).await[0].3, "active");
    let one_click = http
        .post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), 200);
    assert_eq!(subscriptions(&w).await[0].3, "unsubscribed");
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "4", "Paul", "Qqn aurait une échelle ?"))
        .await
        .unwrap();
    w.drain().await;
    assert_eq!(w.sink.messages().len(), 2, "nothing more after unsubscribing");
    w.finish().await;
}

#[tokio::test]
async fn smtp_refusing_then_back_loses_and_doubles_nothing() {
    let w = World::new("down").await;
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('rose@exemple.fr', 'saint-servan', 'each')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    w.sink.refuse();
    for n in 1..=4 {
        w.core
            .ingest(&inbound(
                CONSOLE_ROOM,
                &format!("m{n}"),
                "Paul",
                &format!("message {n}"),
            ))
            .await
            .unwrap();
    }
    for _ in 0..4 {
        w.outbox.run_once().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    }
    assert!(w.sink.messages().is_empty());
    let attempts: Vec<i32> = sqlx::query_scalar("SELECT attempts FROM deliveries WHERE channel = 'email' ORDER BY id")
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(attempts, vec![0, 0, 0, 0], "an unavailable server spends no attempts");
    w.sink.accept();
    w.drain().await;
    let bodies: Vec<String> = w
        .sink
        .messages()
        .iter()
        .map(|m| parse(m).body_text(0).unwrap().lines().next().unwrap().to_owned())
        .collect();
    assert_eq!(
        bodies,
        (1..=4)
            .map(|n| format!("Paul (console) : message {n}"))
            .collect::<Vec<_>>()
    );
    w.finish().await;
}

#[tokio::test]
async fn asking_twice_the_same_day_says_it_was_sent_and_sends_one() {
    let w = World::new("twice").await;
    for (id, text) in [("1", "/courriel rose@exemple.fr"), ("2", "/courriel Rose@Exemple.fr")] {
        w.core.ingest(&inbound(CONSOLE_ROOM, id, "Rose", text)).await.unwrap();
    }
    w.drain().await;
    let said = w.console.sent_to(CONSOLE_ROOM);
    assert!(
        said[0].contains("Un courriel de confirmation part vers rose@exemple.fr"),
        "{said:?}"
    );
    assert!(
        said[1].starts_with("📧 Une confirmation a déjà été envoyée à rose@exemple.fr aujourd'hui à ")
            && said[1].ends_with(" : regardez aussi vos indésirables."),
        "{said:?}"
    );
    let time = said[1].split(" à ").last().unwrap().split(' ').next().unwrap();
    assert!(
        time.len() == 5 && time.as_bytes()[2] == b':',
        "HH:MM: {time:?} in {said:?}"
    );
    assert_eq!(w.sink.messages().len(), 1, "one confirmation email");
    w.finish().await;
}

/// A world with an every-message subscriber and Paul's message relayed to her (not sent yet).
async fn with_a_relay(name: &str) -> World {
    let w = World::new(name).await;
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('rose@exemple.fr', 'saint-servan', 'each')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "1", "Paul", "Je prête ma tondeuse samedi"))
        .await
        .unwrap();
    w
}

#[tokio::test]
async fn what_the_bot_sends_is_marked_automatic() {
    let w = with_a_relay("auto").await;
    w.core
        .ingest(&inbound(CONSOLE_ROOM, "2", "Luc", "/courriel luc@exemple.fr"))
        .await
        .unwrap();
    w.drain().await;
    let mails = w.sink.messages();
    assert_eq!(mails.len(), 2, "a relay and a confirmation");
    for raw in &mails {
        let m = parse(raw);
        assert_eq!(header(&m, "Auto-Submitted").as_deref(), Some("auto-generated"));
        assert_eq!(header(&m, "In-Reply-To"), None, "they answer no mail");
    }
    w.finish().await;
}

#[tokio::test]
async fn the_html_part_says_its_text_once_and_carries_no_comment() {
    let w = with_a_relay("html").await;
    w.drain().await;
    let mails = w.sink.messages();
    let relay = parse(&mails[0]);
    let html = relay.body_html(0).unwrap();
    assert!(!html.contains("<!--"), "{html}");
    assert_eq!(html.matches("Je prête ma tondeuse samedi").count(), 1, "{html}");
    assert_eq!(
        html.matches("Vous recevez ce courriel").count(),
        1,
        "the footer once: {html}"
    );
    w.finish().await;
}

#[tokio::test]
async fn courriel_in_a_group_does_not_repeat_the_address_to_everyone() {
    let w = World::new("public").await;
    voisinage::store::link_room(&w.db.pool, ChannelKind::Telegram, "-1001", "saint-servan")
        .await
        .unwrap();
    let in_group = |id: &str, text: &str| {
        let mut m = inbound("-1001", id, "Rose", text);
        m.channel = ChannelKind::Telegram;
        m
    };
    for (id, text) in [("1", "/courriel rose@exemple.fr"), ("2", "/courriel rose@exemple.fr")] {
        w.core.ingest(&in_group(id, text)).await.unwrap();
    }
    let said = |target: &'static str| {
        let pool = w.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT payload->>'text' FROM deliveries
                 WHERE channel = 'telegram' AND target = $1 AND payload->'op' IS NULL ORDER BY id",
            )
            .bind(target)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let in_room = said("-1001").await;
    assert_eq!(in_room.len(), 2, "{in_room:?}");
    assert!(in_room.iter().all(|s| !s.contains("rose@")), "{in_room:?}");
    assert!(
        in_room[0].contains("vers l'adresse indiquée") && in_room[0].contains("en message privé"),
        "{in_room:?}"
    );
    assert!(
        in_room[1].contains("déjà été envoyée à cette adresse") && in_room[1].contains("en message privé"),
        "{in_room:?}"
    );
    // The commands, which show the address, are removed from the group (where the bot may).
    let removed: Vec<String> = sqlx::query_scalar(
        "SELECT payload->'op'->'remove'->>'native' FROM deliveries
         WHERE channel = 'telegram' AND target = '-1001' AND payload->'op' IS NOT NULL ORDER BY id",
    )
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(removed, ["1", "2"]);
    // The confirmation itself still goes to the address, once.
    let confirmations = |address: &'static str| {
        let pool = w.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM deliveries WHERE channel = 'email' AND target = $1")
                .bind(address)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(confirmations("rose@exemple.fr").await, 1);

    // Once Rose has a private chat with the bot, the answer (with the address) goes there and
    // the group only hears that she was answered privately.
    let mut private = inbound("rose", "3", "Rose", "bonjour");
    private.channel = ChannelKind::Telegram;
    private.direct = true;
    w.core.ingest(&private).await.unwrap();
    w.core
        .ingest(&in_group("4", "/courriel rose.b@exemple.fr"))
        .await
        .unwrap();
    let in_room = said("-1001").await;
    assert_eq!(in_room.len(), 3, "{in_room:?}");
    assert!(
        in_room[2].contains("répondu en message privé") && !in_room[2].contains("rose.b@"),
        "{in_room:?}"
    );
    let in_private = said("rose").await;
    assert!(
        in_private
            .last()
            .is_some_and(|s| s.contains("rose.b@exemple.fr") && s.contains("confirmation")),
        "{in_private:?}"
    );
    assert_eq!(confirmations("rose.b@exemple.fr").await, 1);
    w.finish().await;
}
