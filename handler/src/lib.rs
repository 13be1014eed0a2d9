//! image-service: originals in a store, served and transformed on demand.
//!
//! Data flows one way: request (`http`) → parameters (`params`) → pipeline
//! (`pipeline`, `ops`) → codecs (`codecs`) → response; storage sits behind one trait
//! (`storage`).

pub mod auth;
pub mod codecs;
pub mod config;
pub mod edge_key;
pub mod error;
pub mod http;
pub mod insight;
pub mod keys;
pub mod metrics;
pub mod ops;
pub mod params;
pub mod pipeline;
pub mod plan;
pub mod presets;
pub mod result_cache;
pub mod samples;
pub mod secrets;
pub mod storage;

#[cfg(test)]
mod differences;
#[cfg(test)]
mod golden;
#[cfg(test)]
mod readme;

pub use config::Config;
pub use http::{router, AppState};
