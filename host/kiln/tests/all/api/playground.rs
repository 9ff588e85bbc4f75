//! `/ui`, the playground, walked through in a real browser: Playwright
//! driving Chromium headless, from connecting with a key to downloading the
//! file and the session's bundle. Screenshots go to
//! `target/test-output/playground/`. One stack: the page only uses the
//! public API, which the other tests cover on both.

use std::path::PathBuf;

use super::{Server, Stack, run_python};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_generates_a_file_in_the_playground() {
    let server = Server::start_builtin(Stack::Embedded).await;
    let key = server.key("acme");
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/playground");
    let (succeeded, report) =
        run_python("playground.py", &[&server.base, &key, &out], "playwright");
    assert!(succeeded, "{report}\nserver log:\n{}", server.log());
    println!("{report}");
}
