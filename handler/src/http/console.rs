//! The web console: a page and its modules (`handler/console/`), embedded in the binary
//! and served under the reserved prefix at `/_/console/`, so every deployment with
//! `IMAGE_SERVICE_CONSOLE=on` has it without another deployment. Its JSON routes are
//! [`super::param_table`] (`GET /_/params`) and [`super::sign`] (`POST /_/sign`).
//!
//! Every console answer carries [`harden`]'s headers: a CSP that lets the page load only
//! its own files and talk only to its own origin, `no-store` (a CDN must never keep it:
//! the page works with a token), and `nosniff`.

use super::AppState;
use crate::error::{Error, Result};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Scripts, styles, images and requests from this origin only; images also from `blob:`
/// (the preview shows the bytes it fetched); no plugins, frames, forms or `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' blob:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// One embedded file of the console.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

/// The console's files, each served at `/_/console/<name>` (`index.html` at `/_/console/`).
const ASSETS: &[Asset] = &[
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        body: include_str!("../../console/index.html"),
    },
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../console/console.css"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../console/console.js"),
    },
    Asset {
        name: "api.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../console/api.js"),
    },
    Asset {
        name: "browse.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../console/browse.js"),
    },
    Asset {
        name: "builder.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../console/builder.js"),
    },
    Asset {
        name: "params-form.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../console/params-form.js"),
    },
    Asset {
        name: "preview.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../console/preview.js"),
    },
];

/// The names of the embedded files (for tests and the README).
pub fn asset_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.name)
}

/// The 404 of every console route on a deployment that has it off.
pub(crate) fn require_console(state: &AppState) -> Result<()> {
    if state.config.console_enabled() {
        Ok(())
    } else {
        Err(Error::NotFound(
            "The console is off on this deployment (IMAGE_SERVICE_CONSOLE).".into(),
        ))
    }
}

/// The console's response headers, on success and error answers alike.
pub(crate) fn harden(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// `result` as a response with the console's headers.
pub(crate) fn hardened(result: Result<Response>) -> Response {
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    harden(response.headers_mut());
    response
}

/// `GET /_/console`: to `/_/console/`, so the page's relative URLs resolve under it
/// (also behind a path prefix such as an API Gateway stage).
pub async fn redirect(State(state): State<AppState>) -> Response {
    hardened(require_console(&state).map(|()| {
        (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, "console/")],
        )
            .into_response()
    }))
}

/// `GET /_/console/`: the page.
pub async fn page(State(state): State<AppState>) -> Response {
    hardened(require_console(&state).and_then(|()| serve("index.html")))
}

/// `GET /_/console/<file>`: one of its modules or its style sheet.
pub async fn asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    hardened(require_console(&state).and_then(|()| serve(&file)))
}

fn serve(name: &str) -> Result<Response> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| Error::NotFound(format!("The console has no file '{name}'.")))?;
    Ok(([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_refer_to_each_other_and_to_nothing_else() {
        // A module missing from ASSETS would be a 404 only a browser would notice, and a
        // file nothing loads is dead weight: each embedded file but the page is referred to.
        let names: Vec<&str> = asset_names().collect();
        let mut referred = std::collections::BTreeSet::new();
        for asset in ASSETS {
            for line in asset.body.lines() {
                let line = line.trim();
                let target = line
                    .strip_prefix("import ")
                    .and_then(|rest| rest.split(" from ").nth(1))
                    .or_else(|| line.strip_prefix("<script type=\"module\" src=\""))
                    .or_else(|| line.strip_prefix("<link rel=\"stylesheet\" href=\""));
                let Some(target) = target else { continue };
                let file = target
                    .trim_start_matches(['"', '\''])
                    .trim_start_matches("./")
                    .split(['"', '\''])
                    .next()
                    .unwrap();
                assert!(
                    names.contains(&file),
                    "{} refers to {file}, not embedded",
                    asset.name
                );
                referred.insert(file);
            }
        }
        let mut loaded: Vec<&str> = names.into_iter().filter(|n| *n != "index.html").collect();
        loaded.sort_unstable();
        assert_eq!(referred.into_iter().collect::<Vec<_>>(), loaded);
    }
}
