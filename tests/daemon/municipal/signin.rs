//! Staff sign-in: single-use, short-lived emailed links, sessions, the wrong commune, CSRF,
//! rate limits, and the same answer for known and unknown addresses.

use super::{DINARD, EDITOR, Jar, World, csrf_in};
use crate::helpers::count;

#[tokio::test]
async fn municipal_signin_link_works_once_and_opens_only_the_staffs_commune() {
    let w = World::new("muni-signin").await;
    let mut anon = Jar::default();
    assert_eq!(
        w.get(&mut anon, "/mairie/saint-malo").await,
        (303, "/mairie/connexion".to_owned()),
        "not signed in: to the sign-in page"
    );

    // The answer is the same for staff and for strangers, and only staff get a mail.
    let (_, form) = w.get(&mut anon, "/mairie/connexion").await;
    assert!(
        form.contains("<label for=\"email\">") && form.contains("lang=\"fr\""),
        "{form}"
    );
    screenshot(&form, "municipal-signin", 420).await;
    let csrf = csrf_in(&form);
    let (s1, known) = w
        .post(&mut anon, "/mairie/connexion", &[("email", EDITOR), ("csrf", &csrf)])
        .await;
    let (s2, unknown) = w
        .post(
            &mut anon,
            "/mairie/connexion",
            &[("email", "stranger@example.test"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(known, unknown, "the page never tells who is staff");
    w.drain().await;
    assert!(w.mails_to("stranger@example.test").is_empty());
    let mails = w.mails_to(EDITOR);
    assert_eq!(mails.len(), 1);
    let at = mails[0].find("/mairie/connexion/lien?t=").unwrap();
    let link = mails[0][at..].split_whitespace().next().unwrap().to_owned();

    // Without the form's token, or with another, the request is refused.
    let (status, _) = w.post(&mut anon, "/mairie/connexion", &[("email", EDITOR)]).await;
    assert_eq!(status, 403);
    let (status, _) = w
        .post(&mut anon, "/mairie/connexion", &[("email", EDITOR), ("csrf", "forged")])
        .await;
    assert_eq!(status, 403);

    // GET shows a button and uses nothing; POST signs in once.
    let (status, page) = w.get(&mut anon, &link).await;
    assert_eq!(status, 200, "{page}");
    let (status, page) = w.get(&mut anon, &link).await;
    assert_eq!(status, 200, "a GET does not use the link: {page}");
    let t = link.split("t=").nth(1).unwrap().to_owned();
    let mut jar = anon.clone();
    let r = w
        .client
        .post(format!("{}/mairie/connexion/lien", w.http))
        .header("cookie", jar.header())
        .form(&[("t", t.as_str()), ("csrf", &csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("muni_session="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/mairie", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "http:// public URL: no Secure flag");
    jar.take(&r);
    let (status, page) = w
        .post(
            &mut anon.clone(),
            "/mairie/connexion/lien",
            &[("t", &t), ("csrf", &csrf_in(&page))],
        )
        .await;
    assert_eq!(status, 400, "a link works once: {page}");

    // The session opens Saint-Malo, not Dinard.
    let (status, home) = w.get(&mut jar, "/mairie").await;
    assert_eq!(status, 200);
    assert!(
        home.contains("href=\"/mairie/saint-malo\"") && !home.contains("dinard"),
        "{home}"
    );
    let (status, page) = w.get(&mut jar, "/mairie/saint-malo").await;
    assert_eq!(status, 200, "{page}");
    let (status, page) = w.get(&mut jar, "/mairie/dinard").await;
    assert_eq!(status, 403, "wrong commune refused: {page}");
    let (status, _) = w.get(&mut jar, "/mairie/nowhere").await;
    assert_eq!(status, 404);

    // A forged cookie is nobody.
    let mut forged = Jar(vec![("muni_session".into(), "6d737c41.00".into())]);
    assert_eq!(w.get(&mut forged, "/mairie/saint-malo").await.0, 303);

    // Sign-out needs the session's token, then the session is over for good.
    let session_token = csrf_in(&page_of(&w, &mut jar).await);
    let (status, _) = w.post(&mut jar, "/mairie/deconnexion", &[]).await;
    assert_eq!(status, 403, "sign-out without the token");
    let (status, _) = w.post(&mut jar, "/mairie/deconnexion", &[("csrf", "forged")]).await;
    assert_eq!(status, 403, "sign-out with a wrong token");
    let kept = jar.clone();
    let (status, to) = w
        .post(&mut jar, "/mairie/deconnexion", &[("csrf", &session_token)])
        .await;
    assert_eq!((status, to.as_str()), (303, "/mairie/connexion"));
    let mut replayed = kept;
    assert_eq!(
        w.get(&mut replayed, "/mairie/saint-malo").await.0,
        303,
        "the old cookie is revoked, not just forgotten"
    );
    w.finish().await;
}

async fn page_of(w: &World, jar: &mut Jar) -> String {
    let (status, page) = w.get(jar, "/mairie/saint-malo").await;
    assert_eq!(status, 200);
    page
}

#[tokio::test]
async fn municipal_signin_link_expires() {
    let w = World::new("muni-expiry").await;
    let mut jar = Jar::default();
    let link = w.ask_link(&mut jar, DINARD).await;
    let (_, page) = w.get(&mut jar, &link).await;
    sqlx::query("UPDATE muni_signin_links SET expires_at = now() - interval '1 second'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let t = link.split("t=").nth(1).unwrap();
    let (status, page) = w
        .post(
            &mut jar,
            "/mairie/connexion/lien",
            &[("t", t), ("csrf", &csrf_in(&page))],
        )
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("expiré"), "{page}");
    assert_eq!(w.get(&mut jar, "/mairie/dinard").await.0, 303, "not signed in");
    // A fresh link still works, and opens Dinard.
    let mut jar = w.sign_in(DINARD).await;
    assert_eq!(w.get(&mut jar, "/mairie/dinard").await.0, 200);
    assert_eq!(w.get(&mut jar, "/mairie/saint-malo").await.0, 403);

    // The scheduler's purge: an ended link is kept a day, then deleted; the used link of the
    // live session, and the session, stay until they too have ended for a day.
    let purge = || voisinage::municipal::auth::purge_ended(&w.db.pool, chrono::Utc::now());
    assert_eq!(purge().await.unwrap(), 0, "ended a second ago: kept");
    sqlx::query("UPDATE muni_signin_links SET expires_at = now() - interval '25 hours' WHERE used_at IS NULL")
        .execute(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(purge().await.unwrap(), 1);
    assert_eq!(count(&w.db.pool, "muni_signin_links").await, 1);
    assert_eq!(count(&w.db.pool, "muni_sessions").await, 1);
    assert_eq!(w.get(&mut jar, "/mairie/dinard").await.0, 200, "still signed in");
    sqlx::query("UPDATE muni_sessions SET revoked_at = now() - interval '25 hours'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(purge().await.unwrap(), 1);
    assert_eq!(count(&w.db.pool, "muni_sessions").await, 0);
    w.finish().await;
}

#[tokio::test]
async fn municipal_signin_requests_are_rate_limited_per_address_and_per_client() {
    let w = World::new("muni-rate").await;
    let mut jar = Jar::default();
    let (_, form) = w.get(&mut jar, "/mairie/connexion").await;
    let csrf = csrf_in(&form);
    let ask = |email: &'static str, ip: &'static str| {
        let (w, csrf, mut jar) = (&w, csrf.clone(), jar.clone());
        async move {
            w.post_from(&mut jar, "/mairie/connexion", &[("email", email), ("csrf", &csrf)], ip)
                .await
        }
    };
    for n in 0..5 {
        let ip: &'static str = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"][n];
        assert_eq!(ask(EDITOR, ip).await.0, 200, "request {n}");
    }
    let (status, page) = ask(EDITOR, "192.0.2.6").await;
    assert_eq!(status, 429, "a sixth request for one address in 15 minutes");
    assert!(page.contains("Trop de demandes"), "{page}");
    // A stranger's address is limited alike (the limit tells nothing either).
    for _ in 0..5 {
        assert_eq!(ask("stranger@example.test", "198.51.100.1").await.0, 200);
    }
    assert_eq!(ask("stranger@example.test", "198.51.100.2").await.0, 429);
    // One client asking for many addresses.
    let addresses: Vec<&'static str> = (0..20)
        .map(|i| &*Box::leak(format!("someone{i}@example.test").into_boxed_str()))
        .collect();
    for a in &addresses {
        assert_eq!(ask(a, "203.0.113.7").await.0, 200);
    }
    assert_eq!(ask("another@example.test", "203.0.113.7").await.0, 429);
    assert_eq!(ask("another@example.test", "203.0.113.8").await.0, 200);
    w.drain().await;
    assert_eq!(w.mails_to(EDITOR).len(), 5, "no mail beyond the limit");
    w.finish().await;
}

/// Renders a page as a phone shows it, with headless Chromium (scripts/render-email.sh reads
/// the page as a one-part HTML mail): target/NAME.png, kept for people to look at.
pub async fn screenshot(html: &str, name: &str, width: u32) {
    let root = crate::helpers::root();
    let eml = root.join(format!("target/{name}.eml"));
    std::fs::write(
        &eml,
        format!("Content-Type: text/html; charset=utf-8\r\nMIME-Version: 1.0\r\n\r\n{html}"),
    )
    .unwrap();
    let out = tokio::process::Command::new(root.join("scripts/render-email.sh"))
        .arg(&eml)
        .arg(root.join(format!("target/{name}.png")))
        .arg(width.to_string())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
