//! Authenticated email and bounce decay (issue 14, defect 1, Build 4 and 5), against a real
//! Dovecot (mails carrying forged and genuine Authentication-Results above and below the
//! server's own) and a real SMTP server (aiosmtpd): a forged mail under a subscriber's address
//! is held and its owner asked once a day; the genuine one is relayed "via Voisinage"; the
//! owner's link shows (GET) and posts (POST) it; bounces count once a day and decay.

use chrono::{Duration, Utc};
use voisinage::channels::email::MailReader;
use voisinage::core::mail::{Mail, Received};
use voisinage::core::model::{MailTrust, SenderCheck};
use voisinage::store::enums::SubscriptionStatus;
use voisinage::store::subscriptions::bounce_state;

use super::receive::{Dovecot, settings};
use super::{CONSOLE_ROOM, World};

const AUTHSERV: &str = "mx.voisinage.test";

fn require() -> MailTrust {
    MailTrust {
        check: SenderCheck::Require,
        authserv_id: Some(AUTHSERV.into()),
    }
}

/// A mail from Marie with these Authentication-Results headers, top to bottom.
fn mail(auth: &[&str], id: &str, subject: &str, body: &str) -> String {
    let headers: String = auth.iter().map(|a| format!("Authentication-Results: {a}\n")).collect();
    format!(
        "{headers}Received: from mail.exemple.fr by mx.voisinage.test\nFrom: Marie Dupont <marie@exemple.fr>\nTo: bot@voisinage.test\nSubject: {subject}\nMessage-ID: <{id}@exemple.fr>\nDate: Wed, 10 Jun 2026 18:30:00 +0200\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}\n"
    )
}

fn parsed(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default().parse(raw).unwrap()
}

async fn subscribe(w: &World, address: &str, rhythm: &str) {
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ($1, 'saint-servan', $2)")
        .bind(address)
        .bind(rhythm)
        .execute(&w.db.pool)
        .await
        .unwrap();
}

async fn asks(w: &World) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE dedupe_key LIKE 'mail-held:%'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_forged_sender_is_held_until_its_owner_confirms_and_the_genuine_one_is_relayed() {
    let w = World::with_trust("trust", require()).await;
    let imap = Dovecot::start();
    subscribe(&w, "marie@exemple.fr", "weekly").await;
    subscribe(&w, "paul@autre.example", "each").await;
    // Forged: another server's "pass" above ours, our server's "fail", and a forged header with
    // our id below (written by the sender, so under the one our server prepended).
    imap.deliver(&mail(
        &[
            "mx.ailleurs.example; dmarc=pass header.from=exemple.fr",
            "mx.voisinage.test; dmarc=fail (p=reject) header.from=exemple.fr; spf=fail smtp.mailfrom=pirate@ailleurs.example",
            "mx.voisinage.test; dmarc=pass header.from=exemple.fr",
        ],
        "f1",
        "iPhone",
        "Vends iPhone neuf 50 euros, virement uniquement",
    ));
    // A second forgery the same day: held, but Marie is not asked twice.
    imap.deliver(&mail(&[], "f2", "Encore", "Bijoux en or, paiement par virement"));
    // Genuine: a stranger's "fail" above, our server's aligned DKIM pass, a forged "fail" below.
    imap.deliver(&mail(
        &[
            "mx.ailleurs.example; dmarc=fail header.from=exemple.fr",
            "mx.voisinage.test; dkim=pass (2048-bit key) header.d=exemple.fr header.s=s1; spf=none",
            "mx.voisinage.test; dmarc=fail header.from=exemple.fr",
        ],
        "g1",
        "tondeuse",
        "Je prête ma tondeuse samedi.",
    ));
    let mut reader = MailReader::new(&settings(&imap), w.core.clone());
    assert_eq!(reader.poll_once().await.unwrap(), Some(3));
    w.drain().await;
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM),
        vec!["Marie Dupont (courriel) : Je prête ma tondeuse samedi.".to_owned()],
        "only the genuine mail reaches the room"
    );
    assert_eq!(asks(&w).await, 1, "asked once a day");
    let held: i64 = sqlx::query_scalar("SELECT count(*) FROM held_mails WHERE status = 'held'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(held, 2);

    // Paul gets the genuine copy from the bot's address, in Marie's name, Reply-To the bot.
    let mails = w.sink.messages();
    let to = |m: &mail_parser::Message<'_>| m.to().unwrap().first().unwrap().address().unwrap().to_owned();
    let relay = mails
        .iter()
        .map(|m| parsed(m))
        .find(|m| to(m) == "paul@autre.example")
        .unwrap();
    let from = relay.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("Marie Dupont via Voisinage"));
    assert_eq!(from.address(), Some("voisinage@voisinage.test"));
    let reply_to = relay.reply_to().unwrap().first().unwrap().address().unwrap().to_owned();
    assert!(reply_to.starts_with("voisinage+r"), "{reply_to}");
    assert!(
        !mails
            .iter()
            .any(|m| String::from_utf8_lossy(m).contains("iPhone neuf 50")),
        "the forgery went nowhere"
    );

    // Marie's question: subject, the forged subject, a link.
    let ask = mails
        .iter()
        .map(|m| parsed(m))
        .find(|m| to(m) == "marie@exemple.fr" && m.subject().unwrap().contains("Avez-vous écrit"))
        .expect("Marie is asked");
    let text = ask.body_text(0).unwrap().into_owned();
    assert!(text.contains("« iPhone »"), "{text}");
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/email/held?t="))
        .unwrap()
        .to_owned();
    let html = ask.body_html(0).unwrap().into_owned();
    assert!(
        html.contains("\">Voir le message et le publier</a>")
            && !html.contains(&format!(">{}", link.replace('&', "&amp;"))),
        "the link is shown as words: {html}"
    );
    std::fs::write(
        voisinage_root().join("target/email-held-example.eml"),
        mails
            .iter()
            .find(|m| parsed(m).subject().unwrap().contains("Avez-vous"))
            .unwrap(),
    )
    .unwrap();

    let http = reqwest::Client::new();
    let metrics = http
        .get(format!("{}/metrics", w.http))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("voisinage_held_mails{status=\"held\"} 2"), "{metrics}");
    // GET shows the mail, the other one held, and a button; it posts nothing.
    let page = http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Vends iPhone neuf 50 euros"), "{html}");
    assert!(html.contains("<form method=\"post\""), "{html}");
    assert!(html.contains("Encore"), "the other held mail is listed: {html}");
    std::fs::write(voisinage_root().join("target/email-held-page.html"), &html).unwrap();
    w.drain().await;
    assert_eq!(w.console.sent_to(CONSOLE_ROOM).len(), 1, "a GET posts nothing");
    // A forged or expired token is refused.
    let forged = link.replace("t=", "t=00");
    assert_eq!(http.post(&forged).send().await.unwrap().status(), 400);
    let id: i64 = sqlx::query_scalar("SELECT id FROM held_mails WHERE native_id = 'f1@exemple.fr'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    let old = w.core.links.held_url(id, (Utc::now() - Duration::days(8)).timestamp());
    assert_eq!(http.get(&old).send().await.unwrap().status(), 400);
    assert_eq!(http.post(&old).send().await.unwrap().status(), 400);
    // POST posts it, once.
    let posted = http.post(&link).send().await.unwrap();
    assert_eq!(posted.status(), 200);
    assert!(posted.text().await.unwrap().contains("C'est publié"));
    w.drain().await;
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM)[1],
        "Marie Dupont (courriel) : Vends iPhone neuf 50 euros, virement uniquement"
    );
    let again = http.post(&link).send().await.unwrap().text().await.unwrap();
    assert!(again.contains("déjà été publié"), "{again}");
    w.drain().await;
    assert_eq!(w.console.sent_to(CONSOLE_ROOM).len(), 2, "posted once");

    // The next day, a new forgery asks again; a week later, held mail is gone.
    let tomorrow = Utc::now() + Duration::days(1);
    let f3 = Mail {
        from: "marie@exemple.fr".into(),
        name: "Marie".into(),
        native_id: "f3@exemple.fr".into(),
        subject: "Demain".into(),
        text: "Encore une arnaque".into(),
        sent_at: tomorrow,
        ..Default::default()
    };
    assert_eq!(w.core.receive_mail_at(&f3, tomorrow).await.unwrap(), Received::Held);
    assert_eq!(asks(&w).await, 2);
    assert_eq!(
        w.core.expire_held_once(Utc::now() + Duration::days(9)).await.unwrap(),
        3
    );
    assert_eq!(http.post(&link).send().await.unwrap().status(), 400, "expired");
    reader.release().await;
    w.finish().await;
}

#[tokio::test]
async fn confirm_every_mail_holds_even_authenticated_mail_and_off_checks_nothing() {
    let w = World::with_trust(
        "every",
        MailTrust {
            check: SenderCheck::ConfirmEveryMail,
            authserv_id: None,
        },
    )
    .await;
    subscribe(&w, "marie@exemple.fr", "weekly").await;
    let genuine = Mail {
        from: "marie@exemple.fr".into(),
        name: "Marie".into(),
        native_id: "e1@exemple.fr".into(),
        subject: "perceuse".into(),
        text: "Je prête ma perceuse".into(),
        sent_at: Utc::now(),
        auth_results: vec![format!("{AUTHSERV}; dmarc=pass header.from=exemple.fr")],
        ..Default::default()
    };
    assert_eq!(w.core.receive_mail(&genuine).await.unwrap(), Received::Held);
    w.drain().await;
    assert!(w.console.sent_to(CONSOLE_ROOM).is_empty());
    let body = w
        .sink
        .messages()
        .into_iter()
        .map(|m| String::from_utf8_lossy(&m).into_owned())
        .collect::<String>();
    assert!(
        body.contains("chaque courriel doit =C3=AAtre confirm") || body.contains("chaque courriel doit être confirm"),
        "{body}"
    );
    w.finish().await;

    let w = World::new("off").await;
    subscribe(&w, "marie@exemple.fr", "weekly").await;
    let forged = Mail {
        native_id: "o1@exemple.fr".into(),
        auth_results: vec![],
        ..genuine
    };
    assert_eq!(w.core.receive_mail(&forged).await.unwrap(), Received::Posted);
    w.finish().await;
}

#[tokio::test]
async fn soft_bounces_count_once_a_day_and_decay_and_auto_replies_are_not_bounces() {
    let w = World::new("bounces").await;
    let imap = Dovecot::start();
    subscribe(&w, "marie@exemple.fr", "weekly").await;
    let dsn = |action: &str, status: &str, id: &str| {
        format!(
            "From: MAILER-DAEMON@exemple.fr\nTo: voisinage@voisinage.test\nSubject: Delivery Status Notification\nMessage-ID: <{id}@exemple.fr>\nAuto-Submitted: auto-replied\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n\nDelivery report\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.exemple.fr\n\nFinal-Recipient: rfc822; marie@exemple.fr\nAction: {action}\nStatus: {status}\n--b--\n"
        )
    };
    // Not bounces: a vacation reply, an auto_reply, a "still trying" report.
    imap.deliver("From: Marie <marie@exemple.fr>\nTo: voisinage@voisinage.test\nSubject: Absente\nMessage-ID: <v1@exemple.fr>\nAuto-Submitted: auto-replied\n\nJe suis en vacances.\n");
    imap.deliver("From: Marie <marie@exemple.fr>\nTo: voisinage@voisinage.test\nSubject: Absente\nMessage-ID: <v2@exemple.fr>\nPrecedence: auto_reply\nX-Autoreply: yes\n\nJe suis en vacances.\n");
    imap.deliver(&dsn("delayed", "4.4.7", "d1"));
    // Two real soft bounces the same day count once.
    imap.deliver(&dsn("failed", "4.2.2", "d2"));
    imap.deliver(&dsn("failed", "4.2.2", "d3"));
    let mut reader = MailReader::new(&settings(&imap), w.core.clone());
    assert_eq!(reader.poll_once().await.unwrap(), Some(5));
    let state = || bounce_state(&w.db.pool, "marie@exemple.fr");
    assert_eq!(state().await.unwrap(), Some((SubscriptionStatus::Active, 1)));
    reader.release().await;

    // A controlled clock from here on.
    let t0 = Utc::now();
    let day = Duration::days(1);
    w.core.bounce_at("marie@exemple.fr", "4.2.2", t0 + day).await.unwrap();
    assert_eq!(state().await.unwrap(), Some((SubscriptionStatus::Active, 2)));
    w.core
        .bounce_at("marie@exemple.fr", "4.2.2", t0 + day + Duration::hours(3))
        .await
        .unwrap();
    assert_eq!(
        state().await.unwrap(),
        Some((SubscriptionStatus::Active, 2)),
        "once a day"
    );
    // 31 days without one: the count starts again.
    let later = t0 + day * 32;
    w.core.bounce_at("marie@exemple.fr", "4.2.2", later).await.unwrap();
    assert_eq!(state().await.unwrap(), Some((SubscriptionStatus::Active, 1)));
    w.core
        .bounce_at("marie@exemple.fr", "4.2.2", later + day)
        .await
        .unwrap();
    w.core
        .bounce_at("marie@exemple.fr", "4.2.2", later + day * 2)
        .await
        .unwrap();
    assert_eq!(state().await.unwrap(), Some((SubscriptionStatus::Suspended, 3)));
    w.finish().await;
}

fn voisinage_root() -> std::path::PathBuf {
    crate::helpers::root()
}
