//! The editor's poll form through HTTP, signed in as staff: an editor creates a poll (CSRF
//! checked), a viewer may not, and bad input is said on the form.

use super::{EDITOR, VIEWER, World, csrf_in, value_of};

#[tokio::test]
async fn an_editor_creates_a_poll_and_a_viewer_may_not() {
    let w = World::new("polls-staff").await;
    let mut jar = w.sign_in(EDITOR).await;
    let (status, form) = w.get(&mut jar, "/mairie/saint-malo/sondages/nouveau").await;
    assert_eq!(status, 200, "{form}");
    assert!(form.contains("name=\"area-saint-servan\""), "{form}");
    let csrf = csrf_in(&form);
    let submission = value_of(&form, "submission");
    assert_eq!(submission.len(), 32, "a one-time token: {form}");
    let fields = |csrf: &str, options: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("submission", submission.clone()),
            ("question", "Un marché le dimanche ?".to_owned()),
            ("options", options.to_owned()),
            ("closes", "2099-01-01T18:00".to_owned()),
            ("area-saint-servan", "1".to_owned()),
        ]
    };
    // A forged form (no session token) is refused and creates nothing.
    let f = fields("forged", "Oui\nNon");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _) = w.post(&mut jar, "/mairie/saint-malo/sondages/nouveau", &f).await;
    assert_eq!(status, 403);
    // One answer only: said on the form.
    let f = fields(&csrf, "Oui");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page) = w.post(&mut jar, "/mairie/saint-malo/sondages/nouveau", &f).await;
    assert_eq!(status, 422);
    assert!(page.contains("Il faut de 2 à 10 réponses"), "{page}");
    // ... and nothing typed is lost: the question, the answers, the time, the token.
    assert!(page.contains("value=\"Un marché le dimanche ?\""), "{page}");
    assert!(page.contains(">Oui</textarea>"), "{page}");
    assert!(page.contains("value=\"2099-01-01T18:00\""), "{page}");
    assert_eq!(value_of(&page, "submission"), submission);
    assert_eq!(crate::helpers::count(&w.db.pool, "polls").await, 0);
    // The real thing.
    let f = fields(&csrf, "Oui\nNon\n");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page) = w.post(&mut jar, "/mairie/saint-malo/sondages/nouveau", &f).await;
    assert_eq!(status, 201, "{page}");
    let (by, areas): (String, Vec<String>) = sqlx::query_as("SELECT created_by, areas FROM polls")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!((by.as_str(), areas), (EDITOR, vec!["saint-servan".to_owned()]));
    // The same form sent again (a double click) creates and sends nothing more.
    let queued = crate::helpers::count(&w.db.pool, "deliveries").await;
    let (status, again) = w.post(&mut jar, "/mairie/saint-malo/sondages/nouveau", &f).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again, page, "the same poll's page");
    assert_eq!(crate::helpers::count(&w.db.pool, "polls").await, 1);
    assert_eq!(crate::helpers::count(&w.db.pool, "deliveries").await, queued);

    // A viewer of the same commune sees no form.
    let mut viewer = w.sign_in(VIEWER).await;
    let (status, _) = w.get(&mut viewer, "/mairie/saint-malo/sondages/nouveau").await;
    assert_eq!(status, 403);
    w.finish().await;
}
