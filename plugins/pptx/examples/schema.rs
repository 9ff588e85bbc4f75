//! Prints the spec's JSON Schema: `cargo run -p kiln-plugin-pptx --example schema`.

fn main() {
    let schema = kiln_plugin_sdk::testing::schema::<kiln_plugin_pptx::Pptx>();
    println!("{}", serde_json::to_string_pretty(&schema).unwrap_or_default());
}
