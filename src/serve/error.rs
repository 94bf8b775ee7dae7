//! How the API reports failure: one table from the library's [`Error`] to an HTTP status and a
//! `kind`, and the JSON body every error has:
//! `{"error": {"kind", "message", "position"?}}`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::Error;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    /// The character of the query a bad query's caret points at.
    pub position: Option<usize>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            position: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<Error> for ApiError {
    /// The one table: the user's mistakes are 4xx, everything about the index or the machine 500.
    fn from(e: Error) -> Self {
        let message = e.to_string();
        match e {
            Error::Query { position, .. } => ApiError {
                position,
                ..Self::new(StatusCode::BAD_REQUEST, "bad_query", message)
            },
            Error::Invalid(_) | Error::UnknownValue { .. } | Error::TurnOutOfRange { .. } => {
                Self::bad_request(message)
            }
            Error::UnknownConversation { .. } => Self::not_found(message),
            Error::Busy { .. } => Self::timeout(message),
            Error::CorpusMissing { .. }
            | Error::IndexMissing { .. }
            | Error::Io { .. }
            | Error::Index { .. }
            | Error::Tantivy(_)
            | Error::Format(_)
            | Error::NotAnIndex { .. }
            | Error::Damaged { .. }
            | Error::OldLayout { .. }
            | Error::Manifest { .. } => Self::internal(message),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    kind: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<usize>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Detail {
                kind: self.kind,
                message: &self.message,
                position: self.position,
            },
        };
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            json,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_mistakes_are_4xx_with_the_caret() {
        let q = ApiError::from(Error::Query {
            query: "a (".into(),
            reason: "r".into(),
            position: Some(2),
        });
        assert_eq!(
            (q.status, q.kind, q.position),
            (StatusCode::BAD_REQUEST, "bad_query", Some(2))
        );
        let nf = ApiError::from(Error::UnknownConversation {
            id: "x".into(),
            near: vec![],
        });
        assert_eq!(nf.status, StatusCode::NOT_FOUND);
        let damaged = ApiError::from(Error::Damaged {
            path: "i".into(),
            reason: "r".into(),
        });
        assert_eq!(damaged.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
