//! `/healthz` (the process is alive) and `/readyz` (its dependencies answer).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::AppState;

/// A dependency that does not answer within this is reported down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

#[derive(Serialize)]
struct Readiness {
    database: &'static str,
    queue: &'static str,
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let (database, queue) =
        tokio::join!(check("database", state.db.ping()), check("queue", state.queue.ping()));
    let status = if database && queue { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = |ok: bool| if ok { "ok" } else { "down" };
    (status, Json(Readiness { database: word(database), queue: word(queue) }))
}

async fn check(name: &str, probe: impl Future<Output = anyhow::Result<()>>) -> bool {
    match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::warn!(dependency = name, error = %format!("{error:#}"), "readiness check failed");
            false
        }
        Err(_) => {
            tracing::warn!(dependency = name, "readiness check timed out");
            false
        }
    }
}
