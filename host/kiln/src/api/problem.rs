//! Errors as RFC 9457 `application/problem+json`. Every error the API
//! returns is an [`ApiError`]; each kind has a stable `type` URI
//! (`urn:kiln:problem:<kind>`) that clients can match on. Client errors
//! carry their detail; a server error's detail goes to the log only.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kiln_core::Violation;
use serde::Serialize;
use utoipa::ToSchema;

/// The problem+json body.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Problem {
    /// `urn:kiln:problem:<kind>`; stable, match on it.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) title: &'static str,
    pub(crate) status: u16,
    pub(crate) detail: String,
    /// Every problem found in the request, each with the JSON pointer
    /// (RFC 6901) of the field, relative to the request body.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) violations: Vec<Violation>,
    /// For a refused plugin upload: the `kiln plugin check` rule it failed
    /// (`contract`, `schema`, `descriptions`, `examples`, `example`,
    /// `broken-specs`, or `limits` when checking it was stopped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rule: Option<String>,
    /// Quote it when reporting a problem: the server's log has the details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) request_id: Option<uuid::Uuid>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    /// Missing, or another organisation's: the two are never told apart.
    #[error("no {0} with this id")]
    NotFound(&'static str),
    /// What was asked for does not exist, for the reason given.
    #[error("{0}")]
    Absent(String),
    /// The request is malformed: syntax, a header or a query parameter.
    #[error("{detail}")]
    BadRequest { detail: String, violations: Vec<Violation> },
    #[error("this route does not take this method; see /openapi.json")]
    MethodNotAllowed,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the body is larger than the limit of {}", kiln_core::format_bytes(*.0))]
    TooLarge(u64),
    /// Well-formed, but fields are invalid: listed with their pointers.
    #[error("{detail}")]
    Invalid { detail: String, violations: Vec<Violation> },
    #[error(
        "Idempotency-Key {key:?} was already used for a different request (job {existing}); \
         use a new key for a new request"
    )]
    IdempotencyKeyReused { key: String, existing: kiln_core::JobId },
    #[error("the requested range is outside the file of {size} bytes")]
    RangeNotSatisfiable { size: u64 },
    /// An uploaded plugin failed a check rule; nothing was registered.
    #[error("{detail}")]
    PluginRefused { rule: String, detail: String },
    /// The request conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    RateLimited(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error; the server's log has the details under this request_id")]
    Internal(#[source] anyhow::Error),
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest { detail: detail.into(), violations: Vec::new() }
    }

    /// One invalid field.
    pub(crate) fn invalid(pointer: &str, message: impl Into<String>) -> Self {
        let violation = Violation::new(pointer, message);
        Self::Invalid { detail: violation.to_string(), violations: vec![violation] }
    }

    pub(crate) fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Unauthorized(_) => {
                (StatusCode::UNAUTHORIZED, "unauthorized", "Missing or unknown API key")
            }
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed for this key"),
            Self::NotFound(_) | Self::Absent(_) => {
                (StatusCode::NOT_FOUND, "not-found", "Not found")
            }
            Self::BadRequest { .. } => {
                (StatusCode::BAD_REQUEST, "bad-request", "Malformed request")
            }
            Self::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed")
            }
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported content type",
            ),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Body too large"),
            Self::Invalid { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid", "Invalid request")
            }
            Self::IdempotencyKeyReused { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused",
            ),
            Self::RangeNotSatisfiable { .. } => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range-not-satisfiable",
                "Range not satisfiable",
            ),
            Self::PluginRefused { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "plugin-refused", "Plugin refused")
            }
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            Self::RateLimited(_) => {
                (StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests")
            }
            Self::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable")
            }
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title) = self.parts();
        if let Self::Internal(err) = &self {
            tracing::error!(error = format!("{err:#}"), "request failed");
        }
        let violations = match &self {
            Self::BadRequest { violations, .. } | Self::Invalid { violations, .. } => {
                violations.clone()
            }
            _ => Vec::new(),
        };
        let problem = Problem {
            kind: format!("urn:kiln:problem:{kind}"),
            title,
            status: status.as_u16(),
            detail: self.to_string(),
            violations,
            rule: match &self {
                Self::PluginRefused { rule, .. } => Some(rule.clone()),
                _ => None,
            },
            request_id: super::ops::REQUEST_ID.try_with(|id| *id).ok(),
        };
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        match self {
            Self::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"kiln\""),
                );
            }
            Self::RangeNotSatisfiable { size } => {
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    headers.insert(header::CONTENT_RANGE, value);
                }
            }
            Self::RateLimited(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::bad_request(format!("bad path parameter: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request(format!("bad query parameter: {}", rejection.body_text()))
    }
}

impl From<kiln_queue::Error> for ApiError {
    fn from(err: kiln_queue::Error) -> Self {
        Self::Internal(err.into())
    }
}

impl From<kiln_storage::Error> for ApiError {
    fn from(err: kiln_storage::Error) -> Self {
        use kiln_storage::Error as E;
        match err {
            E::RangeNotSatisfiable { size } => Self::RangeNotSatisfiable { size },
            E::TooLarge { limit } => Self::TooLarge(limit),
            E::Unreachable { .. } => {
                Self::Unavailable("file storage is unreachable; try again shortly".into())
            }
            other => Self::Internal(other.into()),
        }
    }
}

/// Answers unknown routes as problem+json too.
pub(crate) async fn no_route() -> ApiError {
    ApiError::NotFound("route")
}

/// Answers a known route called with the wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
