//! `/mcp` driven by the reference MCP client (the Python `mcp` package):
//! the tool list, calls that follow progress, files read back as resources
//! and opened by their formats' readers, another organisation seeing
//! nothing, and tool list changes, on protocol 2026-07-28 and before.

use std::path::PathBuf;

use super::{Server, Stack, on_both_stacks, run_python};

on_both_stacks!(the_reference_client_generates_files_and_reads_them_back);

async fn the_reference_client_generates_files_and_reads_them_back(stack: Stack) {
    let server = Server::start_builtin(stack).await;
    let (key, other, admin) =
        (server.key("acme"), server.key("globex"), server.admin_key("initech"));
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-output/mcp")
        .join(format!("{stack:?}").to_lowercase());
    std::fs::create_dir_all(&out).unwrap();
    let (succeeded, report) =
        run_python("mcp_client.py", &[&server.base, &key, &other, &admin, &out], "mcp");
    assert!(succeeded, "{report}\nserver log:\n{}", server.log());
    assert!(report.contains("openpyxl reads"), "{report}");
    println!("{report}");
}
