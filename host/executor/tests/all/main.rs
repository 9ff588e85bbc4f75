//! The worker pool on a real database (SQLite and PostgreSQL) with the
//! testing plugin: outcomes, files, cancel and shutdown.

#[cfg(feature = "testsuite")]
mod kubernetes;
mod pool;
