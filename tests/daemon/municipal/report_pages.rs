//! The quartier report over HTTP, behind the sign-in: a viewer of Saint-Malo reads the page,
//! the CSV and the printable page of the last finished month; Dinard's staff are refused;
//! nobody signed in is sent to the sign-in page.

use chrono::Datelike;

use super::{DINARD, VIEWER, World};

fn last_month() -> String {
    let now = chrono::Utc::now().date_naive();
    let first = now.with_day0(0).unwrap();
    let prev = first.pred_opt().unwrap();
    prev.format("%Y-%m").to_string()
}

#[tokio::test]
async fn the_report_pages_are_for_the_communes_staff_only() {
    let w = World::new("report-pages").await;
    let mut nobody = super::Jar::default();
    let (status, _) = w.get(&mut nobody, "/mairie/saint-malo/rapport").await;
    assert_eq!(status, 303, "not signed in: to the sign-in page");

    let mut viewer = w.sign_in(VIEWER).await;
    let (status, home) = w.get(&mut viewer, "/mairie/saint-malo").await;
    assert_eq!(status, 200);
    assert!(
        home.contains("/mairie/saint-malo/rapport"),
        "the home page links the report"
    );
    let month = last_month();
    let (status, page) = w
        .get(&mut viewer, &format!("/mairie/saint-malo/rapport?mois={month}"))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<svg"), "charts drawn on the server");
    let (status, csv) = w
        .get(&mut viewer, &format!("/mairie/saint-malo/rapport.csv?mois={month}"))
        .await;
    assert_eq!(status, 200, "{csv}");
    assert!(csv.lines().count() > 1, "{csv}");
    let (status, print) = w
        .get(
            &mut viewer,
            &format!("/mairie/saint-malo/rapport/imprimer?mois={month}"),
        )
        .await;
    assert_eq!(status, 200, "{print}");
    assert!(!print.contains("<form"), "the printable page has no form");

    let mut dinard = w.sign_in(DINARD).await;
    let (status, _) = w
        .get(&mut dinard, &format!("/mairie/saint-malo/rapport.csv?mois={month}"))
        .await;
    assert_eq!(status, 403, "another commune's staff are refused");
    w.finish().await;
}
