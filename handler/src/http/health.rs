use super::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

/// `GET /_/health`: lives under the reserved `_/` prefix so it never hides an image
/// whose key is `health`.
pub async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "store": state.store.kind(),
    }))
}
