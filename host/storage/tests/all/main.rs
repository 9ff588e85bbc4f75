//! Integration tests of kiln-storage: the conformance suite against each
//! backend, plus what is specific to keys, local disk, S3 and ZIP bundles.
//!
//! The S3 tests (feature `s3`) run against s3s-fs, an S3-compatible server
//! they start on loopback; `scripts/install-s3s-fs` installs it.

mod conformance;
mod key;
mod local;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "s3")]
mod support;
mod zip;
