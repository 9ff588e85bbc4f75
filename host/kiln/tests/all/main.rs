//! The `kiln` binary, driven as a user or an operator would.

mod api;
mod cards;
mod crash;
#[cfg(feature = "kubernetes")]
mod kubernetes;
mod plugin_check;
mod plugin_new;
mod router;
mod run_job;

pub(crate) use kiln_runtime::testing::component;
