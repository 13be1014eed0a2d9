//! The one error type every layer returns. Each variant knows its registered [`Code`]
//! (stable kebab-case `code`, HTTP status, meaning: all in [`codes`]); the response body
//! is always `{"status": <int>, "code": "<code>", "message": "<sentence>"}`.
//!
//! Client mistakes carry a message meant for the client. Server faults (`Internal`,
//! `Storage`) keep their cause for the log and answer with a generic sentence, so no
//! bucket names, paths or SDK internals leak to callers.

pub mod codes;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use codes::Code;

/// A backend's own error, kept as the source of [`Error::Storage`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query parameter had a value we cannot use.
    #[error("invalid value {value:?} for parameter '{key}': expected {expected}")]
    InvalidParameter {
        key: String,
        value: String,
        expected: String,
    },
    /// Any other malformed request: bad key, bad multipart, bad JSON body, bad filename.
    #[error("{message}")]
    BadRequest { code: Code, message: String },
    /// A credential is required and none was given.
    #[error("{0}")]
    Unauthorized(String),
    /// The credential or signature was checked and refused (`invalid-token`,
    /// `invalid-signature`, `expired`, `writes-disabled`, `origin-not-allowed`,
    /// `forbidden-origin`).
    #[error("{message}")]
    Forbidden { code: Code, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    AlreadyExists(String),
    /// The request body is over the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The image is larger (bytes, pixels, frames) than the service will decode.
    #[error("{0}")]
    ImageTooLarge(String),
    /// The produced image would not fit in a response.
    #[error("{0}")]
    OutputTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The bytes claim to be an image we support but cannot be decoded.
    #[error("{0}")]
    UnprocessableImage(String),
    #[error("{0}")]
    Timeout(String),
    /// A storage backend failed for a reason that is not the client's; the cause is the
    /// source (logged with its chain, see [`Error::cause_chain`]).
    #[error("storage failure")]
    Storage(#[source] BoxError),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid_parameter(
        key: impl Into<String>,
        value: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        Error::InvalidParameter {
            key: key.into(),
            value: value.into(),
            expected: expected.into(),
        }
    }

    /// A 400 with one of the registry's 400 codes.
    pub fn bad_request(code: Code, message: impl Into<String>) -> Self {
        debug_assert_eq!(code.status, StatusCode::BAD_REQUEST, "{}", code.code);
        Error::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// A 403 with one of the registry's 403 codes.
    pub fn forbidden(code: Code, message: impl Into<String>) -> Self {
        debug_assert_eq!(code.status, StatusCode::FORBIDDEN, "{}", code.code);
        Error::Forbidden {
            code,
            message: message.into(),
        }
    }

    /// This error's entry in the registry.
    pub fn registered(&self) -> Code {
        match self {
            Error::InvalidParameter { .. } => codes::INVALID_PARAMETER,
            Error::BadRequest { code, .. } | Error::Forbidden { code, .. } => *code,
            Error::Unauthorized(_) => codes::UNAUTHORIZED,
            Error::NotFound(_) => codes::NOT_FOUND,
            Error::MethodNotAllowed(_) => codes::METHOD_NOT_ALLOWED,
            Error::AlreadyExists(_) => codes::ALREADY_EXISTS,
            Error::PayloadTooLarge(_) => codes::PAYLOAD_TOO_LARGE,
            Error::ImageTooLarge(_) => codes::IMAGE_TOO_LARGE,
            Error::OutputTooLarge(_) => codes::OUTPUT_TOO_LARGE,
            Error::UnsupportedMediaType(_) => codes::UNSUPPORTED_MEDIA_TYPE,
            Error::UnprocessableImage(_) => codes::UNPROCESSABLE_IMAGE,
            Error::Timeout(_) => codes::TIMEOUT,
            Error::Storage(_) => codes::STORAGE_ERROR,
            Error::Internal(_) => codes::INTERNAL_ERROR,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.registered().status
    }

    pub fn code(&self) -> &'static str {
        self.registered().code
    }

    /// This error and its sources, for the log (never for the client).
    pub fn cause_chain(&self) -> String {
        chain(self)
    }

    /// The sentence sent to the client. Server-side faults stay generic.
    pub fn public_message(&self) -> String {
        match self {
            Error::Storage(_) => "The image store could not complete the request.".to_string(),
            Error::Internal(_) => "The service hit an internal error.".to_string(),
            other => other.to_string(),
        }
    }
}

/// An error and its sources, `: `-joined: what a log line needs of a backend failure.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

/// The `code` of an error response, left in the response's extensions for the request
/// log and metrics (`http::observe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode(pub &'static str);

#[derive(Serialize)]
pub struct ErrorBody {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(code = self.code(), cause = %self.cause_chain(), "request failed");
        } else {
            tracing::debug!(code = self.code(), message = %self, "request rejected");
        }
        let body = ErrorBody {
            status: status.as_u16(),
            code: self.code(),
            message: self.public_message(),
        };
        let mut response = (status, axum::Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(self.code()));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_parameter_names_key_value_and_expectation() {
        let e = Error::invalid_parameter("h", "-350", "a positive integer");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.code(), "invalid-parameter");
        let m = e.public_message();
        assert!(m.contains("'h'") && m.contains("-350") && m.contains("positive integer"));
    }

    #[test]
    fn server_faults_hide_their_cause() {
        let e = Error::Storage("bucket secret-bucket: AccessDenied".into());
        assert_eq!(e.status(), StatusCode::BAD_GATEWAY);
        assert!(!e.public_message().contains("secret-bucket"));
        let e = Error::Internal("panic in codec".into());
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.public_message().contains("panic"));
    }

    /// The statuses and codes each variant answered with before the registry existed.
    #[test]
    fn variants_keep_their_codes_and_statuses() {
        let all = [
            (
                Error::invalid_parameter("w", "x", "y"),
                400,
                "invalid-parameter",
            ),
            (
                Error::bad_request(codes::INVALID_KEY, "m"),
                400,
                "invalid-key",
            ),
            (Error::Unauthorized("m".into()), 401, "unauthorized"),
            (
                Error::forbidden(codes::INVALID_SIGNATURE, "m"),
                403,
                "invalid-signature",
            ),
            (
                Error::forbidden(codes::FORBIDDEN_ORIGIN, "m"),
                403,
                "forbidden-origin",
            ),
            (Error::NotFound("m".into()), 404, "not-found"),
            (
                Error::MethodNotAllowed("m".into()),
                405,
                "method-not-allowed",
            ),
            (Error::AlreadyExists("m".into()), 409, "already-exists"),
            (Error::PayloadTooLarge("m".into()), 413, "payload-too-large"),
            (Error::ImageTooLarge("m".into()), 413, "image-too-large"),
            (Error::OutputTooLarge("m".into()), 413, "output-too-large"),
            (
                Error::UnsupportedMediaType("m".into()),
                415,
                "unsupported-media-type",
            ),
            (
                Error::UnprocessableImage("m".into()),
                422,
                "unprocessable-image",
            ),
            (Error::Timeout("m".into()), 503, "timeout"),
            (Error::Storage("m".into()), 502, "storage-error"),
            (Error::Internal("m".into()), 500, "internal-error"),
        ];
        for (e, status, code) in all {
            assert_eq!((e.status().as_u16(), e.code()), (status, code));
            assert!(codes::ALL.contains(&e.registered()), "{code}");
        }
    }

    #[test]
    fn the_log_gets_the_cause_chain_the_client_does_not() {
        let io = std::io::Error::other("disk /srv/secret full");
        let e = Error::Storage(Box::new(io));
        assert_eq!(e.cause_chain(), "storage failure: disk /srv/secret full");
        assert!(!e.public_message().contains("secret"));
    }
}
