//! Documents and videos (issue 15): a PDF or a video travels between Telegram (the Bot API
//! fake: getFile and the download in, multipart sendDocument / sendVideo out), Matrix (the
//! shared Synapse: m.file / m.video with their info) and email (an attachment for
//! every-message subscribers, and in through Dovecot), stored once, as it came. Its type is
//! read from its bytes: a file that is not what it says, or of a type not taken in, is refused
//! with a clear reason and the copies say "📎 fichier non transmis".

use mail_parser::MimeHeaders;
use serde_json::json;
use voisinage::media::MediaLimits;

use crate::helpers::count;
use crate::matrix::Synapse;
use crate::media::World;
use crate::telegram::{GROUP, PAUL};

/// A small PDF (what its first bytes say is all the daemon reads of it).
fn pdf() -> Vec<u8> {
    let mut b = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    b.extend(std::iter::repeat_n(b'x', 2000));
    b.extend_from_slice(b"\n%%EOF\n");
    b
}

/// The start of an MP4 file (an ftyp box), padded.
fn mp4() -> Vec<u8> {
    let mut b = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    b.extend(std::iter::repeat_n(0u8, 4000));
    b
}

#[tokio::test]
async fn a_telegram_pdf_reaches_matrix_as_a_file_and_email_readers_as_an_attachment() {
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    w.subscriber().await;
    w.fake.user_file(
        GROUP,
        PAUL,
        "Paul",
        "document",
        "le règlement du jardin partagé",
        ("reglement.pdf", "application/pdf"),
        pdf(),
    );
    w.poll().await;
    w.drain().await;

    let events = w.bot_events(&jeanne).await;
    let file = events
        .iter()
        .find(|e| e["content"]["msgtype"] == "m.file")
        .unwrap_or_else(|| panic!("no m.file from the bot: {events:?}"));
    let c = &file["content"];
    assert_eq!(c["body"], "Paul (Telegram) : le règlement du jardin partagé");
    assert_eq!(c["info"]["mimetype"], "application/pdf");
    assert_eq!(c["info"]["size"].as_u64(), Some(pdf().len() as u64));
    assert!(c["filename"].as_str().unwrap().ends_with(".pdf"), "{c}");
    assert_eq!(jeanne.download(c["url"].as_str().unwrap()).await, pdf(), "as it came");
    // Rose's mail carries it attached.
    let raw = w.sink.messages().pop().expect("the every-message mail");
    let mail = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let attached = mail.attachments().next().expect("the PDF attached");
    assert_eq!(
        attached
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or(""))),
        Some("application/pdf".to_owned())
    );
    assert_eq!(attached.contents(), pdf().as_slice());
    assert!(mail.body_text(0).unwrap().contains("le règlement du jardin partagé"));
    // Stored once, without a thumbnail.
    let (mime, thumb): (String, Option<String>) = sqlx::query_as("SELECT mime, thumb_hash FROM media")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!((mime.as_str(), thumb), ("application/pdf", None));
    w.finish().await;
}

#[tokio::test]
async fn matrix_videos_and_files_reach_telegram_by_send_video_and_send_document() {
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    let room = w.room().await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    let video = jeanne.upload(mp4(), "video/mp4").await;
    jeanne
        .send(
            &room,
            "m.room.message",
            json!({"msgtype": "m.video", "body": "le chaton à adopter", "filename": "chaton.mp4",
                   "url": video, "info": {"mimetype": "video/mp4", "size": mp4().len()}}),
        )
        .await;
    let doc = jeanne.upload(pdf(), "application/pdf").await;
    jeanne
        .send(
            &room,
            "m.room.message",
            json!({"msgtype": "m.file", "body": "horaires.pdf", "filename": "horaires.pdf",
                   "url": doc, "info": {"mimetype": "application/pdf", "size": pdf().len()}}),
        )
        .await;
    w.sync().await;
    w.drain().await;

    let sent = w.fake.bot_sent(GROUP);
    let with = |kind: &str| {
        sent.iter()
            .find(|m| m.file.as_ref().is_some_and(|f| f.kind == kind))
            .unwrap_or_else(|| panic!("no {kind} in the group: {sent:?}"))
    };
    let v = with("video");
    assert_eq!(v.text, "Jeanne (Matrix) : le chaton à adopter");
    assert_eq!(v.file.as_ref().unwrap().bytes.as_slice(), mp4().as_slice());
    assert_eq!(v.file.as_ref().unwrap().mime_type.as_deref(), Some("video/mp4"));
    let d = with("document");
    assert_eq!(d.text, "Jeanne (Matrix) : 📎 horaires.pdf");
    assert_eq!(d.file.as_ref().unwrap().bytes.as_slice(), pdf().as_slice());
    for (method, field) in [("sendVideo", "video"), ("sendDocument", "document")] {
        let calls = w.fake.calls_of(method);
        assert_eq!(calls.len(), 1, "{method}");
        assert!(
            calls[0].params[field].as_str().unwrap().starts_with("attach:"),
            "{method} is a multipart upload"
        );
    }
    assert_eq!(count(&w.db.pool, "media").await, 2);
    w.finish().await;
}

#[tokio::test]
async fn a_file_that_is_not_what_it_says_is_refused_and_the_copies_say_so() {
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    // Called a PDF, but a Windows program.
    let mut exe = b"MZ\x90\0\x03\0\0\0".to_vec();
    exe.extend(std::iter::repeat_n(0u8, 500));
    w.fake.user_file(
        GROUP,
        PAUL,
        "Paul",
        "document",
        "le plan du quartier",
        ("plan.pdf", "application/pdf"),
        exe,
    );
    // And an archive, a type not taken in: not even downloaded.
    w.fake.user_file(
        GROUP,
        PAUL,
        "Paul",
        "document",
        "",
        ("photos.zip", "application/zip"),
        vec![b'P', b'K', 3, 4, 0, 0],
    );
    w.poll().await;
    w.drain().await;

    let bodies: Vec<String> = w
        .bot_events(&jeanne)
        .await
        .iter()
        .map(|e| e["content"]["body"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        bodies.contains(
            &"Paul (Telegram) : 📎 fichier non transmis (format non pris en charge)\nle plan du quartier".to_owned()
        ),
        "{bodies:?}"
    );
    assert!(
        bodies.contains(
            &"Paul (Telegram) : 📎 fichier non transmis (format non pris en charge)\n📎 photos.zip".to_owned()
        ),
        "{bodies:?}"
    );
    let notices: Vec<String> = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .map(|m| m.text)
        .filter(|t| t.contains("n'a pas été transmis"))
        .collect();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(
        notices[0].contains("formats acceptés : JPEG, PNG, WebP, PDF, MP4, WebM"),
        "{notices:?}"
    );
    assert_eq!(w.fake.calls_of("getFile").len(), 1, "the archive was not fetched");
    assert_eq!(count(&w.db.pool, "media").await, 0);
    w.finish().await;
}

#[tokio::test]
async fn an_emailed_pdf_reaches_the_telegram_group_as_a_document() {
    use lettre::message::{Attachment, MultiPart, SinglePart, header::ContentType};
    let hs = Synapse::shared();
    let w = World::new(hs, MediaLimits::default()).await;
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('marie@exemple.fr', 'saint-servan', 'weekly')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let imap = crate::email::receive::Dovecot::start();
    let mail = lettre::Message::builder()
        .from("Marie Dupont <marie@exemple.fr>".parse().unwrap())
        .to("bot@voisinage.test".parse().unwrap())
        .subject("vide-grenier")
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(
                    "Le programme du vide-grenier de dimanche.".to_owned(),
                ))
                .singlepart(
                    Attachment::new("programme.pdf".into()).body(pdf(), ContentType::parse("application/pdf").unwrap()),
                ),
        )
        .unwrap();
    imap.deliver_raw(&mail.formatted());
    let mut reader =
        voisinage::channels::email::MailReader::new(&crate::email::receive::settings(&imap), w.core.clone());
    assert_eq!(reader.poll_once().await.unwrap(), Some(1));
    w.drain().await;

    let copy = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .find(|m| m.file.is_some())
        .expect("a document in the Telegram group");
    assert_eq!(
        copy.text,
        "Marie Dupont (courriel) : Le programme du vide-grenier de dimanche."
    );
    let f = copy.file.unwrap();
    assert_eq!((f.kind, f.bytes.as_slice()), ("document", pdf().as_slice()));
    assert_eq!(f.mime_type.as_deref(), Some("application/pdf"));
    reader.release().await;
    w.finish().await;
}

#[tokio::test]
async fn the_digest_links_a_posts_document_on_the_daemon() {
    use std::str::FromStr;
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    w.fake.user_file(
        GROUP,
        PAUL,
        "Paul",
        "document",
        "je donne des livres de cuisine",
        ("liste.pdf", "application/pdf"),
        pdf(),
    );
    w.poll().await;
    w.drain().await;
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('rose@exemple.fr', 'saint-servan', 'weekly')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let digester = voisinage::digest::Digester::new(
        w.core.clone(),
        std::sync::Arc::new(voisinage::partners::Partners::example()),
        &crate::media::digest_settings(),
    )
    .unwrap();
    let slot = cron::Schedule::from_str("0 0 9 * * Sat")
        .unwrap()
        .after(&chrono::Utc::now().with_timezone(&chrono_tz::Europe::Paris))
        .next()
        .unwrap()
        .with_timezone(&chrono::Utc);
    digester
        .make("saint-servan", voisinage::digest::Period::Week, slot, true)
        .await
        .unwrap();
    w.drain().await;

    let raw = w.sink.messages().pop().expect("the digest");
    let mail = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(mail.attachments().next().is_none(), "the file stays on the daemon");
    let text = mail.body_text(0).unwrap().into_owned();
    let link = text
        .split("📎 Fichier : ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no file link: {text}"))
        .to_owned();
    assert!(link.starts_with(&format!("{}/m/", w.http)), "{link}");
    let html = mail.body_html(0).unwrap().replace("&#x2f;", "/");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(!html.contains("<img"), "no thumbnail for a document: {html}");
    let r = reqwest::get(&link).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"fichier-")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), pdf().as_slice());
    w.finish().await;
}
