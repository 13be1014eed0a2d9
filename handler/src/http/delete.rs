use super::{existence, AppState, Success};
use crate::config::Route;
use crate::error::{codes, Error, Result};
use crate::keys;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::Json;
use serde::Deserialize;

/// Most names one request may remove.
pub const MAX_IMAGES: usize = 10_000;

#[derive(Deserialize)]
struct DeleteRequest {
    images: Vec<String>,
}

#[derive(serde::Serialize)]
pub struct Empty {}

/// `DELETE /{path}` with `{"images": ["a.jpg", …]}`: removes them all, or none when
/// any is missing, and with a result cache their edge copies.
pub async fn delete(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Success<Empty>>> {
    state.require(Route::Delete, &headers)?;
    let folder = keys::folder_from_path(uri.path())?;
    // Read only once the caller is authorised.
    let limit = state.config.max_upload_bytes;
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        Error::PayloadTooLarge(format!(
            "The request body is larger than the limit of {limit} bytes."
        ))
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::bad_request(
            codes::INVALID_BODY,
            "Expected a JSON body such as {\"images\": [\"a.jpg\"]}.",
        ));
    }
    let request: DeleteRequest = serde_json::from_slice(&body).map_err(|e| {
        Error::bad_request(
            codes::INVALID_BODY,
            format!("Expected a JSON body such as {{\"images\": [\"a.jpg\"]}}: {e}"),
        )
    })?;
    if request.images.is_empty() {
        return Err(Error::bad_request(
            codes::INVALID_BODY,
            "The 'images' list is empty.",
        ));
    }
    if request.images.len() > MAX_IMAGES {
        return Err(Error::bad_request(
            codes::INVALID_BODY,
            format!("At most {MAX_IMAGES} images can be removed in one request."),
        ));
    }
    let mut names = request.images;
    for name in &names {
        keys::validate_filename(name)?;
    }
    names.sort();
    names.dedup();

    let store = &state.store;
    let folder = folder.as_str();
    let keys: Vec<String> = names.iter().map(|n| keys::join(folder, n)).collect();
    let missing: Vec<String> = existence(store, keys.clone())
        .await?
        .into_iter()
        .zip(&names)
        .filter(|((_, exists), _)| !exists)
        .map(|(_, name)| name.clone())
        .collect();
    if !missing.is_empty() {
        let at = if folder.is_empty() {
            "/".to_string()
        } else {
            format!("/{folder}")
        };
        return Err(Error::NotFound(format!(
            "Not found: {} in path {at}. Nothing was removed.",
            missing.join(", ")
        )));
    }
    store.delete_many(&keys).await?;
    // Their edge copies too (CloudFront would keep serving them from S3); canonical
    // results need nothing: a new upload has a new ETag, so a new key.
    if let Some(results) = &state.results {
        use futures::stream::{self, StreamExt, TryStreamExt};
        stream::iter(keys.clone())
            .map(|key| {
                let results = results.clone();
                async move { results.delete_edge_copies(&key).await }
            })
            .buffer_unordered(16)
            .try_collect::<Vec<usize>>()
            .await?;
    }
    Ok(Json(Success {
        status: 200,
        code: "success",
        message: "Images removed successfully!",
        extra: Empty {},
    }))
}
