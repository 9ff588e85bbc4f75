//! Organisations cannot see each other: another organisation's object is a
//! 404, exactly like one that does not exist.

use serde_json::json;

use super::{Server, Stack, on_both_stacks, testing_job};

on_both_stacks!(another_organisation_can_reach_nothing, requests_without_a_valid_key_are_refused);

async fn another_organisation_can_reach_nothing(stack: Stack) {
    let server = Server::start(stack).await;
    let alice = server.client(&server.key("alice-corp"));
    let bob = server.client(&server.key("bob-corp"));
    let job = alice.run(&testing_job("shared-name", json!({"behaviour": "ok"}))).await;
    let id = job["id"].as_str().unwrap();
    let artifact = job["artifacts"][0]["id"].as_str().unwrap();
    let asset =
        alice.send(alice.request(reqwest::Method::POST, "/v1/assets").body("private")).await.json();
    let asset_id = asset["id"].as_str().unwrap();
    let unknown = uuid::Uuid::now_v7();

    for path in [
        format!("/v1/jobs/{id}"),
        format!("/v1/jobs/{id}/log"),
        format!("/v1/jobs/{id}/events"),
        format!("/v1/jobs/{id}/deliveries"),
        format!("/v1/artifacts/{artifact}"),
        format!("/v1/artifacts/{artifact}/content"),
        format!("/v1/assets/{asset_id}"),
        "/v1/sessions/shared-name/bundle".to_string(),
        format!("/v1/jobs/{unknown}"),
        format!("/v1/artifacts/{unknown}"),
    ] {
        let reply = bob.get(&path).await;
        assert_eq!(reply.problem(404)["type"], "urn:kiln:problem:not-found", "{path}");
    }
    bob.post(&format!("/v1/jobs/{id}/cancel"), &json!({})).await.problem(404);
    bob.post(&format!("/v1/artifacts/{artifact}/url"), &json!({})).await.problem(404);
    bob.delete(&format!("/v1/artifacts/{artifact}")).await.problem(404);
    assert_eq!(bob.get("/v1/jobs").await.json()["jobs"], json!([]));
    assert_eq!(bob.get("/v1/jobs?session=shared-name").await.json()["jobs"], json!([]));
    assert_eq!(bob.get("/v1/sessions/shared-name/artifacts").await.json()["count"], 0);
    let mut borrowing = testing_job("b", json!({"behaviour": "echo-asset", "name": "x"}));
    borrowing["assets"] = json!([{"name": "x", "asset_id": asset_id}]);
    assert_eq!(bob.post("/v1/jobs", &borrowing).await.pointers(), ["/assets/0/asset_id"]);

    // Alice still has everything.
    assert_eq!(alice.get(&format!("/v1/artifacts/{artifact}/content")).await.status, 200);
    assert_eq!(alice.get("/v1/sessions/shared-name/artifacts").await.json()["count"], 1);
    assert_eq!(alice.get(&format!("/v1/jobs/{id}")).await.json()["state"], "succeeded");
}

async fn requests_without_a_valid_key_are_refused(stack: Stack) {
    let server = Server::start(stack).await;
    let anonymous = server.anonymous();
    let reply = anonymous.get("/v1/jobs").await;
    assert_eq!(reply.problem(401)["type"], "urn:kiln:problem:unauthorized");
    assert!(reply.header("www-authenticate").starts_with("Bearer"));
    let forged =
        server.client("kiln_0000000000000000000000000000000000000000000000000000000000000000");
    forged.get("/v1/plugins").await.problem(401);
    let basic = anonymous
        .send(
            anonymous
                .request(reqwest::Method::GET, "/v1/jobs")
                .header("authorization", "Basic YTpi"),
        )
        .await;
    basic.problem(401);
    assert_eq!(anonymous.get("/healthz").await.status, 200);
}
