//! Blobs in an S3 bucket (AWS or any S3-compatible server).
//!
//! Guarantees beyond [`BlobStore`]'s:
//!
//! - Writes of up to [`S3_PART_SIZE`] are one `PutObject`; longer ones are a
//!   multipart upload of 8 MiB parts, sent one at a time, so an upload holds
//!   at most about one part in memory and objects can reach 10,000 parts
//!   (about 78 GiB). A failed or cancelled multipart upload is aborted; S3
//!   never shows an object until `CompleteMultipartUpload`, so readers see the
//!   old object or the new one. (A process killed mid-upload leaves its parts
//!   billed until a bucket lifecycle rule aborts incomplete uploads: set one.)
//! - The media type is stored as the object's `Content-Type` and returned by
//!   `head` and `get`.
//! - `presigned_get` returns S3's own SigV4 pre-signed URL with
//!   `response-content-disposition`; it is valid for at most 7 days, and, when
//!   the credentials are temporary, no longer than they are.
//! - `delete_prefix` lists with `ListObjectsV2` and deletes with
//!   `DeleteObjects`, 1,000 keys a call.
//!
//! Checksums: the SDK's newer default of adding CRC checksums to every upload
//! and validating them on every download is turned down to "when required",
//! because many S3-compatible servers reject or mangle those headers. Each
//! blob's sha256 is computed by kiln as it streams ([`Stored::sha256`]).
//!
//! The client is built without `aws-config`: credentials come from
//! [`S3Config`] or the `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
//! `AWS_SESSION_TOKEN` environment variables, not from profiles, SSO or
//! instance roles. TLS is rustls with ring, trusting the platform's root
//! certificates (a container image needs `ca-certificates`).

use std::fmt;
use std::io;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream as SdkByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, stream};
use tokio_util::io::ReaderStream;

use crate::store::Digester;
use crate::{
    Blob, BlobKey, BlobMeta, BlobStore, ByteRange, ByteStream, Error, KeyPrefix, MAX_PRESIGN,
    Result, Stored,
};

/// Size of a multipart upload part, and the largest object written with a
/// single `PutObject`.
///
/// Each upload in flight buffers up to one part (plus one incoming chunk) in
/// memory, so memory grows with concurrent uploads, not with object size.
/// S3 allows 10,000 parts, so an object can reach about 78 GiB; past that
/// `UploadPart` fails with an [`Error::S3`]. S3 refuses parts under 5 MiB.
pub const S3_PART_SIZE: usize = 8 * 1024 * 1024;
/// `DeleteObjects` takes at most this many keys.
const DELETE_BATCH: i32 = 1000;
const FILE_CHUNK: usize = 64 * 1024;

/// Where and how to reach the bucket.
#[derive(Clone, Default)]
pub struct S3Config {
    pub bucket: String,
    /// e.g. `eu-central-1`; S3-compatible servers usually accept `us-east-1`.
    pub region: String,
    /// For S3-compatible servers (MinIO, Ceph, ...): `http://minio:9000`.
    /// `None` means AWS.
    pub endpoint_url: Option<String>,
    /// `https://host/bucket/key` instead of `https://bucket.host/key`; most
    /// S3-compatible servers need it.
    pub force_path_style: bool,
    /// Static credentials. When both are `None`, the standard
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`)
    /// environment variables are used.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Puts every key under `{prefix}/`, so kiln can share a bucket.
    pub prefix: Option<String>,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("force_path_style", &self.force_path_style)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "<redacted>"))
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// A [`BlobStore`] in an S3 bucket. See the [module docs](self).
#[derive(Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    /// Empty, or the configured prefix followed by `/`.
    prefix: String,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl S3Store {
    /// Builds the client. Makes no request: call [`BlobStore::check`] to find
    /// out whether the bucket is reachable.
    pub fn new(config: S3Config) -> Result<Self> {
        if config.bucket.is_empty() {
            return Err(Error::Config("the S3 bucket name is empty".into()));
        }
        if config.region.is_empty() {
            return Err(Error::Config(
                "the S3 region is empty (S3-compatible servers usually take us-east-1)".into(),
            ));
        }
        let credentials = credentials(&config)?;
        let prefix = match config.prefix.as_deref().map(|p| p.trim_matches('/')) {
            None | Some("") => String::new(),
            Some(p) if p.split('/').any(|s| s.is_empty() || s == "." || s == "..") => {
                return Err(Error::Config(format!(
                    "the S3 key prefix {p:?} has an empty, '.' or '..' segment"
                )));
            }
            Some(p) => format!("{p}/"),
        };
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http)
            .region(Region::new(config.region))
            .credentials_provider(credentials)
            .force_path_style(config.force_path_style)
            .timeout_config(
                TimeoutConfig::builder().connect_timeout(Duration::from_secs(5)).build(),
            )
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(url) = config.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        Ok(Self { client: Client::from_conf(builder.build()), bucket: config.bucket, prefix })
    }

    fn object_key(&self, key: &str) -> Result<String> {
        let full = format!("{}{key}", self.prefix);
        if full.len() > crate::MAX_KEY_LEN {
            return Err(Error::InvalidKey {
                part: "key",
                value: format!("{key:?}"),
                rule: "longer than 1024 bytes once the configured S3 prefix is added",
            });
        }
        Ok(full)
    }

    /// Maps an SDK error to what an operator can act on.
    fn error<E>(&self, operation: &'static str, err: SdkError<E>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let bucket = self.bucket.clone();
        if matches!(err, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) {
            return Error::Unreachable { bucket, detail: DisplayErrorContext(&err).to_string() };
        }
        let status = err.raw_response().map(|r| r.status().as_u16());
        match (err.code(), status) {
            (Some("NoSuchBucket"), _) => Error::NoSuchBucket { bucket },
            (
                Some(
                    "AccessDenied"
                    | "InvalidAccessKeyId"
                    | "SignatureDoesNotMatch"
                    | "ExpiredToken",
                ),
                _,
            )
            | (_, Some(401 | 403)) => {
                let detail = match (err.code(), err.message()) {
                    (Some(code), Some(message)) => format!("{code}: {message}"),
                    (Some(code), None) => code.to_owned(),
                    _ => format!("HTTP {}", status.unwrap_or_default()),
                };
                Error::Denied { bucket, detail }
            }
            _ => Error::S3 { operation, bucket, detail: DisplayErrorContext(&err).to_string() },
        }
    }

    /// Uploads `body`: one `PutObject` if it fits in a part, else a multipart
    /// upload. A read error from `body` comes back as [`Error::Upload`].
    async fn upload(
        &self,
        key: &BlobKey,
        mut body: ByteStream,
        media_type: &str,
        limit: u64,
    ) -> Result<Stored> {
        let object = self.object_key(key.as_str())?;
        let mut digest = Digester::default();
        let mut buf = BytesMut::with_capacity(S3_PART_SIZE);
        let mut ended = fill(&mut body, &mut buf, &mut digest, limit).await?;
        if ended {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&object)
                .content_type(media_type)
                .body(SdkByteStream::from(buf.freeze()))
                .send()
                .await
                .map_err(|e| self.error("PutObject", e))?;
            return Ok(digest.finish());
        }

        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&object)
            .content_type(media_type)
            .send()
            .await
            .map_err(|e| self.error("CreateMultipartUpload", e))?;
        let upload_id = created.upload_id().unwrap_or_default().to_owned();
        let mut guard = AbortOnDrop {
            store: self.clone(),
            object: object.clone(),
            upload_id: Some(upload_id.clone()),
        };
        let mut parts = Vec::new();
        loop {
            let part_number = parts.len() as i32 + 1;
            let data = buf.split().freeze();
            let uploaded = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(&object)
                .upload_id(&upload_id)
                .part_number(part_number)
                .body(SdkByteStream::from(data))
                .send()
                .await
                .map_err(|e| self.error("UploadPart", e))?;
            parts.push(
                CompletedPart::builder().part_number(part_number).set_e_tag(uploaded.e_tag).build(),
            );
            if ended {
                break;
            }
            ended = fill(&mut body, &mut buf, &mut digest, limit).await?;
            if ended && buf.is_empty() {
                break;
            }
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&object)
            .upload_id(&upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(|e| self.error("CompleteMultipartUpload", e))?;
        guard.upload_id = None;
        Ok(digest.finish())
    }

    /// The blob's size, for a 416 answer (the ranged GET that failed does not
    /// carry it).
    async fn unsatisfiable(&self, key: &BlobKey) -> Error {
        match self.head(key).await {
            Ok(Some(meta)) => Error::RangeNotSatisfiable { size: meta.size },
            Ok(None) => Error::NotFound { key: key.to_string() },
            Err(e) => e,
        }
    }
}

/// Reads from `body` into `buf` until it holds a part or the body ends;
/// returns whether it ended.
async fn fill(
    body: &mut ByteStream,
    buf: &mut BytesMut,
    digest: &mut Digester,
    limit: u64,
) -> Result<bool> {
    while buf.len() < S3_PART_SIZE {
        let Some(chunk) = body.next().await else { return Ok(true) };
        let chunk = chunk.map_err(Error::Upload)?;
        if digest.size() + chunk.len() as u64 > limit {
            return Err(Error::TooLarge { limit });
        }
        digest.update(&chunk);
        buf.extend_from_slice(&chunk);
    }
    Ok(false)
}

/// Aborts a multipart upload that did not complete, so its parts do not
/// linger. Runs the abort as a detached task: it also fires when the upload's
/// future is dropped.
struct AbortOnDrop {
    store: S3Store,
    object: String,
    upload_id: Option<String>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(upload_id) = self.upload_id.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let store = self.store.clone();
        let object = std::mem::take(&mut self.object);
        runtime.spawn(async move {
            let aborted = store
                .client
                .abort_multipart_upload()
                .bucket(&store.bucket)
                .key(&object)
                .upload_id(&upload_id)
                .send()
                .await;
            if let Err(e) = aborted {
                let error = store.error("AbortMultipartUpload", e);
                tracing::warn!(%error, key = object, "could not abort a failed multipart upload; a bucket lifecycle rule will have to");
            }
        });
    }
}

fn credentials(config: &S3Config) -> Result<Credentials> {
    let env = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    let (id, secret, token) = match (&config.access_key_id, &config.secret_access_key) {
        (Some(id), Some(secret)) => (id.clone(), secret.clone(), None),
        (None, None) => match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => (id, secret, env("AWS_SESSION_TOKEN")),
            _ => {
                return Err(Error::Config(
                    "no S3 credentials: set the access key id and secret access key, \
                     or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                        .into(),
                ));
            }
        },
        _ => {
            return Err(Error::Config(
                "the S3 access key id and secret access key must be set together".into(),
            ));
        }
    };
    Ok(Credentials::new(id, secret, token, None, "kiln"))
}

/// `bytes a-b/total` → `(a, total)`.
fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let (span, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let (start, _) = span.split_once('-')?;
    Some((start.parse().ok()?, total.parse().ok()?))
}

#[async_trait]
impl BlobStore for S3Store {
    async fn put_file(&self, key: &BlobKey, path: &Path, media_type: &str) -> Result<Stored> {
        let read_context = || format!("could not read {} to store it as {key}", path.display());
        let file = tokio::fs::File::open(path).await.map_err(|e| Error::io(read_context(), e))?;
        let body = ReaderStream::with_capacity(file, FILE_CHUNK).boxed();
        self.upload(key, body, media_type, u64::MAX).await.map_err(|e| match e {
            Error::Upload(e) => Error::io(read_context(), e),
            other => other,
        })
    }

    async fn put_stream(
        &self,
        key: &BlobKey,
        body: ByteStream,
        media_type: &str,
        limit: u64,
    ) -> Result<Stored> {
        self.upload(key, body, media_type, limit).await
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<Blob> {
        let object = self.object_key(key.as_str())?;
        // S3 ignores a malformed range and sends the whole object; refuse it
        // here instead, as local disk does.
        if let Some(ByteRange::Bounded { start, end }) = range
            && start > end
        {
            return Err(self.unsatisfiable(key).await);
        }
        if let Some(ByteRange::Suffix { len: 0 }) = range {
            return Err(self.unsatisfiable(key).await);
        }
        let response = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&object)
            .set_range(range.map(ByteRange::to_header))
            .send()
            .await;
        let output = match response {
            Ok(output) => output,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                return Err(Error::NotFound { key: key.to_string() });
            }
            Err(e)
                if e.code() == Some("InvalidRange")
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 416) =>
            {
                return Err(self.unsatisfiable(key).await);
            }
            Err(e) => return Err(self.error("GetObject", e)),
        };
        let size = output.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or_default();
        let (offset, total_size) = match output.content_range().and_then(parse_content_range) {
            Some(found) => found,
            None => (0, size),
        };
        let media_type = output.content_type().map(str::to_owned);
        let body = stream::try_unfold(output.body, |mut body| async move {
            Ok(body.try_next().await.map_err(io::Error::other)?.map(|chunk: Bytes| (chunk, body)))
        })
        .boxed();
        Ok(Blob { offset, size, total_size, media_type, body })
    }

    async fn head(&self, key: &BlobKey) -> Result<Option<BlobMeta>> {
        let object = self.object_key(key.as_str())?;
        match self.client.head_object().bucket(&self.bucket).key(&object).send().await {
            Ok(output) => Ok(Some(BlobMeta {
                size: output
                    .content_length()
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or_default(),
                media_type: output.content_type().map(str::to_owned),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(self.error("HeadObject", e)),
        }
    }

    async fn delete(&self, key: &BlobKey) -> Result<()> {
        let object = self.object_key(key.as_str())?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(&object)
            .send()
            .await
            .map_err(|e| self.error("DeleteObject", e))?;
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &KeyPrefix) -> Result<u64> {
        let prefix = self.object_key(prefix.as_str())?;
        let mut deleted = 0u64;
        // Always list from the start: what was deleted is gone from the
        // listing, so no continuation token is needed.
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&prefix)
                .max_keys(DELETE_BATCH)
                .send()
                .await
                .map_err(|e| self.error("ListObjectsV2", e))?;
            let keys: Vec<ObjectIdentifier> = page
                .contents()
                .iter()
                .filter_map(|o| o.key())
                .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
                .collect();
            if keys.is_empty() {
                return Ok(deleted);
            }
            let count = keys.len() as u64;
            let batch =
                Delete::builder().set_objects(Some(keys)).quiet(true).build().map_err(|e| {
                    Error::S3 {
                        operation: "DeleteObjects",
                        bucket: self.bucket.clone(),
                        detail: e.to_string(),
                    }
                })?;
            let output = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(batch)
                .send()
                .await
                .map_err(|e| self.error("DeleteObjects", e))?;
            if let Some(failed) = output.errors().first() {
                return Err(Error::S3 {
                    operation: "DeleteObjects",
                    bucket: self.bucket.clone(),
                    detail: format!(
                        "{} of {count} keys not deleted; first: {} ({}: {})",
                        output.errors().len(),
                        failed.key().unwrap_or_default(),
                        failed.code().unwrap_or_default(),
                        failed.message().unwrap_or_default()
                    ),
                });
            }
            deleted += count;
        }
    }

    async fn presigned_get(
        &self,
        key: &BlobKey,
        expires_in: Duration,
        content_disposition: &str,
    ) -> Result<Option<String>> {
        if expires_in > MAX_PRESIGN {
            return Err(Error::Expiry { secs: expires_in.as_secs() });
        }
        let object = self.object_key(key.as_str())?;
        let config =
            PresigningConfig::expires_in(expires_in).map_err(|e| Error::Config(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&object)
            .response_content_disposition(content_disposition)
            .presigned(config)
            .await
            .map_err(|e| self.error("presigning GetObject", e))?;
        Ok(Some(request.uri().to_owned()))
    }

    async fn check(&self) -> Result<()> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(()),
            // HeadBucket answers without a body, so only the status tells.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                Err(Error::NoSuchBucket { bucket: self.bucket.clone() })
            }
            Err(e) => Err(self.error("HeadBucket", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_content_range;

    #[test]
    fn content_ranges_give_offset_and_total() {
        assert_eq!(parse_content_range("bytes 5-9/100"), Some((5, 100)));
        assert_eq!(parse_content_range("bytes */100"), None);
    }
}
