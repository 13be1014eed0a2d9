//! The result cache's settings: `IMAGE_SERVICE_RESULT_CACHE` (where rendered variants
//! are kept, or `off`) and `IMAGE_SERVICE_EDGE_SALT` (the deployment's part of the
//! edge key, see [`crate::edge_key`]).

use crate::storage::StoreSpec;

/// The folder under a store that holds its result cache when none is named: under the
/// reserved first segment `_/`, so no uploaded key can collide with a cache object and
/// no listing shows one.
pub const DEFAULT_FOLDER: &str = "_/cache";

/// `IMAGE_SERVICE_RESULT_CACHE`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ResultCacheSetting {
    /// Unset: on under [`DEFAULT_FOLDER`] of an S3 store (its lifecycle rules can expire
    /// it), off for a filesystem store (nothing would ever expire the files).
    #[default]
    Auto,
    /// `on`: under [`DEFAULT_FOLDER`] of the store, whichever kind it is.
    On,
    Off,
    /// A store of its own: `fs:<dir>` or `s3://<bucket>[/<prefix>]`.
    At(String),
}

impl ResultCacheSetting {
    pub fn parse(v: &str) -> Result<ResultCacheSetting, String> {
        match v.trim() {
            "" => Ok(ResultCacheSetting::Auto),
            "off" => Ok(ResultCacheSetting::Off),
            "on" => Ok(ResultCacheSetting::On),
            spec => {
                StoreSpec::parse(spec)
                    .map_err(|e| format!("IMAGE_SERVICE_RESULT_CACHE={v:?}: {e}, 'on' or 'off'"))?;
                Ok(ResultCacheSetting::At(spec.to_string()))
            }
        }
    }

    /// The store spec of the result cache for the originals' store `store`; `None`: off.
    pub fn resolve(&self, store: &str) -> Option<String> {
        let under_store = || {
            let base = store.trim_end_matches('/');
            format!("{base}/{DEFAULT_FOLDER}")
        };
        match self {
            ResultCacheSetting::Off => None,
            ResultCacheSetting::At(spec) => Some(spec.clone()),
            ResultCacheSetting::On => Some(under_store()),
            ResultCacheSetting::Auto if store.starts_with("s3://") => Some(under_store()),
            ResultCacheSetting::Auto => None,
        }
    }
}

/// `IMAGE_SERVICE_EDGE_SALT`: 1 to 128 visible ASCII characters (the CDK writes
/// `r<render version>-<12 hex>`).
pub fn parse_edge_salt(v: &str) -> Result<Option<String>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.len() > 128 || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "IMAGE_SERVICE_EDGE_SALT={v:?}: expected 1 to 128 visible ASCII characters"
        ));
    }
    Ok(Some(v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResultCacheSetting::*;

    #[test]
    fn on_by_default_for_s3_only() {
        assert_eq!(
            Auto.resolve("s3://originals"),
            Some("s3://originals/_/cache".into())
        );
        assert_eq!(Auto.resolve("fs:./data"), None);
        assert_eq!(On.resolve("fs:./data/"), Some("fs:./data/_/cache".into()));
        assert_eq!(Off.resolve("s3://originals"), None);
        let own = ResultCacheSetting::parse("s3://results-bucket/v1").unwrap();
        assert_eq!(
            own.resolve("s3://originals"),
            Some("s3://results-bucket/v1".into())
        );
        // The default folder is one no key can name.
        let key = format!("/{DEFAULT_FOLDER}/results/x");
        assert!(crate::keys::key_from_path(&key).is_err());
    }

    #[test]
    fn bad_values_name_the_variable() {
        for bad in ["yes", "s3://Bad", "fs:", "s3://b-1/a//b"] {
            let e = ResultCacheSetting::parse(bad).unwrap_err();
            assert!(e.contains("IMAGE_SERVICE_RESULT_CACHE"), "{e}");
        }
        assert_eq!(parse_edge_salt(""), Ok(None));
        assert_eq!(parse_edge_salt("r4-3f2a9c"), Ok(Some("r4-3f2a9c".into())));
        for bad in ["a b", "é", &"x".repeat(129)] {
            assert!(parse_edge_salt(bad)
                .unwrap_err()
                .contains("IMAGE_SERVICE_EDGE_SALT"));
        }
    }
}
