//! Photos (issue 15) across Telegram (the Bot API fake, extended with getFile, the file
//! download and multipart sendPhoto) and Matrix (the shared Synapse): what arrives is the
//! picture, re-encoded without its EXIF/GPS block; a file too large is refused with a notice;
//! a deleted message takes its file with it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use mail_parser::MimeHeaders;
use serde_json::{Value, json};
use voisinage::channels::MediaAccess;
use voisinage::channels::matrix::{Matrix, Syncer};
use voisinage::channels::telegram::{Poller, Telegram};
use voisinage::core::model::ChannelKind;
use voisinage::core::outbox::Outbox;
use voisinage::core::{Channel, Core};
use voisinage::media::{MediaLimits, MediaStore};

use crate::botapi::FakeBotApi;
use crate::email::{Sink, smtp_settings};
use crate::helpers::{TestDb, core, drain, outbox, root};
use crate::matrix::{Neighbour, Synapse, unique};
use crate::telegram::{ADMIN, GROUP, PAUL, TOKEN};

/// A 64×48 JPEG: blue-ish, with a gradient (so pixels can be compared after re-encoding).
pub fn photo(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x * 3) as u8, (y * 4) as u8, 200]));
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 92).encode_image(&img).unwrap();
    out
}

/// `jpeg` with an APP1 Exif segment holding a GPS position (as a phone writes it), by hand.
pub fn with_gps(jpeg: &[u8]) -> Vec<u8> {
    let payload = b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x88\x25\0\x04\0\0\0\x01\0\0\0\x1aGPS 48.6493N 2.0257W Saint-Malo";
    let len = (payload.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// The picture is there (size and colour), and nothing of the phone's metadata.
pub fn assert_clean_photo(bytes: &[u8], w: u32, h: u32) {
    assert!(!bytes.windows(4).any(|x| x == b"Exif"), "EXIF left in the copy");
    assert!(!bytes.windows(3).any(|x| x == b"GPS"), "GPS left in the copy");
    let img = image::load_from_memory(bytes).expect("a readable image").to_rgb8();
    assert_eq!((img.width(), img.height()), (w, h));
    let px = img.get_pixel(20, 10);
    let want = [60i32, 40, 200];
    for (got, want) in px.0.iter().zip(want) {
        assert!((i32::from(*got) - want).abs() < 16, "pixel {px:?}, want about {want:?}");
    }
}

/// Telegram (fake) and Matrix (Synapse) rooms of Saint-Servan, an email recorder, one core.
pub struct World {
    pub fake: FakeBotApi,
    pub db: TestDb,
    pub core: Arc<Core>,
    pub mx: Arc<Matrix>,
    /// The SMTP sink every-message subscribers' mail reaches.
    pub sink: Sink,
    pub outbox: Outbox,
    pub poller: Poller,
    pub syncer: Syncer,
    pub data_dir: PathBuf,
    /// The daemon's HTTP server (`/m/TOKEN` photo links).
    pub http: String,
}

impl World {
    pub async fn new(hs: &Synapse, limits: MediaLimits) -> World {
        let fake = FakeBotApi::start(TOKEN).await;
        let db = TestDb::new().await;
        let mut core = core(&db.pool);
        let prefix = format!("{}-", unique("m"));
        let data_dir = root().join(format!("target/peers/data-{prefix}"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http = format!("http://{}", listener.local_addr().unwrap());
        {
            let c = Arc::get_mut(&mut core).expect("a new core");
            c.media = Arc::new(MediaStore::on_disk(data_dir.join("media"), limits));
            c.links.public_url = http.clone();
        }
        let app = voisinage::http::router(core.clone(), Arc::new(voisinage::partners::Partners::example()));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let tg = Telegram::new(&crate::telegram::settings(&fake)).unwrap();
        let bot = hs.register(&unique("bot"));
        let mx = Matrix::new(&crate::matrix::settings(hs, &bot, &prefix), &data_dir).unwrap();
        let access = MediaAccess {
            store: core.media.clone(),
            pool: db.pool.clone(),
        };
        tg.use_media(access.clone());
        mx.use_media(access.clone());
        core.admins.register(tg.clone());
        core.admins.register(mx.clone());
        let sink = Sink::start(&prefix);
        let email = voisinage::channels::email::Email::new(
            &smtp_settings(&sink),
            &data_dir,
            db.pool.clone(),
            core.links.clone(),
            voisinage::i18n::Texts::embedded(),
        )
        .unwrap();
        email.use_media(access);
        let channels: Vec<Arc<dyn Channel>> = vec![tg.clone(), mx.clone(), email];
        let mut w = World {
            fake,
            outbox: outbox(&db.pool, channels),
            poller: Poller::new(tg.clone(), core.clone()),
            syncer: Syncer::new(mx.clone(), core.clone()),
            db,
            core,
            mx,
            sink,
            data_dir,
            http,
        };
        w.link().await;
        w
    }

    /// The Telegram group linked to Saint-Servan by its administrator; the Matrix room made.
    async fn link(&mut self) {
        self.fake.add_chat(GROUP, "supergroup", "Voisins de Saint-Servan");
        self.fake.set_member(GROUP, ADMIN, "Anne", "administrator");
        self.fake.set_member(GROUP, PAUL, "Paul", "member");
        self.fake.set_bot_status(GROUP, "administrator");
        self.fake.user_message(GROUP, ADMIN, "Anne", "/relier saint-servan");
        self.poll().await;
        self.sync().await;
        self.drain().await;
    }

    pub async fn poll(&mut self) {
        self.poller.poll_once(0).await.unwrap();
    }

    pub async fn sync(&mut self) {
        self.syncer.sync_once(Duration::ZERO).await.unwrap();
    }

    pub async fn drain(&self) {
        drain(&self.db.pool, &self.outbox, Duration::from_secs(60)).await;
    }

    pub async fn room(&self) -> String {
        voisinage::store::chats::room_of_area(&self.db.pool, ChannelKind::Matrix, "saint-servan")
            .await
            .unwrap()
            .expect("the area has its Matrix room")
    }

    /// A neighbour in the Matrix room, named `name`.
    pub async fn neighbour(&self, hs: &Synapse, name: &str) -> Neighbour {
        let n = Neighbour::login(hs, &unique(&name.to_lowercase())).await;
        n.join(&self.room().await).await;
        n.call(
            reqwest::Method::PUT,
            &format!("/profile/{}/displayname", n.user_id),
            Some(json!({ "displayname": name })),
        )
        .await;
        n
    }

    /// Rose reads every message of Saint-Servan by email.
    pub async fn subscriber(&self) {
        sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('rose@exemple.fr', 'saint-servan', 'each')")
            .execute(&self.db.pool)
            .await
            .unwrap();
    }

    /// The bot's events in the Matrix room, oldest first.
    pub async fn bot_events(&self, n: &Neighbour) -> Vec<Value> {
        let room = self.room().await;
        n.messages(&room)
            .await
            .into_iter()
            .filter(|e| e["sender"] == self.mx.user_id() && e["type"] == "m.room.message")
            .collect()
    }

    pub async fn finish(mut self) {
        self.poller.release().await;
        self.syncer.release().await;
        self.db.finish().await;
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

#[tokio::test]
async fn a_telegram_photo_reaches_matrix_as_an_image_without_its_gps_position() {
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    w.subscriber().await;
    let sent = with_gps(&photo(64, 48));
    w.fake
        .user_photo_file(GROUP, PAUL, "Paul", "je donne ce fauteuil", sent.clone());
    w.poll().await;
    w.drain().await;

    let events = w.bot_events(&jeanne).await;
    let image = events
        .iter()
        .find(|e| e["content"]["msgtype"] == "m.image")
        .unwrap_or_else(|| panic!("no m.image from the bot: {events:?}"));
    let c = &image["content"];
    assert_eq!(c["body"], "Paul (Telegram) : je donne ce fauteuil");
    assert_eq!(c["info"]["mimetype"], "image/jpeg");
    assert_eq!((c["info"]["w"].as_i64(), c["info"]["h"].as_i64()), (Some(64), Some(48)));
    let got = jeanne.download(c["url"].as_str().unwrap()).await;
    assert_eq!(c["info"]["size"].as_u64(), Some(got.len() as u64));
    assert_clean_photo(&got, 64, 48);
    let thumb = jeanne.download(c["info"]["thumbnail_url"].as_str().unwrap()).await;
    assert!(image::load_from_memory(&thumb).is_ok());
    // Rose's mail shows the photo inline (cid:), clean too.
    let mails = w.sink.messages();
    let raw = mails.last().expect("the every-message mail");
    std::fs::write(root().join("target/media-email-example.eml"), raw).unwrap();
    let mail = mail_parser::MessageParser::default().parse(raw).unwrap();
    let html = mail.body_html(0).expect("an HTML part").into_owned();
    let cid = html
        .split("src=\"cid:")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("an inline image in the HTML");
    let part = mail
        .parts
        .iter()
        .find(|p| p.content_id() == Some(cid))
        .expect("the part the HTML names");
    assert_eq!(part.content_type().map(|c| c.ctype()), Some("image"));
    assert_clean_photo(part.contents(), 64, 48);
    assert!(
        mail.body_text(0)
            .unwrap()
            .contains("Paul (Telegram) : je donne ce fauteuil")
    );
    // The caption is the message: it was read as an offer.
    let item: String = sqlx::query_scalar("SELECT item FROM posts")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(item, "fauteuil");
    // The token-bearing download URL went nowhere: not into the database.
    let leaked: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE payload::text LIKE '%' || $1 || '%'")
        .bind(TOKEN)
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(leaked, 0);
    w.finish().await;
}

#[tokio::test]
async fn a_matrix_image_reaches_telegram_as_a_photo_and_goes_with_its_redaction() {
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    let room = w.room().await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    let mxc = jeanne.upload(with_gps(&photo(64, 48)), "image/jpeg").await;
    let event = jeanne
        .send(
            &room,
            "m.room.message",
            json!({"msgtype": "m.image", "body": "je donne une poussette", "filename": "IMG_2031.jpg",
                   "url": mxc, "info": {"mimetype": "image/jpeg", "w": 64, "h": 48}}),
        )
        .await;
    w.sync().await;
    w.drain().await;

    let sent = w.fake.bot_sent(GROUP);
    let copy = sent
        .iter()
        .find(|m| m.photo.is_some())
        .unwrap_or_else(|| panic!("no photo in the group: {sent:?}"));
    assert_eq!(copy.text, "Jeanne (Matrix) : je donne une poussette");
    let call = w.fake.calls_of("sendPhoto");
    assert!(
        call[0].params["photo"].as_str().unwrap().starts_with("attach:"),
        "multipart upload"
    );
    let bytes = w.fake.photo_bytes(GROUP, copy.message_id).expect("the uploaded bytes");
    assert_clean_photo(&bytes, 64, 48);
    let hash: String = sqlx::query_scalar("SELECT hash FROM media")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert!(w.core.media.blobs.exists(&hash).await.unwrap());

    // The author takes it back: the copy and the stored file go.
    jeanne
        .call(
            reqwest::Method::PUT,
            &format!("/rooms/{room}/redact/{event}/r1"),
            Some(json!({})),
        )
        .await;
    w.sync().await;
    w.drain().await;
    assert!(w.fake.deleted_ids(GROUP).contains(&copy.message_id));
    assert!(!w.core.media.blobs.exists(&hash).await.unwrap(), "the file is deleted");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM media")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    w.finish().await;
}

#[tokio::test]
async fn a_photo_too_large_is_refused_with_a_notice_and_the_copies_say_so() {
    let hs = Synapse::shared();
    let limits = MediaLimits {
        max_bytes: 1024,
        ..MediaLimits::default()
    };
    let mut w = World::new(hs, limits).await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    w.fake
        .user_photo_file(GROUP, PAUL, "Paul", "je donne ce fauteuil", photo(640, 480));
    w.poll().await;
    w.drain().await;
    let events = w.bot_events(&jeanne).await;
    let copy = events.last().expect("a copy");
    assert_eq!(copy["content"]["msgtype"], "m.text");
    assert_eq!(
        copy["content"]["body"],
        "Paul (Telegram) : 📷 photo non transmise (trop lourde)\nje donne ce fauteuil"
    );
    let notice = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .find(|m| m.text.contains("n'a pas été transmise"))
        .expect("the author is told");
    assert!(notice.text.contains("1 Mo"), "{}", notice.text);
    assert!(
        w.fake.calls_of("getFile").is_empty(),
        "not downloaded: Telegram said its size"
    );
    assert_eq!(crate::helpers::count(&w.db.pool, "media").await, 0);
    w.finish().await;
}

#[tokio::test]
async fn an_emailed_photo_reaches_the_telegram_group_and_the_matrix_room() {
    use lettre::message::{Attachment, MultiPart, SinglePart, header::ContentType};
    let hs = Synapse::shared();
    let w = World::new(hs, MediaLimits::default()).await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('marie@exemple.fr', 'saint-servan', 'weekly')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let imap = crate::email::receive::Dovecot::start();
    let mail = lettre::Message::builder()
        .from("Marie Dupont <marie@exemple.fr>".parse().unwrap())
        .to("bot@voisinage.test".parse().unwrap())
        .subject("poussette")
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain("Je donne une poussette, en bon état.".to_owned()))
                .singlepart(
                    Attachment::new("IMG_2044.jpg".into())
                        .body(with_gps(&photo(64, 48)), ContentType::parse("image/jpeg").unwrap()),
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
        .find(|m| m.photo.is_some())
        .expect("a photo in the Telegram group");
    assert_eq!(
        copy.text,
        "Marie Dupont (courriel) : Je donne une poussette, en bon état."
    );
    assert_clean_photo(&w.fake.photo_bytes(GROUP, copy.message_id).unwrap(), 64, 48);
    let events = w.bot_events(&jeanne).await;
    let image = events
        .iter()
        .find(|e| e["content"]["msgtype"] == "m.image")
        .unwrap_or_else(|| panic!("no m.image in Matrix: {events:?}"));
    assert_clean_photo(
        &jeanne.download(image["content"]["url"].as_str().unwrap()).await,
        64,
        48,
    );
    reader.release().await;
    w.finish().await;
}

/// The daemon's settings for digests (weekly on Saturdays, email on).
pub fn digest_settings() -> voisinage::config::Settings {
    let env: Vec<(String, String)> = [
        ("VOISINAGE__DIGEST__WEEKLY", "0 0 9 * * Sat"),
        ("VOISINAGE__CHANNELS__EMAIL__ENABLED", "true"),
        (
            "VOISINAGE__CHANNELS__EMAIL__FROM",
            "Voisinage <voisinage@voisinage.test>",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    voisinage::config::Settings::from_parts("test", voisinage::config::DEFAULT_TOML, &env).unwrap()
}

#[tokio::test]
async fn the_digest_shows_a_thumbnail_linking_to_the_photo_on_the_daemon() {
    use std::str::FromStr;
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    w.fake
        .user_photo_file(GROUP, PAUL, "Paul", "je donne ce fauteuil", with_gps(&photo(64, 48)));
    w.poll().await;
    w.drain().await;
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('rose@exemple.fr', 'saint-servan', 'weekly')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let digester = voisinage::digest::Digester::new(
        w.core.clone(),
        Arc::new(voisinage::partners::Partners::example()),
        &digest_settings(),
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
    // Small: the photo stays on the daemon, the mail only links to it.
    assert!(raw.len() < 30_000, "a digest of {} bytes", raw.len());
    let mail = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(mail.attachments().next().is_none());
    // minijinja escapes "/" in attributes, as HTML allows.
    let html = mail.body_html(0).unwrap().replace("&#x2f;", "/");
    let link = |attr: &str| {
        html.split(&format!("{attr}=\"{}/m/", w.http))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(|t| format!("{}/m/{t}", w.http))
            .unwrap_or_else(|| panic!("no /m/ link in {attr}: {html}"))
    };
    let (thumb_url, photo_url) = (link("src"), link("href"));
    let get = |url: String| async move {
        let r = reqwest::get(&url).await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        r.bytes().await.unwrap().to_vec()
    };
    let thumb = image::load_from_memory(&get(thumb_url.clone()).await).unwrap();
    assert!(thumb.width() <= 240 && thumb.height() <= 240);
    assert_clean_photo(&get(photo_url.clone()).await, 64, 48);
    assert!(
        mail.body_text(0).unwrap().contains(&photo_url),
        "the plain text links the photo"
    );
    // A forged link shows nothing.
    let forged = format!("{}0", photo_url.trim_end_matches(char::is_alphanumeric));
    assert_eq!(reqwest::get(&forged).await.unwrap().status(), 404);

    // Looked at as a neighbour would (while the daemon answers the thumbnail's link).
    let eml = root().join("target/media-digest-example.eml");
    std::fs::write(&eml, &raw).unwrap();
    if which_chromium() {
        // Awaited, not blocking: this runtime serves the thumbnail Chromium asks for.
        let out = tokio::process::Command::new(root().join("scripts/render-email.sh"))
            .arg(&eml)
            .arg(root().join("target/media-digest-example.png"))
            .arg("600")
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    w.finish().await;
}

fn which_chromium() -> bool {
    ["chromium", "chromium-browser", "google-chrome"].iter().any(|b| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {b}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[tokio::test]
async fn a_moderators_removal_and_retention_take_the_stored_files_away() {
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    let (_, removed) = w
        .fake
        .user_photo_file(GROUP, PAUL, "Paul", "je donne ce fauteuil", photo(64, 48));
    w.fake
        .user_photo_file(GROUP, PAUL, "Paul", "je donne cette lampe", photo(48, 64));
    w.poll().await;
    w.drain().await;
    let stored = |w: &World| {
        let pool = w.db.pool.clone();
        async move {
            sqlx::query_as::<_, (String, i32)>("SELECT hash, width FROM media ORDER BY width")
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    let files = stored(&w).await;
    assert_eq!(files.len(), 2);

    // Anne, an administrator of the group, removes the armchair.
    w.fake.user_reply(GROUP, ADMIN, "Anne", "/supprimer", removed);
    w.poll().await;
    w.drain().await;
    let now = chrono::Utc::now();
    w.core.purge_media_once(now, 100).await.unwrap();
    let left = stored(&w).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].1, 48, "the lamp's photo stays");
    let armchair = files.iter().find(|f| f.1 == 64).unwrap();
    assert!(!w.core.media.blobs.exists(&armchair.0).await.unwrap());

    // A year and a day later, retention takes the lamp's text and its photo.
    let later = now + chrono::Duration::days(366);
    w.core.retention_once(later).await.unwrap();
    w.core.purge_media_once(later, 100).await.unwrap();
    assert!(stored(&w).await.is_empty());
    assert!(!w.core.media.blobs.exists(&left[0].0).await.unwrap());
    w.finish().await;
}

#[tokio::test]
async fn a_new_caption_reaches_the_photo_copy() {
    let hs = Synapse::shared();
    let mut w = World::new(hs, MediaLimits::default()).await;
    let room = w.room().await;
    let jeanne = w.neighbour(hs, "Jeanne").await;
    let mxc = jeanne.upload(photo(64, 48), "image/jpeg").await;
    let image = json!({"msgtype": "m.image", "body": "je donne une poussette", "filename": "IMG.jpg",
                       "url": mxc, "info": {"mimetype": "image/jpeg", "w": 64, "h": 48}});
    let event = jeanne.send(&room, "m.room.message", image.clone()).await;
    w.sync().await;
    w.drain().await;
    let mut new_content = image;
    new_content["body"] = "je donne une poussette et son habillage pluie".into();
    jeanne
        .send(
            &room,
            "m.room.message",
            json!({"msgtype": "m.image", "body": "* je donne une poussette et son habillage pluie",
                   "filename": "IMG.jpg", "url": mxc, "m.new_content": new_content,
                   "m.relates_to": {"rel_type": "m.replace", "event_id": event}}),
        )
        .await;
    w.sync().await;
    w.drain().await;
    let copy = w
        .fake
        .bot_sent(GROUP)
        .into_iter()
        .find(|m| m.photo.is_some())
        .expect("the photo copy");
    assert_eq!(
        copy.text,
        "Jeanne (Matrix) : je donne une poussette et son habillage pluie"
    );
    assert_eq!(copy.edit_count, 1);
    assert_eq!(w.fake.calls_of("editMessageCaption").len(), 1);
    w.finish().await;
}
