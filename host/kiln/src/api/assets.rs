//! `POST /v1/assets`: input files for jobs (images, data), uploaded as a
//! raw body or as multipart form data, streamed into the blob store under
//! the caller's organisation, and deleted when they expire.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use kiln_core::{Asset, AssetId};
use kiln_storage::{BlobKey, ByteStream};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiState;
use super::extract::{Caller, Path, Query, refuse_declared_over};
use super::problem::{ApiError, ApiResult, Problem};

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AssetView {
    /// Refer to it from a job as `{"name": ..., "asset_id": ...}`.
    id: Uuid,
    filename: Option<String>,
    media_type: String,
    size: u64,
    sha256: String,
    created_at: DateTime<Utc>,
    /// It is deleted then; jobs queued later cannot use it.
    expires_at: DateTime<Utc>,
}

impl From<Asset> for AssetView {
    fn from(asset: Asset) -> Self {
        Self {
            id: asset.id.into(),
            filename: asset.filename,
            media_type: asset.media_type,
            size: asset.size,
            sha256: asset.sha256,
            created_at: asset.created_at,
            expires_at: asset.expires_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UploadQuery {
    /// The file's name, for a raw upload: at most 255 characters, no control characters.
    #[param(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    filename: Option<String>,
}

/// Uploads an asset: the raw body with its own Content-Type, or
/// `multipart/form-data` with one file part (the first part with a file name,
/// or the part named `file`).
#[utoipa::path(
    post, operation_id = "upload_asset", path = "/v1/assets", tag = "assets", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file (any media type, at least one byte), or multipart/form-data"),
    responses(
        (status = 201, body = AssetView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The upload is empty", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub(crate) async fn upload(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> ApiResult<(StatusCode, axum::Json<AssetView>)> {
    let limit = state.settings.max_asset_bytes;
    refuse_declared_over(request.headers(), limit)?;
    let content_type = content_type(request.headers());
    let asset = if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
        let mut field = loop {
            let field = multipart
                .next_field()
                .await
                .map_err(|err| {
                    ApiError::bad_request(format!("bad multipart body: {}", err.body_text()))
                })?
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "the multipart body has no file part (send one named `file`)",
                    )
                })?;
            if field.file_name().is_some() || field.name() == Some("file") {
                break field;
            }
        };
        let filename = field.file_name().map(str::to_owned);
        let media_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
        // The part borrows the request, so it is pumped through a channel
        // into the store's (owned) stream.
        let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
        let body: ByteStream =
            Box::pin(futures_util::stream::unfold(receiver, |mut rx| async move {
                rx.recv().await.map(|item| (item, rx))
            }));
        let pump = async move {
            while let Some(chunk) = field.chunk().await.map_err(std::io::Error::other).transpose() {
                if sender.send(chunk).await.is_err() {
                    break;
                }
            }
        };
        let ((), asset) =
            tokio::join!(pump, store(&state, &caller, filename, media_type, body, limit));
        asset?
    } else {
        let media_type = if content_type.is_empty() {
            "application/octet-stream".to_owned()
        } else {
            content_type
        };
        let body: ByteStream =
            Box::pin(request.into_body().into_data_stream().map_err(std::io::Error::other));
        store(&state, &caller, query.filename, media_type, body, limit).await?
    };
    Ok((StatusCode::CREATED, axum::Json(asset.into())))
}

/// Streams `body` into the blob store as a new asset of the caller's,
/// refusing it past `limit`, and records it; nothing is left behind on
/// failure. Uploads and a job's inline assets both come here.
pub(crate) async fn store(
    state: &ApiState,
    caller: &Caller,
    filename: Option<String>,
    media_type: String,
    body: ByteStream,
    limit: u64,
) -> ApiResult<Asset> {
    check_filename(filename.as_deref())?;
    let id = AssetId::now_v7();
    let key = BlobKey::asset(caller.organisation(), id);
    let stored = match state.blobs.put_stream(&key, body, &media_type, limit).await {
        Ok(stored) => stored,
        Err(kiln_storage::Error::Upload { .. }) => {
            return Err(ApiError::bad_request("the upload was interrupted; send it again"));
        }
        Err(err) => return Err(err.into()),
    };
    if stored.size == 0 {
        let _ = state.blobs.delete(&key).await;
        return Err(ApiError::invalid(
            "",
            "the upload is empty: send the file's bytes as the body, or as a multipart part named `file`",
        ));
    }
    let now = Utc::now();
    let asset = Asset {
        id,
        organisation_id: caller.organisation(),
        filename,
        media_type,
        size: stored.size,
        sha256: stored.sha256,
        storage_key: key.as_str().to_owned(),
        created_at: now,
        expires_at: now + state.settings.asset_ttl,
    };
    if let Err(err) = state.store.add_asset(&asset).await {
        let _ = state.blobs.delete(&key).await;
        return Err(err.into());
    }
    Ok(asset)
}

fn check_filename(name: Option<&str>) -> ApiResult<()> {
    match name {
        Some(name) if name.chars().count() > 255 || name.chars().any(char::is_control) => {
            Err(ApiError::bad_request(
                "the file name must be at most 255 characters without control characters",
            ))
        }
        _ => Ok(()),
    }
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// Reads an asset's metadata.
#[utoipa::path(
    get, operation_id = "get_asset", path = "/v1/assets/{id}", tag = "assets",
    params(("id" = Uuid, Path, description = "Asset id")),
    responses((status = 200, body = AssetView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn get(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<AssetId>,
) -> ApiResult<axum::Json<AssetView>> {
    let asset = state
        .store
        .assets(caller.scope(), &[id])
        .await?
        .pop()
        .ok_or(ApiError::NotFound("asset"))?;
    Ok(axum::Json(asset.into()))
}
