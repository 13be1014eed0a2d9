//! `GET /_/params`: the key table as JSON, from the same source as the README's
//! parameter reference ([`KEYS`] and [`EXAMPLES`]), so a new key shows in the console's
//! parameter builder without touching the console. Also what the deployment offers
//! (its presets and watermarks) and how it is set up (signing, limits), for the console.
//!
//! Allowed values are listed for keyword keys: every name the key's parser knows,
//! kept only when a query with it also plans ([`Plan::new`]), so values the parser
//! reads but the service refuses (`pc=lab`) are not offered.

use super::console::{hardened, require_console};
use super::AppState;
use crate::config::{Config, Route, SigningMode};
use crate::error::Result;
use crate::params::docs::EXAMPLES;
use crate::params::{
    BitwiseOperator, Channel, Colourspace, Fit, Format, Gravity, Interpolator, Kernel, KeySpec,
    Params, Strategy, ValueKind, WatermarkName, KEYS,
};
use crate::plan::{Limits, Plan};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub async fn params(State(state): State<AppState>) -> Response {
    hardened(describe(&state).await.map(|v| Json(v).into_response()))
}

async fn describe(state: &AppState) -> Result<Value> {
    require_console(state)?;
    let config = &state.config;
    let watermarks = watermark_names(&config.watermarks_dir).await;
    let keys: Vec<Value> = KEYS
        .iter()
        .map(|spec| describe_key(spec, &watermarks))
        .collect();
    let presets: Vec<Value> = config
        .presets
        .names()
        .into_iter()
        .map(|name| {
            let query = config.presets.get(name).map(Params::canonical);
            json!({"name": name, "query": query})
        })
        .collect();
    Ok(json!({
        "keys": keys,
        "presets": presets,
        "watermarks": watermarks,
        "deployment": deployment(config),
    }))
}

/// One key: its table entry, its README example and the values it takes.
fn describe_key(spec: &KeySpec, watermarks: &[String]) -> Value {
    let example = EXAMPLES
        .iter()
        .find(|(name, _)| *name == spec.name)
        .map(|(_, example)| *example);
    let values = match spec.kind {
        ValueKind::Name if spec.name == "wm" => Some(watermarks.to_vec()),
        _ => allowed_values(spec.name),
    };
    json!({
        "name": spec.name,
        "kind": kind_id(spec.kind),
        "kindLabel": spec.kind.label(),
        "group": spec.group.title(),
        "bare": spec.bare,
        "doc": spec.doc,
        "example": example,
        "base64": spec.kind.accepts_base64(),
        "values": values,
    })
}

/// `IntegerOrObject` → `integer-or-object`: a stable id for scripts, from the variant name.
fn kind_id(kind: ValueKind) -> String {
    let mut out = String::new();
    for (i, c) in format!("{kind:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The canonical names a keyword key's parser knows, in documentation order.
fn keyword_names(key: &str) -> Option<Vec<&'static str>> {
    fn names<T: Copy + Into<&'static str>>(all: &[T]) -> Vec<&'static str> {
        all.iter().map(|v| (*v).into()).collect()
    }
    Some(match key {
        "f" => names(Fit::ALL),
        "k" => names(Kernel::ALL),
        "p" => [names(Gravity::ALL), names(Strategy::ALL)].concat(),
        "gr" => names(Gravity::ALL),
        "afi" => names(Interpolator::ALL),
        "pc" | "tc" => names(Colourspace::ALL),
        "ec" => names(Channel::ALL),
        "bb" => names(BitwiseOperator::ALL),
        "fm" => names(Format::ALL),
        _ => return None,
    })
}

/// The values of `key` a request may use: the parser's names that also plan.
pub fn allowed_values(key: &str) -> Option<Vec<String>> {
    let names = keyword_names(key)?;
    Some(
        names
            .into_iter()
            .filter(|name| {
                Params::parse(&format!("{key}={name}"))
                    .and_then(|params| Plan::new(&params, Limits::default()))
                    .is_ok()
            })
            .map(str::to_string)
            .collect(),
    )
}

/// The watermark files a request may name with `wm`, sorted (also the 404 message's list).
pub(super) async fn watermark_names(dir: &std::path::Path) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(mut entries) = tokio::fs::read_dir(dir).await {
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            if WatermarkName::parse(&name).is_some() && !name.ends_with(".md") {
                names.push(name);
            }
        }
    }
    names.sort();
    names
}

/// What the console adapts to: whether URLs need signing, which routes answer, limits.
fn deployment(config: &Config) -> Value {
    let routes: Vec<&str> = Route::ALL
        .into_iter()
        .filter(|r| config.route_enabled(*r))
        .map(Route::name)
        .collect();
    json!({
        "signing": match config.signing {
            SigningMode::Off => "off",
            SigningMode::Required => "required",
        },
        "signOriginals": config.sign_originals,
        "autoFormat": config.auto_format,
        "presetsOnly": config.presets_only_unsigned,
        "routes": routes,
        "listRequiresToken": config.list_requires_token,
        "maxUploadBytes": config.max_upload_bytes,
        "maxOperations": config.max_operations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_key_lists_values_that_parse_to_themselves() {
        for spec in KEYS.iter().filter(|s| s.kind == ValueKind::Keyword) {
            let values = allowed_values(spec.name).unwrap_or_else(|| {
                panic!(
                    "keyword key '{}' has no values: add it to keyword_names",
                    spec.name
                )
            });
            assert!(!values.is_empty(), "{}", spec.name);
            for value in values {
                let query = format!("{}={value}", spec.name);
                let canonical = Params::parse(&query).unwrap().canonical();
                assert_eq!(canonical, query, "a listed value must be canonical");
            }
        }
    }

    #[test]
    fn values_the_service_refuses_are_not_offered() {
        // The parser reads lab, but the plan refuses it: the console must not offer it.
        let pc = allowed_values("pc").unwrap();
        assert_eq!(pc, ["srgb", "rgb16", "b-w", "grey16"]);
        let tc = allowed_values("tc").unwrap();
        assert!(tc.contains(&"cmyk".to_string()) && !tc.contains(&"lab".to_string()));
        assert!(allowed_values("w").is_none());
    }

    #[test]
    fn kind_ids_are_kebab_case() {
        assert_eq!(kind_id(ValueKind::IntegerOrObject), "integer-or-object");
        assert_eq!(kind_id(ValueKind::Integer), "integer");
        assert_eq!(kind_id(ValueKind::NameList), "name-list");
    }
}
