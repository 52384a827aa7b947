//! API errors, answered as `metav1.Status` objects with the HTTP codes and reasons a real API
//! server uses, so that clients (`kubectl`, kube-rs) recognise NotFound, AlreadyExists and
//! Invalid.

use serde_json::{Value, json};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ApiError {
    #[error("{kind} \"{name}\" not found")]
    NotFound {
        group: String,
        kind: String,
        name: String,
    },
    #[error("{kind} \"{name}\" already exists")]
    AlreadyExists {
        group: String,
        kind: String,
        name: String,
    },
    #[error("{kind} \"{name}\" is invalid: {}", causes.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join(", "))]
    Invalid {
        group: String,
        kind: String,
        name: String,
        /// (field, message)
        causes: Vec<(String, String)>,
    },
    #[error("Operation cannot be fulfilled on {kind} \"{name}\": {message}")]
    Conflict {
        kind: String,
        name: String,
        message: String,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("Unauthorized")]
    Unauthorized,
    #[error("the server could not find the requested resource")]
    NoSuchPath,
    #[error("the server does not allow this method on the requested resource")]
    MethodNotAllowed,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("Internal error occurred: {0}")]
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn code(&self) -> u16 {
        match self {
            ApiError::NotFound { .. } | ApiError::NoSuchPath => 404,
            ApiError::AlreadyExists { .. } | ApiError::Conflict { .. } => 409,
            ApiError::Invalid { .. } => 422,
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthorized => 401,
            ApiError::MethodNotAllowed => 405,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::Internal(_) => 500,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } | ApiError::NoSuchPath => "NotFound",
            ApiError::AlreadyExists { .. } => "AlreadyExists",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::Invalid { .. } => "Invalid",
            ApiError::BadRequest(_) => "BadRequest",
            ApiError::Unauthorized => "Unauthorized",
            ApiError::MethodNotAllowed => "MethodNotAllowed",
            ApiError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            ApiError::Internal(_) => "InternalError",
        }
    }

    /// The `Status` object a real API server sends with this error.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code(),
        });
        match self {
            ApiError::NotFound { group, kind, name }
            | ApiError::AlreadyExists { group, kind, name } => {
                status["details"] = json!({"name": name, "group": group, "kind": kind});
            }
            ApiError::Invalid {
                group,
                kind,
                name,
                causes,
            } => {
                let causes: Vec<Value> = causes
                    .iter()
                    .map(|(field, message)| {
                        json!({"reason": "FieldValueInvalid", "message": message, "field": field})
                    })
                    .collect();
                status["details"] =
                    json!({"name": name, "group": group, "kind": kind, "causes": causes});
            }
            ApiError::Conflict { kind, name, .. } => {
                status["details"] = json!({"name": name, "kind": kind});
            }
            _ => {}
        }
        status
    }
}

/// The `Status` a successful delete of a collection or a view answers with.
pub fn success() -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})
}
