//! The `kiln` binary, driven as a user or an operator would.

mod crash;
