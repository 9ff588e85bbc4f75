//! Downloads: ranges, bundles, pre-signed URLs and deletion.

use std::time::Duration;

use kiln_storage::testsuite::http;
use serde_json::json;

use super::{Server, Stack, on_both_stacks, python, testing_job, xlsx_job};

on_both_stacks!(
    downloads_honour_ranges_and_name_files_in_utf8,
    a_session_bundles_into_a_zip_a_reader_opens,
    signed_urls_download_without_a_key_and_refuse_tampering_and_expiry,
    a_deleted_artifact_is_gone,
);

async fn downloads_honour_ranges_and_name_files_in_utf8(stack: Stack) {
    let server = Server::start(stack).await;
    let api = server.client(&server.key("acme"));
    let mut request = testing_job("ranges", json!({"behaviour": "ok", "text": "0123456789"}));
    request["display_name"] = json!("Résumé «final»");
    let job = api.run(&request).await;
    let artifact = &job["artifacts"][0];
    assert_eq!(artifact["filename"], "Résumé «final».txt");
    let url = artifact["links"]["content"].as_str().unwrap();
    let whole = api.get(url).await;
    assert_eq!(
        whole.header("content-disposition"),
        "attachment; filename=\"R_sum_ _final_.txt\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%C2%ABfinal%C2%BB.txt"
    );
    assert_eq!(whole.header("accept-ranges"), "bytes");
    let size = whole.body.len();
    let part = api.send(api.request(reqwest::Method::GET, url).header("range", "bytes=2-5")).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.body, whole.body[2..6]);
    assert_eq!(part.header("content-range"), format!("bytes 2-5/{size}"));
    let tail = api.send(api.request(reqwest::Method::GET, url).header("range", "bytes=-3")).await;
    assert_eq!(tail.body, whole.body[size - 3..]);
    let beyond = api
        .send(api.request(reqwest::Method::GET, url).header("range", format!("bytes={size}-")))
        .await;
    beyond.problem(416);
    let etag = whole.header("etag").to_owned();
    let unchanged =
        api.send(api.request(reqwest::Method::GET, url).header("if-none-match", etag)).await;
    assert_eq!(unchanged.status, 304);
}

async fn a_session_bundles_into_a_zip_a_reader_opens(stack: Stack) {
    let server = Server::start(stack).await;
    let api = server.client(&server.key("acme"));
    api.run(&xlsx_job("bundle")).await;
    api.run(&xlsx_job("bundle")).await;
    api.run(&testing_job("bundle", json!({"behaviour": "ok", "files": 2}))).await;
    api.run(&xlsx_job("elsewhere")).await;
    let listing = api.get("/v1/sessions/bundle/artifacts").await.json();
    assert_eq!(listing["count"], 4);
    let sizes: u64 =
        listing["artifacts"].as_array().unwrap().iter().map(|a| a["size"].as_u64().unwrap()).sum();
    assert_eq!(listing["total_size"], sizes);

    let bundle = api.get(listing["bundle"].as_str().unwrap()).await;
    assert_eq!(bundle.status, 200);
    assert_eq!(bundle.header("content-type"), "application/zip");
    assert_eq!(bundle.header("content-length"), bundle.body.len().to_string());
    let file = server.dir().join("bundle.zip");
    std::fs::write(&file, &bundle.body).unwrap();
    let output = std::process::Command::new(python())
        .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(sorted(n.split('/')[0] + '/' + n.split('/')[-1] for n in z.namelist()))"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let names = String::from_utf8_lossy(&output.stdout);
    assert!(
        names.contains("testing/hello-1.txt") && names.contains("testing/hello-2.txt"),
        "{names}"
    );
    assert_eq!(names.matches("xlsx/").count(), 2, "{names}");

    api.get("/v1/sessions/empty/bundle").await.problem(404);
}

async fn signed_urls_download_without_a_key_and_refuse_tampering_and_expiry(stack: Stack) {
    let server = Server::start(stack).await;
    let api = server.client(&server.key("acme"));
    let job =
        api.run(&testing_job("signed", json!({"behaviour": "ok", "text": "secret plans"}))).await;
    let artifact = &job["artifacts"][0];
    let sign = artifact["links"]["url"].as_str().unwrap();
    let content = api.get(artifact["links"]["content"].as_str().unwrap()).await.body;

    let signed = api.post(sign, &json!({})).await;
    assert_eq!(signed.status, 200, "{}", String::from_utf8_lossy(&signed.body));
    let url = signed.json()["url"].as_str().unwrap().to_owned();
    let anonymous = http();
    let download = anonymous.get(&url).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"hello.txt\"")
    );
    assert_eq!(download.bytes().await.unwrap(), content);

    // Change one character of the signature, then the expiry.
    let tampered = match url.rfind(|c: char| c.is_ascii_hexdigit()) {
        Some(at) => format!(
            "{}{}{}",
            &url[..at],
            if &url[at..=at] == "0" { "1" } else { "0" },
            &url[at + 1..]
        ),
        None => panic!("no signature in {url}"),
    };
    assert_eq!(anonymous.get(&tampered).send().await.unwrap().status(), 403);
    if url.contains("/files/") {
        let expires: i64 =
            url.split("expires=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
        let later =
            url.replace(&format!("expires={expires}"), &format!("expires={}", expires + 3600));
        assert_eq!(anonymous.get(&later).send().await.unwrap().status(), 403);
    }

    let short =
        api.post(sign, &json!({"expires_in": 1})).await.json()["url"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(anonymous.get(&short).send().await.unwrap().status(), 403);

    assert_eq!(api.post(sign, &json!({"expires_in": 604_801})).await.pointers(), ["/expires_in"]);
    assert_eq!(api.post(sign, &json!({"expires_in": 0})).await.pointers(), ["/expires_in"]);
}

async fn a_deleted_artifact_is_gone(stack: Stack) {
    let server = Server::start(stack).await;
    let api = server.client(&server.key("acme"));
    let job = api.run(&testing_job("del", json!({"behaviour": "ok"}))).await;
    let this = job["artifacts"][0]["links"]["self"].as_str().unwrap().to_owned();
    let signed = api.post(&format!("{this}/url"), &json!({})).await.json()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(api.delete(&this).await.status, 204);
    api.get(&this).await.problem(404);
    api.get(&format!("{this}/content")).await.problem(404);
    api.delete(&this).await.problem(404);
    assert_ne!(http().get(&signed).send().await.unwrap().status(), 200);
    assert_eq!(api.get("/v1/sessions/del/artifacts").await.json()["count"], 0);
}
