//! Reading the bot's mailbox over IMAP (a real Dovecot, tests/peers/dovecot.sh): a subscriber's
//! email becomes a post relayed to the area's rooms; a stranger's, even with a forged From of
//! nobody subscribed, never reaches a room and gets one answer; a restart reprocesses nothing.

use std::process::Command;

use secrecy::SecretString;
use voisinage::channels::email::MailReader;
use voisinage::config::{EmailSettings, EmailTransport, SmtpSecurity};

use super::{CONSOLE_ROOM, World};
use crate::helpers::root;

pub(crate) struct Dovecot {
    dir: String,
    port: u16,
}

fn dovecot(args: &[&str]) -> String {
    let out = Command::new(root().join("tests/peers/dovecot.sh"))
        .args(args)
        .env("DOVECOT_WATCH_PID", std::process::id().to_string())
        .output()
        .expect("tests/peers/dovecot.sh runs");
    assert!(
        out.status.success(),
        "dovecot.sh {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Dovecot {
    pub(crate) fn start() -> Dovecot {
        // Under /tmp: Dovecot reads mail as an unprivileged user, who must reach the directory.
        let dir = format!("/tmp/voisinage-imap-{}-{}", std::process::id(), rand_id());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        dovecot(&["start", &dir, &port.to_string()]);
        dovecot(&["adduser", &dir, "bot@voisinage.test", "imap-pass"]);
        Dovecot { dir, port }
    }

    /// Delivers a mail already in CRLF form (as lettre writes it).
    pub(crate) fn deliver_raw(&self, mail: &[u8]) {
        let file = format!("{}/incoming-{}.eml", self.dir, rand_id());
        std::fs::write(&file, mail).unwrap();
        dovecot(&["deliver", &self.dir, "bot@voisinage.test", &file]);
    }

    pub(super) fn deliver(&self, mail: &str) {
        let file = format!("{}/incoming-{}.eml", self.dir, rand_id());
        std::fs::write(&file, mail.replace('\n', "\r\n")).unwrap();
        dovecot(&["deliver", &self.dir, "bot@voisinage.test", &file]);
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new(root().join("tests/peers/dovecot.sh"))
            .args(["stop", &self.dir])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) * 1000
        + (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_micros() as u64
            % 1000)
}

pub(crate) fn settings(imap: &Dovecot) -> EmailSettings {
    EmailSettings {
        enabled: true,
        from: "Voisinage <voisinage@voisinage.test>".into(),
        transport: EmailTransport::Files,
        files_dir: "mail".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: 25,
        smtp_security: SmtpSecurity::None,
        smtp_user: None,
        smtp_password: None,
        smtp_pool: 1,
        imap_enabled: true,
        imap_host: "127.0.0.1".into(),
        imap_port: imap.port,
        imap_security: SmtpSecurity::None,
        imap_user: Some("bot@voisinage.test".into()),
        imap_password: Some(SecretString::from("imap-pass".to_owned())),
        imap_mailbox: "INBOX".into(),
        imap_poll_secs: 1,
        authserv_id: None,
        sender_check: Default::default(),
    }
}

fn mail(from: &str, id: &str, body: &str) -> String {
    format!(
        "From: {from}\nTo: bot@voisinage.test\nSubject: tondeuse\nMessage-ID: <{id}@exemple.fr>\nDate: Wed, 10 Jun 2026 18:30:00 +0200\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}\n"
    )
}

#[tokio::test]
async fn a_subscribers_mail_becomes_a_post_and_strangers_never_reach_a_room() {
    let w = World::new("imap").await;
    let imap = Dovecot::start();
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('marie@exemple.fr', 'saint-servan', 'weekly')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    imap.deliver(&mail(
        "Marie Dupont <Marie@Exemple.fr>",
        "m1",
        "Bonjour,\n\nJe prête ma tondeuse samedi.\n\nMarie\n-- \nMarie Dupont\n06 00 00 00 00",
    ));
    // A forged From: an address nobody subscribed.
    imap.deliver(&mail(
        "Inconnu <pirate@ailleurs.example>",
        "p1",
        "Achetez mes montres !",
    ));
    imap.deliver(&mail("Inconnu <pirate@ailleurs.example>", "p2", "Encore !"));
    // Someone asking to subscribe by email gets a confirmation link, nothing more.
    imap.deliver(&mail("Luc <luc@exemple.fr>", "l1", "Bonjour, inscription 35800 svp"));

    let mut reader = MailReader::new(&settings(&imap), w.core.clone());
    assert_eq!(reader.poll_once().await.unwrap(), Some(4));
    w.drain().await;
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM),
        vec!["Marie Dupont (courriel) : Bonjour,\n\nJe prête ma tondeuse samedi.\n\nMarie".to_owned()]
    );
    let item: String = sqlx::query_scalar("SELECT item FROM posts")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(item, "tondeuse");
    // Marie is told her offer was recorded; the stranger gets one answer, however many mails.
    let answers: Vec<(String, String)> =
        sqlx::query_as("SELECT target, payload->>'kind' FROM deliveries WHERE channel = 'email' ORDER BY id")
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(
        answers,
        vec![
            ("marie@exemple.fr".to_owned(), "notice".to_owned()),
            ("pirate@ailleurs.example".to_owned(), "notice".to_owned()),
            ("luc@exemple.fr".to_owned(), "answer".to_owned())
        ]
    );
    let mails = w.sink.messages();
    assert_eq!(mails.len(), 3);
    let confirm = mails
        .iter()
        .map(|m| mail_parser::MessageParser::default().parse(m).unwrap())
        .find(|m| m.to().unwrap().first().unwrap().address() == Some("luc@exemple.fr"))
        .unwrap();
    assert!(confirm.subject().unwrap().contains("Dinard"), "{:?}", confirm.subject());
    assert!(confirm.body_text(0).unwrap().contains("/email/confirm?t="));
    let subscribed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM email_subscriptions WHERE address = 'luc@exemple.fr'")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(subscribed, 0, "not before Luc follows the link");

    // A restart reads the mailbox again: nothing is handled twice.
    reader.release().await;
    let mut again = MailReader::new(&settings(&imap), w.core.clone());
    assert_eq!(again.poll_once().await.unwrap(), Some(0));
    imap.deliver(&mail("marie@exemple.fr", "m2", "Qqn aurait une échelle ?"));
    assert_eq!(again.poll_once().await.unwrap(), Some(1));
    w.drain().await;
    assert_eq!(w.console.sent_to(CONSOLE_ROOM).len(), 2);
    again.release().await;
    w.finish().await;
}

#[tokio::test]
async fn an_answer_by_email_reaches_the_author_and_a_bounce_suspends_the_address() {
    let w = World::new("answer").await;
    let imap = Dovecot::start();
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('marie@exemple.fr', 'saint-servan', 'each')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    w.core
        .ingest(&crate::helpers::inbound(
            CONSOLE_ROOM,
            "c1",
            "Paul",
            "Je prête ma perceuse samedi",
        ))
        .await
        .unwrap();
    w.drain().await;
    let relay = w.sink.messages().pop().unwrap();
    let relay = mail_parser::MessageParser::default().parse(&relay).unwrap();
    let reply_to = relay.reply_to().unwrap().first().unwrap().address().unwrap().to_owned();
    assert!(
        reply_to.starts_with("voisinage+r") && reply_to.ends_with("@voisinage.test"),
        "{reply_to}"
    );
    assert!(relay.body_text(0).unwrap().contains(&reply_to));

    // Marie answers from her mail program: Paul gets it in his room, as a reply to his message.
    imap.deliver(&format!(
        "From: Marie <marie@exemple.fr>\nTo: {reply_to}\nSubject: Re: perceuse\nMessage-ID: <a1@exemple.fr>\n\
         Content-Type: text/plain; charset=utf-8\n\nJe veux bien, merci !\n\nLe mer. 10 juin 2026, Voisinage a écrit :\n> Paul (console) : Je prête ma perceuse samedi\n"
    ));
    let mut reader = MailReader::new(&settings(&imap), w.core.clone());
    assert_eq!(reader.poll_once().await.unwrap(), Some(1));
    w.drain().await;
    let console = w.console.sent_to(CONSOLE_ROOM);
    assert_eq!(console.last().unwrap(), "Marie (courriel) : Je veux bien, merci !");
    let reply: Option<String> =
        sqlx::query_scalar("SELECT payload->>'reply_to' FROM deliveries WHERE target = $1 ORDER BY id DESC LIMIT 1")
            .bind(CONSOLE_ROOM)
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(reply.as_deref(), Some("c1"));
    assert_eq!(
        console.iter().filter(|c| c.contains("Marie")).count(),
        1,
        "the answer went to Paul only, not to the area as a new message: {console:?}"
    );

    // A bounce for Marie's address: her subscription is suspended.
    imap.deliver(
        "From: MAILER-DAEMON@exemple.fr\nTo: voisinage@voisinage.test\nSubject: Undelivered Mail\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n\
         Delivery failed.\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.exemple.fr\n\n\
         Final-Recipient: rfc822; marie@exemple.fr\nAction: failed\nStatus: 5.1.1\n--b--\n",
    );
    assert_eq!(reader.poll_once().await.unwrap(), Some(1));
    let status: (String, Option<String>) =
        sqlx::query_as("SELECT status, suspended_reason FROM email_subscriptions WHERE address = 'marie@exemple.fr'")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(status.0, "suspended");
    assert!(status.1.unwrap().contains("5.1.1"));
    reader.release().await;
    w.finish().await;
}

#[tokio::test]
async fn the_reader_waits_with_idle_instead_of_polling() {
    let w = World::new("idle").await;
    let imap = Dovecot::start();
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('marie@exemple.fr', 'saint-servan', 'weekly')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let mut s = settings(&imap);
    // Polling alone would look again in ten minutes.
    s.imap_poll_secs = 600;
    let reader = MailReader::new(&s, w.core.clone());
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(reader.run(shutdown.clone()));
    // Let it make its first round and start waiting.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    imap.deliver(&mail(
        "marie@exemple.fr",
        "i1",
        "Je donne un lot de livres pour enfants",
    ));
    let mut arrived = false;
    for _ in 0..300 {
        w.outbox.run_once().await.unwrap();
        if !w.console.sent_to(CONSOLE_ROOM).is_empty() {
            arrived = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    shutdown.cancel();
    task.await.unwrap().unwrap();
    assert!(arrived, "IDLE woke the reader for the new mail");
    w.finish().await;
}

#[tokio::test]
async fn mail_from_machines_is_kept_aside_and_answers_thread_with_the_mail() {
    let w = World::new("auto-in").await;
    let imap = Dovecot::start();
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('marie@exemple.fr', 'saint-servan', 'weekly')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let with = |headers: &str, m: String| m.replacen("\n\n", &format!("\n{headers}\n\n"), 1);
    // Machines: a vacation reply from a subscriber, a list, a bulk sender, a responder.
    imap.deliver(&with(
        "Auto-Submitted: auto-replied",
        mail("marie@exemple.fr", "v1", "Je suis en congés, je prête ma tondeuse"),
    ));
    imap.deliver(&with(
        "List-Id: <voisins.lists.example>",
        mail("liste@ailleurs.example", "l1", "Nouvelles"),
    ));
    imap.deliver(&with(
        "Precedence: bulk",
        mail("pub@ailleurs.example", "b1", "Promotions"),
    ));
    imap.deliver(&with(
        "X-Autoreply: yes",
        mail("absent@ailleurs.example", "x1", "Absent"),
    ));
    // People: Marie's post and a stranger's question (Auto-Submitted: no is a person).
    imap.deliver(&mail("marie@exemple.fr", "m1", "Je prête ma perceuse samedi"));
    imap.deliver(&with(
        "Auto-Submitted: no",
        mail("pierre@ailleurs.example", "s1", "Comment ça marche ?"),
    ));
    let mut reader = MailReader::new(&settings(&imap), w.core.clone());
    assert_eq!(reader.poll_once().await.unwrap(), Some(6));
    w.drain().await;
    let relayed = w.console.sent_to(CONSOLE_ROOM);
    assert_eq!(
        relayed,
        vec!["marie (courriel) : Je prête ma perceuse samedi".to_owned()]
    );
    let mails: Vec<_> = w.sink.messages();
    let mut parsed: Vec<_> = mails
        .iter()
        .map(|m| mail_parser::MessageParser::default().parse(m).unwrap())
        .collect();
    // Two addresses, sent side by side: in any order.
    parsed.sort_by_key(|m| m.to().unwrap().first().unwrap().address().unwrap().to_owned());
    let to: Vec<&str> = parsed
        .iter()
        .map(|m| m.to().unwrap().first().unwrap().address().unwrap())
        .collect();
    assert_eq!(
        to,
        vec!["marie@exemple.fr", "pierre@ailleurs.example"],
        "machines get no answer"
    );
    for (m, answered) in parsed.iter().zip(["m1@exemple.fr", "s1@exemple.fr"]) {
        let header = |name: &str| m.header_raw(name).map(|v| v.trim().to_owned());
        assert_eq!(header("Auto-Submitted").as_deref(), Some("auto-replied"));
        assert_eq!(header("In-Reply-To"), Some(format!("<{answered}>")));
        assert_eq!(header("References"), Some(format!("<{answered}>")));
        assert_eq!(m.subject(), Some("Re: tondeuse"));
    }
    reader.release().await;
    w.finish().await;
}

/// Asking when unsure, by email (issue 13): the acknowledgement says what was understood and
/// how to answer; "oui" in reply confirms, "pas une annonce" in reply withdraws.
#[tokio::test]
async fn an_unsure_mail_is_answered_by_replying_oui_then_corrected() {
    let off = voisinage::core::model::MailTrust {
        check: voisinage::core::model::SenderCheck::Off,
        authserv_id: None,
    };
    let w = World::with("ask-mail", off, |core| core.questions.sure_threshold = 1.01).await;
    let imap = Dovecot::start();
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('marie@exemple.fr', 'saint-servan', 'weekly')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let status = || async {
        sqlx::query_as::<_, (String, Option<String>)>("SELECT status, closed_reason FROM posts")
            .fetch_one(&w.db.pool)
            .await
            .unwrap()
    };
    imap.deliver(&mail("marie@exemple.fr", "m1", "Je prête ma perceuse samedi"));
    let mut reader = MailReader::new(&settings(&imap), w.core.clone());
    assert_eq!(reader.poll_once().await.unwrap(), Some(1));
    w.drain().await;
    assert_eq!(status().await, ("pending".to_owned(), None));
    let parse = |raw: &[u8]| {
        let m = mail_parser::MessageParser::default().parse(raw).unwrap();
        (m.message_id().unwrap().to_owned(), m.body_text(0).unwrap().into_owned())
    };
    let (asked_id, asked) = parse(w.sink.messages().last().unwrap());
    assert!(
        asked.contains("une offre de perceuse") && asked.contains("oui"),
        "{asked}"
    );

    let answer = |id: &str, to: &str, body: &str| {
        format!(
            "From: marie@exemple.fr\nTo: bot@voisinage.test\nSubject: Re: tondeuse\nMessage-ID: <{id}@exemple.fr>\nIn-Reply-To: <{to}>\nReferences: <{to}>\nDate: Wed, 10 Jun 2026 18:40:00 +0200\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}\n"
        )
    };
    imap.deliver(&answer(
        "m2",
        &asked_id,
        &format!(
            "Oui\n\nLe 10/06/2026, Voisinage a écrit :\n> {}",
            asked.replace('\n', "\n> ")
        ),
    ));
    assert_eq!(reader.poll_once().await.unwrap(), Some(1));
    w.drain().await;
    assert_eq!(status().await, ("open".to_owned(), None));
    assert_eq!(
        w.console.sent_to(CONSOLE_ROOM),
        ["marie (courriel) : Je prête ma perceuse samedi"],
        "the answer is not relayed"
    );

    let (noted_id, noted) = parse(w.sink.messages().last().unwrap());
    assert!(noted.contains("noté"), "{noted}");
    imap.deliver(&answer("m3", &noted_id, "pas une annonce"));
    assert_eq!(reader.poll_once().await.unwrap(), Some(1));
    w.drain().await;
    assert_eq!(status().await, ("closed".to_owned(), Some("rejected".to_owned())));
    assert_eq!(w.console.sent_to(CONSOLE_ROOM).len(), 1);
    reader.release().await;
    w.finish().await;
}
