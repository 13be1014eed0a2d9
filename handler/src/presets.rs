//! Presets: named parameter sets of the deployment, read once at start from a JSON
//! object of name → query string (`IMAGE_SERVICE_PRESETS`; the checked-in
//! `handler/presets.json` when unset), each parsed by [`Params::parse`] then, so a bad
//! preset stops the service with a message naming it and its parameter.
//!
//! `preset=a,b` is expanded before a plan is built, so the canonical form, the cache
//! key and the ETag are those of the expanded parameters: `preset=thumb` and the query
//! it stands for are one variant. The rule: presets apply in the order listed (a later
//! preset's key replaces an earlier one's), then every key written in the query
//! replaces the presets' value. The signature still covers the raw query.
//!
//! `IMAGE_SERVICE_PRESETS_ONLY`: an unsigned request may ask only for presets (and
//! `fm=auto`, which picks among formats a preset could name anyway, see
//! [`only_presets`]); anything else needs a signed URL. With signing off, every request
//! is unsigned. The check itself sits with the route (`http::presets_only`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::params::{Format, Params, PresetName};

/// The checked-in presets, the default of `IMAGE_SERVICE_PRESETS`.
pub const BUILT_IN: &str = include_str!("../presets.json");

/// The deployment's presets, each already parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Presets {
    by_name: BTreeMap<PresetName, Params>,
}

impl Default for Presets {
    /// The checked-in file (a test keeps it valid).
    fn default() -> Self {
        Presets::parse(BUILT_IN).expect("handler/presets.json is valid")
    }
}

impl Presets {
    /// Reads and checks a presets file; the message names the preset at fault.
    pub fn load(path: &Path) -> std::result::Result<Presets, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read presets file {}: {e}", path.display()))?;
        Presets::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Checks the text of a presets file: a JSON object of name → query string.
    pub fn parse(text: &str) -> std::result::Result<Presets, String> {
        let raw: BTreeMap<String, serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| format!("expected a JSON object of preset name to query string ({e})"))?;
        let mut by_name = BTreeMap::new();
        for (name, value) in raw {
            let preset = PresetName::parse(&name).ok_or_else(|| {
                format!("preset name {name:?}: expected 1-64 characters from A-Z a-z 0-9 _ -")
            })?;
            let query = value
                .as_str()
                .ok_or_else(|| format!("preset '{name}': expected a query string, not {value}"))?;
            by_name.insert(preset, parse_one(&name, query)?);
        }
        Ok(Presets { by_name })
    }

    /// The preset names, sorted, for messages.
    pub fn names(&self) -> Vec<&str> {
        self.by_name.keys().map(PresetName::as_str).collect()
    }

    /// The parameters of one preset.
    pub fn get(&self, name: &str) -> Option<&Params> {
        self.by_name
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, p)| p)
    }

    /// `params` with its `preset` names replaced by their parameters: presets in the
    /// order listed (later ones win), then the query's own keys over all of them.
    pub fn expand(&self, params: &Params) -> Result<Params> {
        let Some(names) = &params.preset else {
            return Ok(params.clone());
        };
        let mut expanded = Params::default();
        for name in names {
            let preset = self.get(name.as_str()).ok_or_else(|| {
                Error::invalid_parameter(
                    "preset",
                    name.as_str(),
                    format!("a preset of this deployment: {}", self.names().join(", ")),
                )
            })?;
            expanded.overlay(preset)?;
        }
        let explicit = Params {
            preset: None,
            ..params.clone()
        };
        expanded.overlay(&explicit)?;
        Ok(expanded)
    }
}

/// One preset's query, checked like a request's, naming the preset in every error.
fn parse_one(name: &str, query: &str) -> std::result::Result<Params, String> {
    let params = Params::parse(query).map_err(|e| format!("preset '{name}': {e}"))?;
    if params.preset.is_some() {
        return Err(format!(
            "preset '{name}': uses parameter 'preset'; a preset cannot include other presets"
        ));
    }
    if params.is_empty() {
        return Err(format!(
            "preset '{name}': sets no parameter (unknown keys are ignored): {query:?}"
        ));
    }
    Ok(params)
}

/// Whether an unsigned request may ask for `params` (the query as written, before
/// expansion) under `IMAGE_SERVICE_PRESETS_ONLY`: at least one preset, and besides
/// presets only `fm=auto`.
pub fn only_presets(params: &Params) -> bool {
    let rest = Params {
        preset: None,
        fm: params.fm.filter(|fm| *fm != Format::Auto),
        ..params.clone()
    };
    params.preset.is_some() && rest.is_empty()
}

#[cfg(test)]
mod tests;
