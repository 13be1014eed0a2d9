use super::AppState;
use crate::config::Route;
use crate::error::{Error, Result};
use crate::params;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use time::format_description::well_known::iso8601::{
    Config as IsoConfig, EncodedConfig, Iso8601, TimePrecision,
};
use time::OffsetDateTime;

/// The response header that carries the token of the next page.
pub const NEXT_TOKEN_HEADER: &str = "x-next-continuation-token";

const ISO_MILLIS: EncodedConfig = IsoConfig::DEFAULT
    .set_time_precision(TimePrecision::Second {
        decimal_digits: std::num::NonZeroU8::new(3),
    })
    .encode();

/// One entry, with the field names of S3's ListObjectsV2 that the seed returned.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    key: String,
    last_modified: String,
    #[serde(rename = "ETag")]
    etag: String,
    size: u64,
    storage_class: String,
}

/// `GET /?prefix=&max-keys=&continuation-token=`: a JSON array of objects. When more
/// remain, the `X-Next-Continuation-Token` header holds the token for the next page.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    state.require(Route::List, &headers)?;
    let mut prefix = String::new();
    let mut token = None;
    let mut max_keys = 1000u32;
    for (k, v) in params::query::pairs(query.as_deref().unwrap_or("")) {
        match k.as_str() {
            "prefix" => {
                if v.chars().any(char::is_control) || v.len() > 1024 {
                    return Err(Error::invalid_parameter(
                        "prefix",
                        v,
                        "a key prefix without control characters, at most 1024 bytes",
                    ));
                }
                prefix = v;
            }
            "continuation-token" => token = Some(v),
            "max-keys" => {
                max_keys = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        Error::invalid_parameter("max-keys", &v, "an integer from 1 to 1000")
                    })?;
            }
            _ => {}
        }
    }
    let page = state
        .store
        .list(&prefix, token.as_deref(), max_keys)
        .await?;
    let entries: Vec<Entry> = page
        .objects
        .into_iter()
        .map(|o| Entry {
            last_modified: OffsetDateTime::from(o.last_modified)
                .format(&Iso8601::<ISO_MILLIS>)
                .unwrap_or_default(),
            key: o.key,
            etag: o.etag,
            size: o.size,
            storage_class: o.storage_class,
        })
        .collect();
    let mut response = Json(entries).into_response();
    if let Some(next) = page.next_token {
        if let Ok(v) = HeaderValue::from_str(&next) {
            response.headers_mut().insert(NEXT_TOKEN_HEADER, v);
        }
    }
    Ok(response)
}
