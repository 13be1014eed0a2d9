//! The one error type every layer returns. Each variant knows its HTTP status and a
//! stable kebab-case `code`; the response body is always
//! `{"status": <int>, "code": "<code>", "message": "<sentence>"}`.
//!
//! Client mistakes carry a message meant for the client. Server faults (`Internal`,
//! `Storage`) keep their cause for the log and answer with a generic sentence, so no
//! bucket names, paths or SDK internals leak to callers.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

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
    BadRequest { code: &'static str, message: String },
    /// A credential is required and none was given.
    #[error("{0}")]
    Unauthorized(String),
    /// The credential or signature was checked and refused (`invalid-token`,
    /// `invalid-signature`, `expired`, `writes-disabled`, `origin-not-allowed`,
    /// `forbidden-origin`).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
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
    /// A storage backend failed for a reason that is not the client's.
    #[error("storage failure: {0}")]
    Storage(String),
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

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Error::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Error::Forbidden {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::InvalidParameter { .. } | Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Error::AlreadyExists(_) => StatusCode::CONFLICT,
            Error::PayloadTooLarge(_) | Error::ImageTooLarge(_) | Error::OutputTooLarge(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::UnprocessableImage(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Storage(_) => StatusCode::BAD_GATEWAY,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidParameter { .. } => "invalid-parameter",
            Error::BadRequest { code, .. } => code,
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden { code, .. } => code,
            Error::NotFound(_) => "not-found",
            Error::MethodNotAllowed(_) => "method-not-allowed",
            Error::AlreadyExists(_) => "already-exists",
            Error::PayloadTooLarge(_) => "payload-too-large",
            Error::ImageTooLarge(_) => "image-too-large",
            Error::OutputTooLarge(_) => "output-too-large",
            Error::UnsupportedMediaType(_) => "unsupported-media-type",
            Error::UnprocessableImage(_) => "unprocessable-image",
            Error::Timeout(_) => "timeout",
            Error::Storage(_) => "storage-error",
            Error::Internal(_) => "internal-error",
        }
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
            tracing::error!(code = self.code(), cause = %self, "request failed");
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

    #[test]
    fn codes_are_kebab_case() {
        let all = [
            Error::invalid_parameter("w", "x", "y"),
            Error::bad_request("invalid-key", "m"),
            Error::Unauthorized("m".into()),
            Error::forbidden("invalid-signature", "m"),
            Error::forbidden("forbidden-origin", "m"),
            Error::NotFound("m".into()),
            Error::MethodNotAllowed("m".into()),
            Error::AlreadyExists("m".into()),
            Error::PayloadTooLarge("m".into()),
            Error::ImageTooLarge("m".into()),
            Error::OutputTooLarge("m".into()),
            Error::UnsupportedMediaType("m".into()),
            Error::UnprocessableImage("m".into()),
            Error::Timeout("m".into()),
            Error::Storage("m".into()),
            Error::Internal("m".into()),
        ];
        for e in all {
            let c = e.code();
            assert!(
                c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{c}"
            );
        }
    }
}
