//! Integration tests of kiln-runtime against real plugin components.
//!
//! The components are built by `scripts/build-plugins` (the test command runs
//! it first) into `target/wasm32-wasip2/release/`.

mod contract;
mod docx;
mod hostile;
mod support;
mod xlsx;
