//! /healthz: it answers at once when the database is gone, shows no error details, and reports
//! each channel's receiving side so that a probe sees a dead homeserver.

use std::sync::Arc;

use sqlx::postgres::PgPoolOptions;
use voisinage::areas::Areas;
use voisinage::core::Core;
use voisinage::core::model::ChannelKind;
use voisinage::partners::Partners;
use voisinage::telemetry::ChannelState;

use crate::helpers::TestDb;

/// Serves the routes of `core` on a free port; returns its base URL.
async fn serve(core: Arc<Core>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = voisinage::http::router(core, Arc::new(Partners::example()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn get(url: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .get(format!("{url}/healthz"))
        // Far above the one second /healthz allows itself: only a hang fails this.
        .timeout(std::time::Duration::from_secs(8))
        .send()
        .await
        .expect("/healthz answers instead of hanging");
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn without_a_database_healthz_answers_503_without_details() {
    // A pool whose server is gone: connecting is refused and the pool would retry for 10 s.
    let pool = PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_lazy("postgres://postgres:s3cret@127.0.0.1:1/voisinage")
        .unwrap();
    let core = Arc::new(Core::with_defaults(pool, Arc::new(Areas::example())));
    let url = serve(core).await;
    let (status, body) = get(&url).await;
    assert_eq!(status, 503);
    assert!(body.contains("database: unavailable"), "{body}");
    for detail in ["s3cret", "127.0.0.1", "refused", "error", "postgres"] {
        assert!(
            !body.to_lowercase().contains(detail),
            "no details on the public page: {body}"
        );
    }
}

#[tokio::test]
async fn healthz_reports_each_channel_and_fails_while_one_is_failing() {
    let db = TestDb::new().await;
    let core = crate::helpers::core(&db.pool);
    let url = serve(core.clone()).await;
    core.metrics
        .set_channel_state(ChannelKind::Telegram, ChannelState::Connected);
    core.metrics
        .set_channel_state(ChannelKind::Email, ChannelState::Waiting);
    let (status, body) = get(&url).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ok\n"), "{body}");
    assert!(body.contains("database: ok\n"), "{body}");
    assert!(
        body.contains("telegram: connected\n") && body.contains("email: waiting\n"),
        "{body}"
    );
    // A homeserver outage: the Matrix sync fails.
    core.metrics
        .set_channel_state(ChannelKind::Matrix, ChannelState::Failing);
    let (status, body) = get(&url).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("matrix: failing\n"), "{body}");
    core.metrics
        .set_channel_state(ChannelKind::Matrix, ChannelState::Connected);
    assert_eq!(get(&url).await.0, 200);
    db.finish().await;
}
