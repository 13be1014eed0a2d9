//! What every test binary of the workspace shares (handler/tests, handler/benches,
//! integration-tests): test images and paths ([`fixtures`]), the router with a
//! temporary filesystem store and typed requests ([`app::TestApp`]), the local server
//! as a process that can be killed ([`server`]), moto's endpoint ([`s3`]) and peak
//! memory ([`rss`]).

pub mod app;
pub mod fixtures;
pub mod rss;
pub mod s3;
pub mod server;

pub use app::*;
pub use fixtures::*;
pub use rss::peak_rss_mb;
pub use s3::s3_endpoint;
