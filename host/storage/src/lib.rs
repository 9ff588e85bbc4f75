//! Where kiln keeps the files plugins produce and the assets clients upload.
//!
//! One interface, [`BlobStore`], used as `Arc<dyn BlobStore>`, with two
//! backends:
//!
//! - [`LocalStore`]: a directory on local disk, reached only through cap-std
//!   so nothing can escape it (see [`local`]);
//! - `S3Store` (feature `s3`): any S3-compatible bucket (see `s3`).
//!
//! Both pass the same conformance suite (`tests/all/conformance.rs`). The
//! guarantees they share are listed on [`BlobStore`]; each module lists its
//! own.
//!
//! Keys are [`BlobKey`]s, tenant first (`orgs/{org}/...`) and validated when
//! built. [`write_zip`] streams a ZIP bundle of blobs to any `AsyncWrite`,
//! and [`attachment`] builds the `Content-Disposition` of a download.

mod disposition;
mod error;
mod key;
pub mod local;
mod range;
#[cfg(feature = "s3")]
pub mod s3;
mod store;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod zip;

pub use disposition::attachment;
pub use error::{Error, Result};
pub use key::{BlobKey, KeyPrefix, MAX_KEY_LEN, MAX_SEGMENT_LEN, MAX_SESSION_LEN};
pub use local::LocalStore;
pub use range::ByteRange;
#[cfg(feature = "s3")]
pub use s3::{S3_PART_SIZE, S3Config, S3Store};
pub use store::{Blob, BlobMeta, BlobStore, ByteStream, MAX_PRESIGN, Stored};
pub use zip::{ZipEntry, write_zip, zip_len};
