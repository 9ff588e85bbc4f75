//! Webhooks: one correctly signed delivery per finished job, retried after
//! a 503, with every try recorded.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use super::{Server, Stack, on_both_stacks, testing_job};

on_both_stacks!(finished_jobs_are_posted_signed_and_retried_after_a_503);

#[derive(Default)]
struct Received {
    /// (signature header, body) of every request.
    requests: Vec<(String, Vec<u8>)>,
}

/// A receiver on loopback that answers 503 to the first request and 200 after.
async fn receiver() -> (String, Arc<Mutex<Received>>) {
    let received = Arc::new(Mutex::new(Received::default()));
    let state = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let state = state.clone();
            async move {
                let mut received = state.lock().unwrap();
                let signature = headers
                    .get("kiln-signature")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                received.requests.push((signature, body.to_vec()));
                if received.requests.len() == 1 {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (origin, received)
}

fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let (Some(t), Some(v1)) = (
        header.split(',').find_map(|part| part.strip_prefix("t=")),
        header.split(',').find_map(|part| part.strip_prefix("v1=")),
    ) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let age = chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap();
    (0..300).contains(&age) && mac.verify_slice(&hex::decode(v1).unwrap()).is_ok()
}

async fn finished_jobs_are_posted_signed_and_retried_after_a_503(stack: Stack) {
    let (origin, received) = receiver().await;
    let server = Server::start_with(
        stack,
        &[("KILN_WEBHOOK_ALLOW", &origin), ("KILN_WEBHOOK_BACKOFF_SECS", "0.2")],
    )
    .await;
    let api = server.client(&server.key("acme"));
    let secret =
        api.get("/v1/organisation").await.json()["webhook_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));

    let mut request = testing_job("hooks", json!({"behaviour": "ok"}));
    request["callback_url"] = json!(format!("{origin}/hook"));
    let job = api.run(&request).await;
    let id = job["id"].as_str().unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let job = api.get(&format!("/v1/jobs/{id}")).await.json();
        if job["webhook"]["state"] == "delivered" {
            assert_eq!(job["webhook"]["attempts"], 2);
            break;
        }
        assert!(Instant::now() < deadline, "not delivered: {job}\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let requests = std::mem::take(&mut received.lock().unwrap().requests);
    assert_eq!(requests.len(), 2, "one retry after the 503, then no more");
    for (signature, body) in &requests {
        assert!(verify(&secret, signature, body), "bad signature {signature}");
        assert!(!verify("whsec_wrong", signature, body));
        let payload: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(payload["event"], "job.finished");
        assert_eq!(payload["job"]["id"], id);
        assert_eq!(payload["job"]["state"], "succeeded");
        assert!(
            payload["job"]["artifacts"][0]["links"]["content"]
                .as_str()
                .unwrap()
                .starts_with(&server.base)
        );
    }
    let deliveries =
        api.get(&format!("/v1/jobs/{id}/deliveries")).await.json()["deliveries"].clone();
    let statuses: Vec<&Value> =
        deliveries.as_array().unwrap().iter().map(|d| &d["status"]).collect();
    assert_eq!(statuses, [&json!(503), &json!(200)]);

    // A callback outside the allow-list is refused before anything is queued.
    let mut outside = testing_job("hooks", json!({"behaviour": "ok"}));
    outside["callback_url"] = json!("http://127.0.0.1:1/elsewhere");
    assert_eq!(api.post("/v1/jobs", &outside).await.pointers(), ["/callback_url"]);
}
