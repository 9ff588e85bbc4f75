use std::io;

/// What went wrong with a storage call.
///
/// [`Error::NotFound`], [`Error::InvalidKey`], [`Error::RangeNotSatisfiable`],
/// [`Error::TooLarge`] and [`Error::Upload`] are about the request: retrying
/// it unchanged gives the same answer. The others are the store failing (disk,
/// network, credentials, configuration) and say what an operator should look
/// at; a caller may retry them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no blob at {key}")]
    NotFound { key: String },

    /// A key part broke one of the rules in [`crate::BlobKey`]; `rule` names it.
    #[error("invalid {part} {value}: {rule}")]
    InvalidKey { part: &'static str, value: String, rule: &'static str },

    /// The range asked for starts past the end of the blob (or the blob is
    /// empty); `size` is what an HTTP 416 reports in `Content-Range: bytes */size`.
    #[error("the requested range lies outside the blob's {size} bytes")]
    RangeNotSatisfiable { size: u64 },

    /// A streamed upload went past the caller's limit. Nothing was stored and
    /// a blob previously under the key is untouched.
    #[error("the upload is larger than its limit of {limit} bytes; nothing was stored")]
    TooLarge { limit: u64 },

    /// The stream given to `put_stream` failed. Nothing was stored.
    #[error("reading the upload failed; nothing was stored")]
    Upload(#[source] io::Error),

    /// A ZIP entry's blob did not hold the size the entry declared (it was
    /// replaced or deleted while the bundle was being written).
    #[error("blob {key} holds {actual} bytes, not the {expected} its bundle entry declared")]
    SizeMismatch { key: String, expected: u64, actual: u64 },

    #[error("a pre-signed URL can last at most 7 days, not {secs} s")]
    Expiry { secs: u64 },

    /// Local disk I/O; `context` says which operation on which path.
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },

    #[error(
        "S3 bucket `{bucket}` does not exist; create it, or fix the bucket name or the endpoint URL"
    )]
    NoSuchBucket { bucket: String },

    #[error(
        "S3 refused access to bucket `{bucket}` ({detail}); check the access key id and secret key, \
         the region, and that the bucket policy lets them read, write, list and delete"
    )]
    Denied { bucket: String, detail: String },

    /// The S3 endpoint could not be reached or did not answer in time.
    #[error(
        "cannot reach S3 for bucket `{bucket}` ({detail}); check the endpoint URL and the network"
    )]
    Unreachable { bucket: String, detail: String },

    #[error("S3 {operation} failed on bucket `{bucket}`: {detail}")]
    S3 { operation: &'static str, bucket: String, detail: String },

    #[error("invalid storage configuration: {0}")]
    Config(String),
}

/// The result of a storage call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }
}
