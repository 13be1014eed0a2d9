//! Every error `code` the service answers with, in one table: the string clients match
//! on, its HTTP status and when it is sent. Call sites name a constant, never a string,
//! and the README's error table is generated from [`ALL`] (see [`reference`]).

use axum::http::StatusCode;

/// One registered error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// Stable kebab-case string, the response body's `code`.
    pub code: &'static str,
    pub status: StatusCode,
    /// When it is sent, one line (the README's "when" column).
    pub meaning: &'static str,
}

/// Declares each constant and lists them all in [`ALL`], so no code can be left out.
macro_rules! codes {
    ($($name:ident = $code:literal, $status:ident, $meaning:literal;)*) => {
        $(pub const $name: Code = Code {
            code: $code,
            status: StatusCode::$status,
            meaning: $meaning,
        };)*
        /// Every code, in the README's order.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    INVALID_PARAMETER = "invalid-parameter", BAD_REQUEST,
        "a query parameter has a bad value (the message names it and what is expected)";
    INVALID_KEY = "invalid-key", BAD_REQUEST,
        "the path is not a valid key (empty segment, `.`/`..`, control characters, backslash)";
    RESERVED_KEY = "reserved-key", BAD_REQUEST,
        "the path starts with the reserved `_/`";
    INVALID_EDGE_PATH = "invalid-edge-path", BAD_REQUEST,
        "a request with `x-image-edge-path` (set by the CloudFront function) whose path is not the edge key of that path, query and accept class, or to a deployment without `IMAGE_SERVICE_EDGE_SALT`";
    INVALID_MULTIPART = "invalid-multipart", BAD_REQUEST,
        "the upload body is not a readable `multipart/form-data` body, or a part's headers are too large";
    MISSING_DATA = "missing-data", BAD_REQUEST,
        "the upload has no `data` file part";
    INVALID_FILENAME = "invalid-filename", BAD_REQUEST,
        "a `data` part without a file name, or a file name (upload or delete) that is not one valid path segment";
    DUPLICATE_FILENAME = "duplicate-filename", BAD_REQUEST,
        "two files of one upload have the same name";
    TOO_MANY_FILES = "too-many-files", BAD_REQUEST,
        "one upload carries more than 100 files";
    INVALID_BODY = "invalid-body", BAD_REQUEST,
        "the DELETE body is not `{\"images\": [...]}` with at least one name, or the `POST /_/sign` body is not `{\"paths\": [...]}`";
    TOO_MANY_OPERATIONS = "too-many-operations", BAD_REQUEST,
        "the query asks for more operations than `IMAGE_SERVICE_MAX_OPERATIONS`";
    UNAUTHORIZED = "unauthorized", UNAUTHORIZED,
        "upload, delete or listing without `Authorization: Bearer <token>` (with `WWW-Authenticate: Bearer`)";
    INVALID_TOKEN = "invalid-token", FORBIDDEN,
        "a bearer token that is not one of `IMAGE_SERVICE_WRITE_TOKENS`";
    WRITES_DISABLED = "writes-disabled", FORBIDDEN,
        "a deployment with no write tokens configured refuses upload, delete (and a protected listing)";
    INVALID_SIGNATURE = "invalid-signature", FORBIDDEN,
        "signing is required and the signature is missing, malformed or wrong";
    EXPIRED = "expired", FORBIDDEN,
        "a signed URL past its `exp`";
    PRESETS_ONLY = "presets-only", FORBIDDEN,
        "`IMAGE_SERVICE_PRESETS_ONLY` is on and an unsigned request asks for more than `preset` (plus `fm=auto`): other parameters need a signed URL";
    ORIGIN_NOT_ALLOWED = "origin-not-allowed", FORBIDDEN,
        "a CORS preflight from an origin not in `IMAGE_SERVICE_CORS_ORIGINS`";
    FORBIDDEN_ORIGIN = "forbidden-origin", FORBIDDEN,
        "an origin secret is configured and the request has no valid `X-Origin-Verify` header (the API was called directly, not through CloudFront)";
    NOT_FOUND = "not-found", NOT_FOUND,
        "no such key, file, route; or a route this deployment disabled";
    METHOD_NOT_ALLOWED = "method-not-allowed", METHOD_NOT_ALLOWED,
        "a method other than GET, HEAD, POST, DELETE";
    ALREADY_EXISTS = "already-exists", CONFLICT,
        "an upload names a file that exists with other bytes";
    PAYLOAD_TOO_LARGE = "payload-too-large", PAYLOAD_TOO_LARGE,
        "the upload is over `IMAGE_SERVICE_MAX_UPLOAD_BYTES`";
    IMAGE_TOO_LARGE = "image-too-large", PAYLOAD_TOO_LARGE,
        "the original is over the byte or pixel limits (checked before decoding), or a step would exceed `IMAGE_SERVICE_MAX_OUTPUT_DIMENSION`";
    OUTPUT_TOO_LARGE = "output-too-large", PAYLOAD_TOO_LARGE,
        "the response would exceed `IMAGE_SERVICE_MAX_OUTPUT_BYTES` (on Lambda: 199000000 bytes, under Lambda's 200 MB streamed-response limit)";
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type", UNSUPPORTED_MEDIA_TYPE,
        "an upload that is not an image, or an original in a format we cannot decode";
    UNPROCESSABLE_IMAGE = "unprocessable-image", UNPROCESSABLE_ENTITY,
        "a truncated or corrupt image";
    TIMEOUT = "timeout", SERVICE_UNAVAILABLE,
        "processing ran past `IMAGE_SERVICE_DEADLINE_MS` (answered before the Lambda is killed)";
    STORAGE_ERROR = "storage-error", BAD_GATEWAY,
        "the image store failed; our fault: the message stays generic and the cause is logged";
    INTERNAL_ERROR = "internal-error", INTERNAL_SERVER_ERROR,
        "our fault; the message stays generic and the cause is logged";
}

/// The README's error table (between its `errors:` markers).
pub fn reference() -> String {
    let mut out = String::from("\n| code | status | when |\n|---|---|---|\n");
    for c in ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.code,
            c.status.as_u16(),
            c.meaning.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_and_errors() {
        for (i, c) in ALL.iter().enumerate() {
            assert!(
                !c.code.is_empty()
                    && c.code
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{}",
                c.code
            );
            assert!(
                c.status.is_client_error() || c.status.is_server_error(),
                "{}",
                c.code
            );
            assert!(
                ALL[..i].iter().all(|d| d.code != c.code),
                "{} twice",
                c.code
            );
        }
    }

    #[test]
    fn readme_error_table_is_current() {
        crate::readme::check_section("errors", "handler/src/error/codes.rs", &reference());
    }
}
