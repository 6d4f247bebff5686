//! Photos and their posts (issue 15): a photo sent alone right after its author's words
//! belongs to them (relayed as an answer to their copies, shown with the post), and
//! `/annonces` shows the posts' photos where the channel can (a `/m/TOKEN` link in the chats, a
//! thumbnail by email).

use mail_parser::MimeHeaders;
use serde_json::{Value, json};
use voisinage::media::MediaLimits;

use crate::helpers::count;
use crate::matrix::Synapse;
use crate::media::{World, assert_clean_photo, photo, with_gps};
use crate::telegram::{ADMIN, GROUP, PAUL};

/// Which message carries which file, and through which lone photo message.
async fn links(w: &World) -> Vec<(i64, Option<i64>)> {
    sqlx::query_as("SELECT message_id, via_message FROM message_media ORDER BY message_id, position")
        .fetch_all(&w.db.pool)
        .await
        .unwrap()
}

/// The id of the stored message with Telegram id `native`.
async fn message_id(w: &World, native: i64) -> i64 {
    sqlx::query_scalar("SELECT id FROM messages WHERE channel = 'telegram' AND native_id = $1")
        .bind(native.to_string())
        .fetch_one(&w.db.pool)
        .await
        .unwrap()
}

/// The `/m/TOKEN` links of `text`.
fn photo_links(text: &str, http: &str) -> Vec<String> {
    text.split(&format!("{http}/m/"))
        .skip(1)
        .map(|rest| {
            let token: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-_.~%".contains(*c))
                .collect();
            format!("{http}/m/{token}")
        })
        .collect()
}

async fn fetch_image(url: &str) -> Vec<u8> {
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    r.bytes().await.unwrap().to_vec()
}

/// Anne asks the Telegram group for the current posts; the bot's answer.
async fn annonces(w: &mut World) -> String {
    w.fake.user_message(GROUP, ADMIN, "Anne", "/annonces");
    w.poll().await;
    w.drain().await;
    w.fake
        .bot_sent(GROUP)
        .into_iter()
        .rev()
        .find(|m| m.text.contains("en cours"))
        .expect("the answer to /annonces")
        .text
}

#[tokio::test]
async fn a_photo_sent_alone_after_its_authors_words_joins_their_post() {
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    let (_, text_native) = w.fake.user_message(GROUP, PAUL, "Paul", "je donne ce fauteuil");
    w.poll().await;
    w.drain().await;
    let (_, photo_native) = w
        .fake
        .user_photo_file(GROUP, PAUL, "Paul", "", with_gps(&photo(64, 48)));
    w.poll().await;
    w.drain().await;

    // One post, and it carries the photo; the photo's own message carries nothing else.
    assert_eq!(count(&w.db.pool, "posts").await, 1);
    let (text_id, photo_id) = (message_id(&w, text_native).await, message_id(&w, photo_native).await);
    assert_eq!(links(&w).await, vec![(text_id, Some(photo_id))]);
    // In Matrix the picture answers the copy of the words.
    let events = w.bot_events(&jeanne).await;
    let words = events
        .iter()
        .find(|e| e["content"]["body"] == "Paul (Telegram) : je donne ce fauteuil")
        .unwrap_or_else(|| panic!("the copy of the words: {events:?}"));
    let image = events
        .iter()
        .find(|e| e["content"]["msgtype"] == "m.image")
        .unwrap_or_else(|| panic!("no m.image: {events:?}"));
    assert_eq!(
        image["content"]["m.relates_to"]["m.in_reply_to"]["event_id"],
        words["event_id"]
    );
    assert_clean_photo(
        &jeanne.download(image["content"]["url"].as_str().unwrap()).await,
        64,
        48,
    );
    // Nothing was asked about the lone photo, no second "offer recorded".
    let notices = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .filter(|m| m.text.contains("notée"))
        .count();
    assert_eq!(notices, 1, "{:?}", w.fake.bot_sent(GROUP));

    // /annonces shows the post with a link to its photo.
    let answer = annonces(&mut w).await;
    assert!(answer.contains("fauteuil"), "{answer}");
    let urls = photo_links(&answer, &w.http);
    assert_eq!(urls.len(), 1, "{answer}");
    assert_clean_photo(&fetch_image(&urls[0]).await, 64, 48);

    // An administrator removes the photo: the post stays, without it; the file goes.
    w.fake.user_reply(GROUP, ADMIN, "Anne", "/supprimer", photo_native);
    w.poll().await;
    w.drain().await;
    w.core.purge_media_once(chrono::Utc::now(), 100).await.unwrap();
    assert!(links(&w).await.is_empty());
    assert_eq!(count(&w.db.pool, "media").await, 0);
    let answer = annonces(&mut w).await;
    assert!(answer.contains("fauteuil"), "{answer}");
    assert!(photo_links(&answer, &w.http).is_empty(), "{answer}");
    w.finish().await;
}

#[tokio::test]
async fn a_photo_sent_alone_long_after_the_words_is_a_message_of_its_own() {
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    let (_, text_native) = w.fake.user_message(GROUP, PAUL, "Paul", "je donne ce fauteuil");
    w.poll().await;
    w.drain().await;
    // Paul wrote three minutes ago (the window is two).
    sqlx::query("UPDATE messages SET sent_at = sent_at - interval '3 minutes' WHERE native_id = $1")
        .bind(text_native.to_string())
        .execute(&w.db.pool)
        .await
        .unwrap();
    let (_, photo_native) = w.fake.user_photo_file(GROUP, PAUL, "Paul", "", photo(64, 48));
    w.poll().await;
    w.drain().await;

    let photo_id = message_id(&w, photo_native).await;
    assert_eq!(links(&w).await, vec![(photo_id, None)]);
    let events = w.bot_events(&jeanne).await;
    let image = events
        .iter()
        .find(|e| e["content"]["msgtype"] == "m.image")
        .unwrap_or_else(|| panic!("no m.image: {events:?}"));
    assert_eq!(image["content"]["body"], "Paul (Telegram) : 📷");
    assert_eq!(image["content"]["m.relates_to"], Value::Null);
    let answer = annonces(&mut w).await;
    assert!(photo_links(&answer, &w.http).is_empty(), "{answer}");
    w.finish().await;
}

#[tokio::test]
async fn annonces_by_email_show_the_posts_thumbnails() {
    use lettre::message::header::ContentType;
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    w.fake
        .user_photo_file(GROUP, PAUL, "Paul", "je donne une lampe de chevet", photo(64, 48));
    w.fake.user_message(GROUP, PAUL, "Paul", "je donne des pots de fleurs");
    w.poll().await;
    w.drain().await;
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('marie@exemple.fr', 'saint-servan', 'weekly')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let imap = crate::email::receive::Dovecot::start();
    let mail = lettre::Message::builder()
        .from("Marie Dupont <marie@exemple.fr>".parse().unwrap())
        .to("bot@voisinage.test".parse().unwrap())
        .subject("annonces")
        .header(ContentType::TEXT_PLAIN)
        .body("/annonces".to_owned())
        .unwrap();
    imap.deliver_raw(&mail.formatted());
    let mut reader =
        voisinage::channels::email::MailReader::new(&crate::email::receive::settings(&imap), w.core.clone());
    assert_eq!(reader.poll_once().await.unwrap(), Some(1));
    w.drain().await;

    let raw = w.sink.messages().pop().expect("the answer");
    let mail = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let text = mail.body_text(0).unwrap().into_owned();
    assert!(text.contains("lampe") && text.contains("pot de fleur"), "{text}");
    let urls = photo_links(&text, &w.http);
    assert_eq!(urls.len(), 1, "one post has a photo: {text}");
    // The HTML shows the thumbnail, linking to the photo.
    let html = mail.body_html(0).unwrap().into_owned();
    let thumb = html
        .split("<img src=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no thumbnail: {html}"))
        .replace("&amp;", "&");
    assert!(thumb.starts_with(&format!("{}/m/", w.http)), "{thumb}");
    assert!(html.contains(&format!("href=\"{}\"", urls[0])), "{html}");
    let small = image::load_from_memory(&fetch_image(&thumb).await).unwrap();
    assert!(small.width() <= 240 && small.height() <= 240);
    assert!(mail.attachments().next().is_none(), "links, not files");
    reader.release().await;
    w.finish().await;
}

#[tokio::test]
async fn the_photos_of_an_album_are_gathered_in_its_first_message() {
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    w.subscriber().await;
    // Three photos sent together: three updates, one media group, the caption on the first.
    let group = "13722339028451234";
    let (_, first) = w
        .fake
        .user_album_photo(GROUP, PAUL, "Paul", group, "je donne ces trois chaises", photo(64, 48));
    let (_, second) = w.fake.user_album_photo(GROUP, PAUL, "Paul", group, "", photo(48, 64));
    let (_, third) = w.fake.user_album_photo(GROUP, PAUL, "Paul", group, "", photo(32, 32));
    w.poll().await;
    w.drain().await;

    assert_eq!(count(&w.db.pool, "posts").await, 1);
    let first_id = message_id(&w, first).await;
    let (second_id, third_id) = (message_id(&w, second).await, message_id(&w, third).await);
    assert_eq!(
        links(&w).await,
        vec![
            (first_id, None),
            (first_id, Some(second_id)),
            (first_id, Some(third_id))
        ],
        "one message carries the three photos"
    );
    // Every photo reaches Matrix, the first with the words.
    let images: Vec<Value> = w
        .bot_events(&jeanne)
        .await
        .into_iter()
        .filter(|e| e["content"]["msgtype"] == "m.image")
        .collect();
    assert_eq!(images.len(), 3, "{images:?}");
    assert_eq!(
        images[0]["content"]["body"],
        "Paul (Telegram) : je donne ces trois chaises"
    );
    let sizes: Vec<(i64, i64)> = images
        .iter()
        .map(|e| {
            let i = &e["content"]["info"];
            (i["w"].as_i64().unwrap(), i["h"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(sizes, vec![(64, 48), (48, 64), (32, 32)]);
    // Rose reads it in one mail, the three photos inline.
    let mails = w.sink.messages();
    assert_eq!(mails.len(), 1, "one mail for the album");
    let mail = mail_parser::MessageParser::default().parse(&mails[0]).unwrap();
    let html = mail.body_html(0).unwrap().into_owned();
    assert_eq!(html.matches("src=\"cid:").count(), 3, "{html}");
    let inline: Vec<&[u8]> = mail
        .parts
        .iter()
        .filter(|p| p.content_id().is_some())
        .map(|p| p.contents())
        .collect();
    assert_eq!(inline.len(), 3);
    assert_clean_photo(inline[0], 64, 48);

    // The post shows its first photo; taking the post away takes the whole album.
    let answer = annonces(&mut w).await;
    assert_eq!(photo_links(&answer, &w.http).len(), 1, "{answer}");
    w.fake.user_reply(GROUP, ADMIN, "Anne", "/supprimer", first);
    w.poll().await;
    w.drain().await;
    w.core.purge_media_once(chrono::Utc::now(), 100).await.unwrap();
    assert!(links(&w).await.is_empty());
    assert_eq!(count(&w.db.pool, "media").await, 0);
    // Every photo's copy is redacted in Matrix, not only the first.
    let left: Vec<Value> = w
        .bot_events(&jeanne)
        .await
        .into_iter()
        .filter(|e| e["content"]["msgtype"] == "m.image")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    w.finish().await;
}

#[tokio::test]
async fn words_and_the_photos_sent_right_after_reach_telegram_as_one_album() {
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    let room = w.room().await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    w.subscriber().await;
    // Jeanne's client sends the words, then each photo as its own event (one image per event).
    let words = jeanne
        .send(
            &room,
            "m.room.message",
            json!({"msgtype": "m.text", "body": "je donne deux lampes de chevet"}),
        )
        .await;
    for (w_, h_) in [(64, 48), (48, 64)] {
        let mxc = jeanne.upload(photo(w_, h_), "image/jpeg").await;
        jeanne
            .send(
                &room,
                "m.room.message",
                json!({"msgtype": "m.image", "body": "IMG.jpg", "url": mxc,
                       "info": {"mimetype": "image/jpeg", "w": w_, "h": h_}}),
            )
            .await;
    }
    w.sync().await;
    w.drain().await;

    // One media group in the Telegram group, the words as the first photo's caption.
    let calls = w.fake.calls_of("sendMediaGroup");
    assert_eq!(calls.len(), 1, "{:?}", w.fake.calls());
    assert!(
        w.fake
            .calls_of("sendMessage")
            .iter()
            .all(|c| !c.params["text"].as_str().unwrap_or_default().contains("lampes"))
    );
    let sent: Vec<_> = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .filter(|m| m.photo.is_some())
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0].text, "Jeanne (Matrix) : je donne deux lampes de chevet");
    assert_clean_photo(&w.fake.photo_bytes(GROUP, sent[0].message_id).unwrap(), 64, 48);
    let second = image::load_from_memory(&w.fake.photo_bytes(GROUP, sent[1].message_id).unwrap()).unwrap();
    assert_eq!((second.width(), second.height()), (48, 64));
    // Rose gets one mail: the words and both photos.
    let mails = w.sink.messages();
    assert_eq!(mails.len(), 1);
    let mail = mail_parser::MessageParser::default().parse(&mails[0]).unwrap();
    assert_eq!(mail.body_html(0).unwrap().matches("src=\"cid:").count(), 2);
    // The post carries both photos.
    assert_eq!(count(&w.db.pool, "posts").await, 1);
    assert_eq!(links(&w).await.len(), 2);

    // Jeanne edits her words: the album's caption follows.
    jeanne
        .send(
            &room,
            "m.room.message",
            json!({"msgtype": "m.text", "body": "* je donne deux lampes de chevet bleues",
                   "m.new_content": {"msgtype": "m.text", "body": "je donne deux lampes de chevet bleues"},
                   "m.relates_to": {"rel_type": "m.replace", "event_id": words}}),
        )
        .await;
    w.sync().await;
    w.drain().await;
    let first = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .find(|m| m.message_id == sent[0].message_id)
        .unwrap();
    assert_eq!(first.text, "Jeanne (Matrix) : je donne deux lampes de chevet bleues");
    assert_eq!(w.fake.calls_of("editMessageCaption").len(), 1);

    // Jeanne takes her words back: the whole album goes from the group.
    jeanne
        .call(
            reqwest::Method::PUT,
            &format!("/rooms/{room}/redact/{words}/r1"),
            Some(json!({})),
        )
        .await;
    w.sync().await;
    w.drain().await;
    let deleted = w.fake.deleted_ids(GROUP);
    assert!(sent.iter().all(|m| deleted.contains(&m.message_id)), "{deleted:?}");
    w.finish().await;
}

#[tokio::test]
async fn a_mail_with_two_photos_reaches_telegram_as_an_album_and_matrix_as_two_images() {
    use lettre::message::{Attachment, MultiPart, SinglePart, header::ContentType};
    let hs = Synapse::shared();
    let w = World::new(hs, MediaLimits::default()).await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('marie@exemple.fr', 'saint-servan', 'weekly')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let imap = crate::email::receive::Dovecot::start();
    let jpeg = || ContentType::parse("image/jpeg").unwrap();
    let mail = lettre::Message::builder()
        .from("Marie Dupont <marie@exemple.fr>".parse().unwrap())
        .to("bot@voisinage.test".parse().unwrap())
        .subject("buffet")
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain("Je donne un buffet, photos jointes.".to_owned()))
                .singlepart(Attachment::new("face.jpg".into()).body(with_gps(&photo(64, 48)), jpeg()))
                .singlepart(Attachment::new("cote.jpg".into()).body(photo(48, 64), jpeg())),
        )
        .unwrap();
    imap.deliver_raw(&mail.formatted());
    let mut reader =
        voisinage::channels::email::MailReader::new(&crate::email::receive::settings(&imap), w.core.clone());
    assert_eq!(reader.poll_once().await.unwrap(), Some(1));
    w.drain().await;

    assert_eq!(w.fake.calls_of("sendMediaGroup").len(), 1);
    let sent: Vec<_> = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .filter(|m| m.photo.is_some())
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(
        sent[0].text,
        "Marie Dupont (courriel) : Je donne un buffet, photos jointes."
    );
    assert_clean_photo(&w.fake.photo_bytes(GROUP, sent[0].message_id).unwrap(), 64, 48);
    let images: Vec<Value> = w
        .bot_events(&jeanne)
        .await
        .into_iter()
        .filter(|e| e["content"]["msgtype"] == "m.image")
        .collect();
    assert_eq!(images.len(), 2, "{images:?}");
    assert_eq!(
        images[0]["content"]["body"],
        "Marie Dupont (courriel) : Je donne un buffet, photos jointes."
    );
    assert_eq!(images[1]["content"]["info"]["w"], 48);
    let positions: Vec<i32> = sqlx::query_scalar("SELECT position FROM message_media ORDER BY position")
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(positions, vec![0, 1], "one message, two photos");
    reader.release().await;
    w.finish().await;
}
