//! Creating, reading, listing and canceling jobs.

use std::time::Duration;

use serde_json::json;

use super::{Server, Stack, assert_openpyxl_reads_xlsx_job, on_both_stacks, testing_job, xlsx_job};

on_both_stacks!(
    a_spreadsheet_job_ends_with_a_file_a_real_reader_opens,
    queued_jobs_answer_202_with_a_location_and_list_in_pages,
    an_idempotency_key_returns_the_first_job,
    cancel_stops_a_running_job,
    assets_uploaded_or_inline_reach_the_plugin,
);

async fn a_spreadsheet_job_ends_with_a_file_a_real_reader_opens(stack: Stack) {
    let server = Server::start(stack).await;
    let api = server.client(&server.key("acme"));
    let mut request = xlsx_job("chat-1");
    request["display_name"] = json!("Q1 sales");
    request["conversation_id"] = json!("conv-9");
    request["metadata"] = json!({"requested_by": "ana", "turn": 3});
    let job = api.run(&request).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["metadata"], json!({"requested_by": "ana", "turn": 3}));
    assert_eq!(job["conversation_id"], "conv-9");
    assert!(!job["plugin"]["name"].as_str().unwrap().is_empty());
    assert_eq!(job["plugin"]["sha256"].as_str().unwrap().len(), 64);
    assert!(job["usage"]["wall_time_us"].as_u64().unwrap() > 0);
    let artifact = &job["artifacts"][0];
    assert_eq!(artifact["filename"], "Q1 sales.xlsx");
    assert_eq!(
        artifact["media_type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );

    let content = api.get(artifact["links"]["content"].as_str().unwrap()).await;
    assert_eq!(content.status, 200);
    assert_eq!(content.header("content-type"), artifact["media_type"]);
    assert_eq!(content.body.len() as u64, artifact["size"].as_u64().unwrap());
    assert_eq!(content.header("content-disposition"), "attachment; filename=\"Q1 sales.xlsx\"");
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(&content.body)), artifact["sha256"]);

    // openpyxl reads what was asked for.
    let file = server.dir().join("download.xlsx");
    std::fs::write(&file, &content.body).unwrap();
    assert_openpyxl_reads_xlsx_job(&file);

    let again = api.get(job["links"]["self"].as_str().unwrap()).await.json();
    assert_eq!(again["artifacts"][0]["id"], artifact["id"]);
    let log = api.get(job["links"]["log"].as_str().unwrap()).await;
    assert_eq!(log.status, 200);
    assert!(log.json()["entries"].is_array());
}

async fn queued_jobs_answer_202_with_a_location_and_list_in_pages(stack: Stack) {
    let server = Server::start(stack).await;
    let api = server.client(&server.key("acme"));
    let mut ids = Vec::new();
    for _ in 0..5 {
        let reply = api.post("/v1/jobs", &testing_job("paged", json!({"behaviour": "ok"}))).await;
        assert_eq!(reply.status, 202, "{}", String::from_utf8_lossy(&reply.body));
        let job = reply.json();
        assert_eq!(reply.header("location"), format!("/v1/jobs/{}", job["id"].as_str().unwrap()));
        ids.push(job["id"].as_str().unwrap().to_owned());
    }
    let other =
        api.post("/v1/jobs", &testing_job("other", json!({"behaviour": "ok"}))).await.json();
    for id in ids.iter().map(String::as_str).chain([other["id"].as_str().unwrap()]) {
        assert_eq!(api.finished(id).await["state"], "succeeded");
    }
    let first = api.get("/v1/jobs?session=paged&limit=3").await.json();
    let second = api.get(first["next"].as_str().unwrap()).await.json();
    let listed: Vec<&str> = first["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["jobs"].as_array().unwrap())
        .map(|job| job["id"].as_str().unwrap())
        .collect();
    let newest_first: Vec<&str> = ids.iter().rev().map(String::as_str).collect();
    assert_eq!(listed, newest_first);
    assert!(second["next"].is_null());
    let succeeded = api.get("/v1/jobs?status=succeeded&limit=200").await.json();
    assert_eq!(succeeded["jobs"].as_array().unwrap().len(), 6);
    assert_eq!(api.get("/v1/jobs?status=failed").await.json()["jobs"], json!([]));
}

async fn an_idempotency_key_returns_the_first_job(stack: Stack) {
    let server = Server::start(stack).await;
    let api = server.client(&server.key("acme"));
    let post = |body: serde_json::Value, key: &'static str| {
        let request = api
            .request(reqwest::Method::POST, "/v1/jobs")
            .header("content-type", "application/json")
            .header("idempotency-key", key);
        api.send(request.body(serde_json::to_vec(&body).unwrap()))
    };
    let first = post(xlsx_job("idem"), "order-17").await;
    assert_eq!(first.status, 202);
    let again = post(xlsx_job("idem"), "order-17").await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header("idempotent-replayed"), "true");
    assert_eq!(again.json()["id"], first.json()["id"]);
    let other = post(xlsx_job("another-session"), "order-17").await;
    let problem = other.problem(422);
    assert_eq!(problem["type"], "urn:kiln:problem:idempotency-key-reused");
    let list = api.get("/v1/jobs").await.json();
    assert_eq!(list["jobs"].as_array().unwrap().len(), 1);
}

async fn cancel_stops_a_running_job(stack: Stack) {
    let server = Server::start(stack).await;
    let api = server.client(&server.key("acme"));
    let job = api
        .post(
            "/v1/jobs",
            &testing_job("c", json!({"behaviour": "slow", "steps": 100, "step_ms": 100})),
        )
        .await
        .json();
    let id = job["id"].as_str().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while api.get(&format!("/v1/jobs/{id}")).await.json()["state"] != "running" {
        assert!(std::time::Instant::now() < deadline, "the job never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let canceled = api.post(&format!("/v1/jobs/{id}/cancel"), &json!({})).await;
    assert_eq!(canceled.status, 200);
    let started = std::time::Instant::now();
    assert_eq!(api.finished(id).await["state"], "canceled");
    assert!(started.elapsed() < Duration::from_secs(5), "cancel took {:?}", started.elapsed());
}

async fn assets_uploaded_or_inline_reach_the_plugin(stack: Stack) {
    let server = Server::start_with(stack, &[("KILN_MAX_ASSET_MIB", "1")]).await;
    let api = server.client(&server.key("acme"));
    let logo: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let raw = api
        .send(
            api.request(reqwest::Method::POST, "/v1/assets?filename=logo.png")
                .header("content-type", "image/png")
                .body(logo.clone()),
        )
        .await;
    assert_eq!(raw.status, 201, "{}", String::from_utf8_lossy(&raw.body));
    let raw = raw.json();
    assert_eq!(raw["size"], 200_000);
    assert_eq!(raw["filename"], "logo.png");
    assert_eq!(raw["media_type"], "image/png");

    let boundary = "kiln-boundary-42";
    let mut form = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.csv\"\r\nContent-Type: text/csv\r\n\r\n").into_bytes();
    form.extend_from_slice(b"a,b\n1,2\n");
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let multipart = api
        .send(
            api.request(reqwest::Method::POST, "/v1/assets")
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(form),
        )
        .await;
    assert_eq!(multipart.status, 201, "{}", String::from_utf8_lossy(&multipart.body));
    assert_eq!(multipart.json()["size"], 8);
    assert_eq!(multipart.json()["filename"], "data.csv");

    let mut by_id = testing_job("assets", json!({"behaviour": "echo-asset", "name": "logo"}));
    by_id["assets"] = json!([{"name": "logo", "asset_id": raw["id"]}]);
    let job = api.run(&by_id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(api.get(job["artifacts"][0]["links"]["content"].as_str().unwrap()).await.body, logo);

    let mut inline = testing_job("assets", json!({"behaviour": "echo-asset", "name": "note"}));
    use base64::Engine;
    inline["assets"] = json!([{"name": "note", "content_base64": base64::engine::general_purpose::STANDARD.encode("hello"), "media_type": "text/plain"}]);
    let job = api.run(&inline).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(
        api.get(job["artifacts"][0]["links"]["content"].as_str().unwrap()).await.body,
        b"hello"
    );

    let too_big = vec![0u8; (1 << 20) + 1];
    let refused = api.send(api.request(reqwest::Method::POST, "/v1/assets").body(too_big)).await;
    refused.problem(413);
}
