//! The kiln `docx` generator.
pub use kiln_plugin_sdk::document;
