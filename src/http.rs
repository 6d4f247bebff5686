//! The daemon's HTTP server (axum): /healthz checks the database, /metrics exposes Prometheus
//! figures.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::store::deliveries;
use crate::telemetry::Metrics;

#[derive(Clone)]
struct AppState {
    pool: PgPool,
    metrics: Arc<Metrics>,
}

/// The routes.
pub fn router(pool: PgPool, metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_page))
        .with_state(AppState { pool, metrics })
}

async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    match sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&s.pool).await {
        Ok(_) => (StatusCode::OK, "ok\n".to_owned()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("database unavailable: {e}\n")),
    }
}

async fn metrics_page(State(s): State<AppState>) -> impl IntoResponse {
    let counts = deliveries::counts(&s.pool).await.unwrap_or_default();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(&counts),
    )
}

/// Serves until `shutdown`.
pub async fn serve(listener: tokio::net::TcpListener, app: Router, shutdown: CancellationToken) -> anyhow::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
    Ok(())
}

/// Binds the listen address, with a clear error when it is taken.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (http.listen): {e}"))
}
