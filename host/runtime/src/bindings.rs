//! Host-side bindings for `wit/generator.wit`.
//!
//! Host functions are synchronous and `trappable` (a quota breach ends the
//! run); exports are called asynchronously so that a wall-clock timeout or a
//! cancel can drop a guest blocked in a WASI host call.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "generator",
    imports: { default: trappable },
    exports: { default: async },
    with: { "kiln:generator/host.output-file": crate::output::OutputFileHandle },
});
