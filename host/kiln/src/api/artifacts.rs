//! Artifacts: metadata, downloads (with ranges), a session's files listed
//! or bundled as one streamed ZIP, pre-signed URLs, and deletion.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kiln_core::{Artifact, ArtifactId};
use kiln_queue::Scope;
use kiln_storage::{BlobKey, ByteRange, MAX_PRESIGN, ZipEntry, attachment, write_zip, zip_len};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiState;
use super::extract::{Caller, Path, Query, parse};
use super::problem::{ApiError, ApiResult, Problem};
use super::views::{ArtifactView, download_names};
use crate::preview::{Format, Preview};

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionArtifacts {
    session_id: String,
    /// Oldest first.
    artifacts: Vec<ArtifactView>,
    count: usize,
    /// Bytes, summed over the artifacts.
    total_size: u64,
    /// The whole session as one ZIP.
    bundle: String,
}

/// Lists a session's artifacts.
#[utoipa::path(
    get, operation_id = "list_session_artifacts", path = "/v1/sessions/{id}/artifacts", tag = "artifacts",
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, body = SessionArtifacts)),
    security(("api_key" = []))
)]
pub(crate) async fn session(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(session): Path<String>,
) -> ApiResult<axum::Json<SessionArtifacts>> {
    let artifacts = state.store.session_artifacts(caller.scope(), &session).await?;
    let total_size = artifacts.iter().map(|artifact| artifact.size).sum();
    let artifacts = state.links.artifacts(state.store.as_ref(), caller.scope(), artifacts).await?;
    Ok(axum::Json(SessionArtifacts {
        count: artifacts.len(),
        total_size,
        bundle: state.links.url(&format!("/v1/sessions/{session}/bundle")),
        artifacts,
        session_id: session,
    }))
}

/// Downloads a session's artifacts as one ZIP (ZIP64 when large), paths
/// `{type}/{path}`, streamed as it is built.
#[utoipa::path(
    get, operation_id = "download_session_bundle", path = "/v1/sessions/{id}/bundle", tag = "artifacts",
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 200, description = "The ZIP", content_type = "application/zip", body = Vec<u8>),
        (status = 404, description = "No artifacts in this session", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub(crate) async fn bundle(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(session): Path<String>,
) -> ApiResult<Response> {
    let artifacts = state.store.session_artifacts(caller.scope(), &session).await?;
    if artifacts.is_empty() {
        return Err(ApiError::NotFound("session with artifacts"));
    }
    let entries = zip_entries(&artifacts)?;
    let length = zip_len(&entries);
    let (writer, reader) = tokio::io::duplex(64 << 10);
    let blobs = state.blobs.clone();
    tokio::spawn(async move {
        // On failure the writer is dropped and the response ends short of
        // its Content-Length, so clients see a broken download, never a
        // silently incomplete ZIP.
        if let Err(err) = write_zip(blobs.as_ref(), &entries, writer).await {
            tracing::error!(error = %kiln_core::ErrorChain(&err), "writing a ZIP bundle failed");
        }
    });
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(reader));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers
        .insert(header::CONTENT_DISPOSITION, header_value(&attachment(&format!("{session}.zip")))?);
    Ok(response)
}

/// `{type}/{path}`, or `{type}/{job}/{path}` where two jobs of a type made
/// the same path.
fn zip_entries(artifacts: &[Artifact]) -> ApiResult<Vec<ZipEntry>> {
    let mut seen = std::collections::HashSet::new();
    artifacts
        .iter()
        .map(|artifact| {
            let mut name = format!("{}/{}", artifact.artifact_type, artifact.path);
            if !seen.insert(name.clone()) {
                name = format!("{}/{}/{}", artifact.artifact_type, artifact.job_id, artifact.path);
                seen.insert(name.clone());
            }
            Ok(ZipEntry {
                name,
                key: key(artifact)?,
                size: artifact.size,
                modified: artifact.created_at,
            })
        })
        .collect()
}

pub(super) fn key(artifact: &Artifact) -> ApiResult<BlobKey> {
    BlobKey::artifact(
        artifact.organisation_id,
        &artifact.session_id,
        artifact.job_id,
        &artifact.path,
    )
    .map_err(ApiError::internal)
}

fn header_value(value: &str) -> ApiResult<HeaderValue> {
    HeaderValue::from_str(value).map_err(ApiError::internal)
}

pub(super) async fn find(
    state: &ApiState,
    scope: Scope,
    id: ArtifactId,
) -> ApiResult<(Artifact, String)> {
    let artifact = state.store.artifact(scope, id).await?.ok_or(ApiError::NotFound("artifact"))?;
    let name = download_names(state.store.as_ref(), scope, std::slice::from_ref(&artifact))
        .await?
        .remove(&artifact.id)
        .unwrap_or_else(|| artifact.path.rsplit('/').next().unwrap_or(&artifact.path).to_owned());
    Ok((artifact, name))
}

/// Reads an artifact's metadata.
#[utoipa::path(
    get, operation_id = "get_artifact", path = "/v1/artifacts/{id}", tag = "artifacts",
    params(("id" = uuid::Uuid, Path, description = "Artifact id")),
    responses((status = 200, body = ArtifactView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn get(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<ArtifactId>,
) -> ApiResult<axum::Json<ArtifactView>> {
    let (artifact, name) = find(&state, caller.scope(), id).await?;
    Ok(axum::Json(state.links.artifact(artifact, name)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PreviewQuery {
    /// `png` (the default): the first page or slide, 480 pixels wide, for
    /// every file. `svg`: the same as vector graphics, for PDF, docx and
    /// pptx files. `html`: the sheets as tables, for xlsx files. The
    /// artifact's `links.previews` lists the ones it has.
    #[serde(default = "png")]
    #[param(inline)]
    format: Format,
}

fn png() -> Format {
    Format::Png
}

/// A small rendering of the file, made once after its job: a PNG of its
/// first page or slide, an SVG of it for page-based documents, or a
/// workbook's sheets as HTML.
#[utoipa::path(
    get, operation_id = "preview_artifact", path = "/v1/artifacts/{id}/preview", tag = "artifacts",
    params(("id" = uuid::Uuid, Path, description = "Artifact id"), PreviewQuery),
    responses(
        (status = 200, description = "The preview", content(
            (Vec<u8> = "image/png"), (String = "image/svg+xml"), (String = "text/html")
        )),
        (status = 404, description = "No such file, or no preview of it in this format (`detail` names the ones it has)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No preview could be made of this file; `detail` says why", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Previews are off on this server", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub(crate) async fn preview(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<ArtifactId>,
    Query(PreviewQuery { format }): Query<PreviewQuery>,
) -> ApiResult<Response> {
    let (artifact, _) = find(&state, caller.scope(), id).await?;
    let previews = state.previews.as_ref().ok_or_else(|| {
        ApiError::Unavailable(
            "previews are off on this server: its previewer component is not installed".into(),
        )
    })?;
    let offered = Format::offered(&artifact.media_type);
    if !offered.contains(&format) {
        let offered: Vec<&str> = offered.iter().map(|format| format.name()).collect();
        return Err(ApiError::Absent(format!(
            "{} files have no {} preview; ask for format {}",
            artifact.media_type,
            format.name(),
            offered.join(" or ")
        )));
    }
    match previews.of(&artifact, format).await? {
        Preview::Made(bytes) => Ok((
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(format.media_type())),
                (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400")),
                // Made from untrusted specs: nothing in it may run, load or
                // be framed, even opened on its own.
                (
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(
                        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'",
                    ),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ],
            bytes,
        )
            .into_response()),
        Preview::Failed(reason) => {
            Err(ApiError::Conflict(format!("no preview could be made of this file: {reason}")))
        }
    }
}

/// Downloads an artifact. Supports a single `Range` and `If-None-Match`.
#[utoipa::path(
    get, operation_id = "download_artifact", path = "/v1/artifacts/{id}/content", tag = "artifacts",
    params(("id" = uuid::Uuid, Path, description = "Artifact id"),
           ("Range" = Option<String>, Header, description = "e.g. bytes=0-1023")),
    responses(
        (status = 200, description = "The file, with its media type and an RFC 6266 Content-Disposition", body = Vec<u8>, content_type = "*/*"),
        (status = 206, description = "Part of the file", body = Vec<u8>, content_type = "*/*"),
        (status = 304, description = "Unchanged (If-None-Match)"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 416, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub(crate) async fn content(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<ArtifactId>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (artifact, name) = find(&state, caller.scope(), id).await?;
    serve(&state, &artifact, &name, &headers).await
}

async fn serve(
    state: &ApiState,
    artifact: &Artifact,
    filename: &str,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let etag = format!("\"{}\"", artifact.sha256);
    let range =
        headers.get(header::RANGE).and_then(|value| value.to_str().ok()).and_then(parse_range);
    if range.is_none()
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"))
    {
        return Ok(
            (StatusCode::NOT_MODIFIED, [(header::ETAG, header_value(&etag)?)]).into_response()
        );
    }
    let blob = match state.blobs.get(&key(artifact)?, range).await {
        Ok(blob) => blob,
        Err(kiln_storage::Error::NotFound { .. }) => return Err(ApiError::NotFound("artifact")),
        Err(err) => return Err(err.into()),
    };
    let status = if range.is_some() { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
    let mut response = Response::new(Body::from_stream(blob.body));
    *response.status_mut() = status;
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, header_value(&artifact.media_type)?);
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.size));
    out.insert(header::CONTENT_DISPOSITION, header_value(&attachment(filename))?);
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(header::ETAG, header_value(&etag)?);
    if range.is_some() {
        let last = blob.offset + blob.size.saturating_sub(1);
        out.insert(
            header::CONTENT_RANGE,
            header_value(&format!("bytes {}-{last}/{}", blob.offset, blob.total_size))?,
        );
    }
    Ok(response)
}

/// One `bytes=` range; anything else (several ranges, other units, bad
/// syntax) is ignored and the whole file is sent, as RFC 9110 allows.
fn parse_range(value: &str) -> Option<ByteRange> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    match (start.trim(), end.trim()) {
        ("", len) => Some(ByteRange::Suffix { len: len.parse().ok()? }),
        (start, "") => Some(ByteRange::From { start: start.parse().ok()? }),
        (start, end) => {
            Some(ByteRange::Bounded { start: start.parse().ok()?, end: end.parse().ok()? })
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignRequest {
    /// Seconds the URL stays valid, a whole number from 1 to 604800 (7 days) [default: 3600].
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 604800)]
    expires_in: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SignedUrl {
    /// GET it without a key until it expires.
    url: String,
    expires_at: DateTime<Utc>,
}

/// Makes a pre-signed download URL: S3's own for S3 storage, a kiln URL
/// signed with HMAC-SHA256 for local disk. Both answer with the same
/// Content-Disposition as `/content`.
#[utoipa::path(
    post, operation_id = "sign_artifact_url", path = "/v1/artifacts/{id}/url", tag = "artifacts",
    params(("id" = uuid::Uuid, Path, description = "Artifact id")),
    request_body(content = Option<SignRequest>, description = "Optional; an empty body takes the defaults"),
    responses((status = 200, body = SignedUrl), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn sign(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<ArtifactId>,
    body: Bytes,
) -> ApiResult<axum::Json<SignedUrl>> {
    // No body, or JSON null, takes the defaults.
    let text = body.trim_ascii();
    let request: SignRequest =
        if text.is_empty() || text == b"null" { SignRequest::default() } else { parse(&body)? };
    // JSON has one number type: 3600.0 is as whole a number as 3600.
    let seconds = request.expires_in.unwrap_or(3600.0);
    if seconds.fract() != 0.0 || !(1.0..=MAX_PRESIGN.as_secs_f64()).contains(&seconds) {
        return Err(ApiError::invalid(
            "/expires_in",
            format!(
                "expected a whole number of seconds from 1 to {} (7 days); got {seconds}",
                MAX_PRESIGN.as_secs()
            ),
        ));
    }
    let seconds = seconds as u64;
    let (artifact, name) = find(&state, caller.scope(), id).await?;
    let expires_in = Duration::from_secs(seconds);
    let expires_at = Utc::now() + expires_in;
    let url =
        match state.blobs.presigned_get(&key(&artifact)?, expires_in, &attachment(&name)).await? {
            Some(url) => url,
            None => {
                let expires = expires_at.timestamp();
                let sig = state.signer.sign(artifact.id, artifact.organisation_id, expires);
                state.links.url(&format!("/files/{}?expires={expires}&sig={sig}", artifact.id))
            }
        };
    Ok(axum::Json(SignedUrl { url, expires_at }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SignedQuery {
    /// Unix seconds.
    expires: i64,
    sig: String,
}

/// Downloads an artifact through a URL from `POST /v1/artifacts/{id}/url`
/// (local storage); no API key needed.
#[utoipa::path(
    get, operation_id = "download_signed_artifact", path = "/files/{id}", tag = "artifacts",
    params(("id" = uuid::Uuid, Path, description = "Artifact id"), SignedQuery),
    responses(
        (status = 200, description = "The file", body = Vec<u8>, content_type = "*/*"),
        (status = 403, description = "Tampered or expired", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn signed_content(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<ArtifactId>,
    Query(query): Query<SignedQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    const REFUSED: ApiError =
        ApiError::Forbidden("this link is invalid or has expired; ask for a new one");
    if query.expires < Utc::now().timestamp() {
        return Err(REFUSED);
    }
    // Operator scope is safe here: the signature names the organisation.
    let artifact = state.store.artifact(Scope::Operator, id).await?.ok_or(REFUSED)?;
    if !state.signer.verify(artifact.id, artifact.organisation_id, query.expires, &query.sig) {
        return Err(REFUSED);
    }
    let scope = Scope::Organisation(artifact.organisation_id);
    let (artifact, name) = find(&state, scope, id).await?;
    serve(&state, &artifact, &name, &headers).await
}

/// Deletes an artifact: it disappears at once; its file follows.
#[utoipa::path(
    delete, operation_id = "delete_artifact", path = "/v1/artifacts/{id}", tag = "artifacts",
    params(("id" = uuid::Uuid, Path, description = "Artifact id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn delete(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<ArtifactId>,
) -> ApiResult<StatusCode> {
    let artifact = state
        .store
        .delete_artifact(caller.scope(), id)
        .await?
        .ok_or(ApiError::NotFound("artifact"))?;
    // A file left behind by a failure here goes with its job at retention.
    for key in std::iter::once(key(&artifact)?).chain(crate::preview::keys(&artifact)?) {
        if let Err(err) = state.blobs.delete(&key).await {
            tracing::warn!(error = %kiln_core::ErrorChain(&err), artifact = %artifact.id, "deleting an artifact's file failed; retention will remove it");
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_byte_ranges_are_understood_and_others_ignored() {
        assert_eq!(parse_range("bytes=0-99"), Some(ByteRange::Bounded { start: 0, end: 99 }));
        assert_eq!(parse_range("bytes=100-"), Some(ByteRange::From { start: 100 }));
        assert_eq!(parse_range("bytes=-5"), Some(ByteRange::Suffix { len: 5 }));
        assert_eq!(parse_range("bytes=0-1,5-6"), None);
        assert_eq!(parse_range("items=0-1"), None);
        assert_eq!(parse_range("bytes=a-b"), None);
    }
}
