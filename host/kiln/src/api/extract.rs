//! Request extractors whose failures are problem+json: the caller's key,
//! JSON bodies (with the JSON pointer of a bad field), path and query.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use kiln_core::{OrgId, Violation};
use kiln_queue::{ApiKey, KeyKind, Scope};
use serde::de::DeserializeOwned;

use super::ApiState;
use super::problem::ApiError;

/// The organisation behind the request's `Authorization: Bearer` key.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) key: ApiKey,
}

impl Caller {
    pub(crate) fn organisation(&self) -> OrgId {
        self.key.organisation_id
    }

    /// Every read and write of this caller sees its own organisation only.
    pub(crate) fn scope(&self) -> Scope {
        Scope::Organisation(self.key.organisation_id)
    }

    pub(crate) fn require_admin(&self) -> Result<(), ApiError> {
        match self.key.kind {
            KeyKind::Admin => Ok(()),
            KeyKind::Standard => {
                Err(ApiError::Forbidden("this needs an admin key (kiln keys create --admin)"))
            }
        }
    }
}

impl FromRequestParts<Arc<ApiState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ApiState>,
    ) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(header::AUTHORIZATION).ok_or(ApiError::Unauthorized(
            "send an API key as `Authorization: Bearer kiln_...` (kiln keys create)",
        ))?;
        let secret = value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|secret| !secret.is_empty())
            .ok_or(ApiError::Unauthorized("the Authorization header must be `Bearer <API key>`"))?;
        let key = state
            .store
            .api_key(&ApiKey::hash(secret))
            .await?
            .ok_or(ApiError::Unauthorized("unknown or revoked API key"))?;
        state.rate_limit.check(&key)?;
        Ok(Self { key })
    }
}

/// A JSON body. A body that is not JSON is a 400 naming where parsing
/// stopped; a field of the wrong shape is a 422 with its JSON pointer; a
/// body over the limit is a 413; another content type is a 415.
pub(crate) struct Json<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type =
            request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
        if !content_type.is_some_and(is_json) {
            return Err(ApiError::UnsupportedMediaType(format!(
                "send the body as JSON with `Content-Type: application/json` (got {})",
                content_type
                    .map_or_else(|| "no content type".to_owned(), |value| format!("{value:?}"))
            )));
        }
        // Refuse a declared oversize body before the client sends it.
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|length| length > super::MAX_JSON_BODY) {
            return Err(ApiError::TooLarge(super::MAX_JSON_BODY as u64));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(super::MAX_JSON_BODY as u64)
            } else {
                ApiError::bad_request(format!("could not read the body: {}", rejection.body_text()))
            }
        })?;
        parse(&bytes).map(Json)
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses a JSON body into `T`, locating any problem.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|err| ApiError::BadRequest {
            detail: format!("the body is not valid JSON: {err}"),
            violations: vec![Violation::new("", format!("not valid JSON: {err}"))],
        })?;
    serde_path_to_error::deserialize(value).map_err(|err| {
        let pointer = pointer(err.path());
        let message = err.into_inner().to_string();
        ApiError::Invalid {
            detail: format!("{}: {message}", if pointer.is_empty() { "(body)" } else { &pointer }),
            violations: vec![Violation::new(pointer, message)],
        }
    })
}

/// serde_path_to_error's path as a JSON pointer.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => {}
        }
    }
    pointer
}

/// Path parameters; a malformed one is a 400 problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct Path<T>(pub(crate) T);

/// Query parameters; a malformed one is a 400 problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub(crate) struct Query<T>(pub(crate) T);

/// Refuses a body whose `Content-Length` is over `limit` before any of it
/// is read, so a client never uploads it all to be told no.
pub(crate) fn refuse_declared_over(
    headers: &axum::http::HeaderMap,
    limit: u64,
) -> Result<(), ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit => Err(ApiError::TooLarge(limit)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        size: u32,
    }

    #[test]
    fn a_bad_field_is_located_by_its_json_pointer() {
        let err = parse::<Body>(br#"{"items": [{"size": 1}, {"size": "big"}]}"#).unwrap_err();
        match err {
            ApiError::Invalid { violations, .. } => {
                assert_eq!(violations[0].pointer, "/items/1/size")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse::<Body>(b"{\"items\": ["), Err(ApiError::BadRequest { .. })));
    }

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
    }
}
