//! Municipal announcements (issue 18) through the editor's form, signed in as staff: a viewer
//! and a forged form are refused, bad input is said next to its field with what was typed
//! kept, and a published urgent announcement reaches the Telegram groups (Bot API fake), the
//! Matrix room (Synapse) and the subscribers' mailboxes (SMTP sink), is never a post, and is
//! on the commune's archive page and Atom feed (parsed as XML). Screenshots of the archive and
//! the form go to target/.

use std::sync::Arc;
use std::time::Duration;

use voisinage::channels::matrix::{Matrix, Syncer};
use voisinage::channels::telegram::{Poller, Telegram};
use voisinage::core::Channel;
use voisinage::core::model::ChannelKind;

use super::{EDITOR, VIEWER, World, csrf_in, value_of};
use crate::botapi::FakeBotApi;
use crate::helpers::{count, root};
use crate::matrix::{Neighbour, Synapse, unique};

const SERVAN_GROUP: i64 = -1001;
const ROCABEY_GROUP: i64 = -1002;
const DINARD_GROUP: i64 = -1003;
const FORM: &str = "/mairie/saint-malo/annonces/nouvelle";

async fn subscribe(pool: &sqlx::PgPool, address: &str, area: &str, rhythm: &str, lang: &str, status: &str) {
    sqlx::query(
        "INSERT INTO email_subscriptions (address, area_slug, rhythm, lang, status) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(address)
    .bind(area)
    .bind(rhythm)
    .bind(lang)
    .bind(status)
    .execute(pool)
    .await
    .unwrap();
}

/// The form's fields as a browser sends them.
fn fields<'a>(csrf: &'a str, title: &'a str, text: &'a str, date: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("title", title),
        ("text", text),
        ("date", date),
        ("place", "Place Guy La Chambre"),
        ("scope", "choice"),
        ("area-saint-servan", "1"),
        ("area-rocabey", "1"),
        ("urgent", "1"),
    ]
}

/// Parses `xml` with Python's XML parser (a real one: a feed that is not well-formed fails)
/// and returns the feed's id, updated, and each entry's id, title and content, one per line.
fn parse_atom(xml: &str) -> Vec<String> {
    use std::io::Write;
    let script = "import sys, xml.etree.ElementTree as E\n\
                  A='{http://www.w3.org/2005/Atom}'\n\
                  f=E.fromstring(sys.stdin.buffer.read())\n\
                  assert f.tag==A+'feed', f.tag\n\
                  print(f.find(A+'id').text); print(f.find(A+'updated').text)\n\
                  for e in f.findall(A+'entry'):\n\
                  \x20   print(e.find(A+'id').text + '|' + e.find(A+'title').text + '|' + e.find(A+'updated').text + '|' + e.find(A+'content').text.replace('\\n', ' '))\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(xml.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the feed is no valid Atom: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Both channels read what came in, and the outbox sends what was queued.
async fn exchange(poller: &mut Poller, syncer: &mut Syncer, w: &World) {
    poller.poll_once(0).await.unwrap();
    syncer.sync_once(Duration::ZERO).await.unwrap();
    w.drain().await;
}

#[tokio::test]
async fn an_announcement_from_the_form_reaches_every_room_and_urgently_every_mailbox() {
    let hs = Synapse::shared();
    let fake = FakeBotApi::start(crate::telegram::TOKEN).await;
    let tg = Telegram::new(&crate::telegram::settings(&fake)).unwrap();
    let bot = hs.register(&unique("bot"));
    let prefix = format!("{}-", unique("a"));
    let data_dir = root().join(format!("target/peers/data-{prefix}"));
    let mx = Matrix::new(&crate::matrix::settings(hs, &bot, &prefix), &data_dir).unwrap();
    let more: Vec<Arc<dyn Channel>> = vec![tg.clone(), mx.clone()];
    let w = World::with_channels("announce", more).await;
    for (group, area) in [
        (SERVAN_GROUP, "saint-servan"),
        (ROCABEY_GROUP, "rocabey"),
        (DINARD_GROUP, "dinard"),
    ] {
        fake.add_chat(group, "supergroup", area);
        fake.set_bot_status(group, "administrator");
        voisinage::store::link_room(&w.db.pool, ChannelKind::Telegram, &group.to_string(), area)
            .await
            .unwrap();
    }
    let mut poller = Poller::new(tg, w.core.clone());
    let mut syncer = Syncer::new(mx.clone(), w.core.clone());
    exchange(&mut poller, &mut syncer, &w).await; // the areas' Matrix rooms
    let servan = voisinage::store::chats::room_of_area(&w.db.pool, ChannelKind::Matrix, "saint-servan")
        .await
        .unwrap()
        .expect("Saint-Servan's Matrix room");
    let lea = Neighbour::login(hs, &unique("lea")).await;
    lea.join(&servan).await;
    subscribe(&w.db.pool, "marie@exemple.fr", "saint-servan", "weekly", "fr", "active").await;
    subscribe(&w.db.pool, "john@example.org", "rocabey", "daily", "en", "active").await;
    // Reads every message as it comes: one mail all the same.
    subscribe(&w.db.pool, "lou@exemple.fr", "rocabey", "each", "fr", "active").await;
    subscribe(
        &w.db.pool,
        "parti@exemple.fr",
        "saint-servan",
        "weekly",
        "fr",
        "unsubscribed",
    )
    .await;
    subscribe(&w.db.pool, "dinard@exemple.fr", "dinard", "weekly", "fr", "active").await;

    // A viewer sees no form and cannot post one, even with the session's own token.
    let mut viewer = w.sign_in(VIEWER).await;
    let (status, _) = w.get(&mut viewer, FORM).await;
    assert_eq!(status, 403);
    let (_, home) = w.get(&mut viewer, "/mairie/saint-malo").await;
    assert!(
        home.contains("/communes/saint-malo/annonces\""),
        "the home links the archive: {home}"
    );
    let csrf = csrf_in(&home);
    let (status, _) = w.post(&mut viewer, FORM, &fields(&csrf, "Coupure", "Texte", "")).await;
    assert_eq!(status, 403);

    let mut editor = w.sign_in(EDITOR).await;
    let (status, form) = w.get(&mut editor, FORM).await;
    assert_eq!(status, 200, "{form}");
    for needed in [
        "<label for=\"title\">",
        "<label for=\"text\">",
        "type=\"date\"",
        "name=\"area-saint-servan\"",
        "name=\"urgent\"",
    ] {
        assert!(form.contains(needed), "{needed} in {form}");
    }
    assert!(!form.contains("<script"), "no JavaScript");
    let csrf = csrf_in(&form);
    // A forged form (not the session's token) is refused.
    let (status, _) = w
        .post(&mut editor, FORM, &fields("forged", "Coupure", "Texte", ""))
        .await;
    assert_eq!(status, 403);
    // No title and an unreadable date: both said by their field, the text kept as typed.
    let typed = "L'eau sera coupée <mardi> & mercredi.";
    let (status, page) = w.post(&mut editor, FORM, &fields(&csrf, "  ", typed, "mardi")).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("id=\"date-error\""), "{page}");
    assert!(
        page.contains("L&#39;eau sera coupée &lt;mardi&gt; &amp; mercredi.")
            || page.contains("L'eau sera coupée &lt;mardi&gt; &amp; mercredi."),
        "what was typed is kept: {page}"
    );
    assert!(page.contains("value=\"mardi\""), "{page}");
    let _ = std::fs::write(root().join("target/municipal-announcement-form.html"), &page);
    let submission = value_of(&form, "submission");
    let mut untitled = fields(&csrf, "  ", typed, "2099-06-02");
    untitled.push(("submission", submission.as_str()));
    let (status, page) = w.post(&mut editor, FORM, &untitled).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("<p class=\"error\" id=\"title-error\">Le titre est vide."),
        "{page}"
    );
    assert!(page.contains("aria-describedby=\"title-error\""), "{page}");
    assert_eq!(count(&w.db.pool, "announcements").await, 0);

    // The real thing: to the announcement's page.
    let title = "Coupure d'eau rue Ville-Pépin";
    assert_eq!(value_of(&page, "submission"), submission, "kept across corrections");
    let mut sent = fields(&csrf, title, typed, "2099-06-02");
    sent.push(("submission", submission.as_str()));
    let (status, to) = w.post(&mut editor, FORM, &sent).await;
    assert_eq!(status, 303, "{to}");
    let id: i64 = sqlx::query_scalar("SELECT id FROM announcements")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(to, format!("/communes/saint-malo/annonces/{id}"));
    // The same form sent again (a double click, a resent POST) publishes nothing more: the
    // rooms and mailboxes below get it once.
    let (status, again) = w.post(&mut editor, FORM, &sent).await;
    assert_eq!((status, again), (303, to.clone()));
    assert_eq!(count(&w.db.pool, "announcements").await, 1);
    exchange(&mut poller, &mut syncer, &w).await;

    // Each chosen area's group once; not Dinard's.
    for group in [SERVAN_GROUP, ROCABEY_GROUP] {
        let said: Vec<String> = fake
            .bot_sent(group)
            .into_iter()
            .map(|m| m.text)
            .filter(|t| t.contains("📢"))
            .collect();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].starts_with(&format!("📢 Mairie de Saint-Malo : {title}")),
            "{}",
            said[0]
        );
        assert!(said[0].contains(typed), "{}", said[0]);
        assert!(said[0].contains("📅 2 juin 2099"), "{}", said[0]);
        assert!(said[0].contains("📍 Place Guy La Chambre"), "{}", said[0]);
        assert!(
            said[0].contains(&format!("/communes/saint-malo/annonces/{id}")),
            "{}",
            said[0]
        );
    }
    assert!(fake.bot_sent(DINARD_GROUP).is_empty());
    // The Matrix room, once.
    let bot_id = mx.user_id().to_owned();
    let events = lea.messages(&servan).await;
    let said: Vec<&str> = events
        .iter()
        .filter(|e| e["sender"] == bot_id && e["type"] == "m.room.message")
        .filter_map(|e| e["content"]["body"].as_str())
        .filter(|b| b.contains("📢 Mairie de Saint-Malo"))
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains(title), "{}", said[0]);

    // Urgent: every active subscriber of the areas at once, in their language, once each,
    // with the way out; nobody else.
    let marie = w.mails_to("marie@exemple.fr");
    assert_eq!(marie.len(), 1, "{marie:?}");
    assert!(
        marie[0].contains("Message urgent de la mairie de Saint-Malo"),
        "{}",
        marie[0]
    );
    assert!(marie[0].contains(typed), "{}", marie[0]);
    assert!(marie[0].contains("/email/unsubscribe?t="), "{}", marie[0]);
    let john = w.mails_to("john@example.org");
    assert_eq!(john.len(), 1);
    assert!(
        john[0].contains("Urgent message from the town hall of Saint-Malo"),
        "{}",
        john[0]
    );
    assert!(john[0].contains("📅 2 June 2099"), "{}", john[0]);
    assert_eq!(w.mails_to("lou@exemple.fr").len(), 1);
    assert!(w.mails_to("parti@exemple.fr").is_empty());
    assert!(w.mails_to("dinard@exemple.fr").is_empty());

    // Relayed, never parsed: no message, no post.
    assert_eq!(count(&w.db.pool, "messages").await, 0);
    assert_eq!(count(&w.db.pool, "posts").await, 0);
    // A neighbour's answer in the group is an ordinary message, relayed to the Matrix room.
    fake.user_message(SERVAN_GROUP, 31, "Paul", "Merci pour l'information");
    exchange(&mut poller, &mut syncer, &w).await;
    assert_eq!(count(&w.db.pool, "messages").await, 1);
    let relayed = lea.messages(&servan).await.into_iter().any(|e| {
        e["content"]["body"]
            .as_str()
            .is_some_and(|b| b.contains("Merci pour l'information"))
    });
    assert!(relayed, "the answer is relayed as any message");

    // The public archive: newest first, a permanent anchor and page, the feed linked.
    let mut nobody = super::Jar::default();
    let (status, archive) = w.get(&mut nobody, "/communes/saint-malo/annonces").await;
    assert_eq!(status, 200);
    for needed in [
        "<link rel=\"alternate\" type=\"application/atom+xml\"",
        &format!("<article id=\"annonce-{id}\">"),
        &format!("<a href=\"/communes/saint-malo/annonces/{id}\">Coupure d&#39;eau"),
        "L'eau sera coupée &lt;mardi&gt; &amp; mercredi.",
        "Saint-Servan",
        "Rocabey",
    ] {
        assert!(
            archive.contains(needed) || archive.contains(&needed.replace("&#39;", "'")),
            "{needed} in {archive}"
        );
    }
    assert!(!archive.contains(EDITOR), "no staff address on a public page");
    let (status, one) = w.get(&mut nobody, &format!("/communes/saint-malo/annonces/{id}")).await;
    assert_eq!(status, 200);
    assert!(one.contains(&format!("<article id=\"annonce-{id}\">")), "{one}");
    let (status, _) = w.get(&mut nobody, &format!("/communes/dinard/annonces/{id}")).await;
    assert_eq!(status, 404, "another commune's address finds nothing");

    // A second, newer one: first on the page and in the feed.
    let (status, _) = w
        .post(
            &mut editor,
            FORM,
            &[
                ("csrf", csrf.as_str()),
                ("title", "Fête du quartier"),
                ("text", "Venez nombreux."),
                ("date", ""),
                ("place", ""),
                ("scope", "all"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, archive) = w.get(&mut nobody, "/communes/saint-malo/annonces").await;
    assert!(archive.find("Fête du quartier").unwrap() < archive.find("Coupure d").unwrap());
    let feed = w
        .client
        .get(format!("{}/communes/saint-malo/annonces.atom", w.http))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.headers()["content-type"], "application/atom+xml; charset=utf-8");
    let lines = parse_atom(&feed.text().await.unwrap());
    assert_eq!(lines[0], format!("{}/communes/saint-malo/annonces", w.http));
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[2].contains("|Fête du quartier|"), "{lines:?}");
    assert!(
        lines[3].starts_with(&format!("{}/communes/saint-malo/annonces/{id}|{title}|", w.http)),
        "{lines:?}"
    );
    assert!(lines[3].contains(typed), "content unescaped by the parser: {lines:?}");

    crate::polls::screenshot(
        &format!("{}/communes/saint-malo/annonces", w.http),
        "municipal-announcements.png",
    )
    .await;
    let form_file = root().join("target/municipal-announcement-form.html");
    crate::polls::screenshot(
        &format!("file://{}", form_file.display()),
        "municipal-announcement-form.png",
    )
    .await;

    poller.release().await;
    syncer.release().await;
    w.finish().await;
    let _ = std::fs::remove_dir_all(&data_dir);
}
