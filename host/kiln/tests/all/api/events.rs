//! Server-sent events: a client that reconnects with `Last-Event-ID` misses
//! nothing.

use std::time::Duration;

use serde_json::json;

use super::{Client, Server, Stack, on_both_stacks, testing_job};

on_both_stacks!(a_reconnecting_client_misses_no_event);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_stream_sends_keep_alive_comments() {
    let server = Server::start_with(Stack::Embedded, &[("KILN_SSE_KEEPALIVE_SECS", "1")]).await;
    let api = server.client(&server.key("acme"));
    let job = api
        .post(
            "/v1/jobs",
            &testing_job("idle", json!({"behaviour": "slow", "steps": 3, "step_ms": 1200})),
        )
        .await
        .json();
    let mut response = api
        .request(reqwest::Method::GET, job["links"]["events"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    while let Some(chunk) =
        tokio::time::timeout(Duration::from_secs(30), response.chunk()).await.unwrap().unwrap()
    {
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let comments = text
        .lines()
        .filter(|line| line.strip_prefix(':').is_some_and(|rest| rest.trim() == "keep-alive"))
        .count();
    assert!(comments >= 1, "no keep-alive comment while the job was quiet:\n{text}");
    assert!(text.contains("event: succeeded"), "{text}");
}

/// Reads SSE events (id, kind) until `count` arrived or the stream ends.
async fn read_events(
    api: &Client,
    path: &str,
    last_event_id: Option<&str>,
    count: usize,
) -> (Vec<(String, String)>, bool) {
    let mut request = api.request(reqwest::Method::GET, path).header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let mut response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let mut events = Vec::new();
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(30), response.chunk())
            .await
            .expect("an event or keep-alive in time")
            .unwrap();
        let Some(chunk) = chunk else { return (events, true) };
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                block.lines().find_map(|line| {
                    line.strip_prefix(&format!("{name}:")).map(|v| v.trim().to_owned())
                })
            };
            if let (Some(id), Some(kind)) = (field("id"), field("event")) {
                events.push((id, kind));
                if events.len() == count {
                    return (events, false);
                }
            }
        }
    }
}

async fn a_reconnecting_client_misses_no_event(stack: Stack) {
    let server = Server::start(stack).await;
    let api = server.client(&server.key("acme"));
    let job = api
        .post(
            "/v1/jobs",
            &testing_job("sse", json!({"behaviour": "slow", "steps": 8, "step_ms": 150})),
        )
        .await
        .json();
    let events = job["links"]["events"].as_str().unwrap();

    // Disconnect after three events, then resume from the last one seen.
    let (first, ended) = read_events(&api, events, None, 3).await;
    assert!(!ended);
    let (rest, ended) = read_events(&api, events, Some(&first.last().unwrap().0), usize::MAX).await;
    assert!(ended, "the stream ends after the terminal event");
    let seen: Vec<_> = first.into_iter().chain(rest).collect();
    assert_eq!(seen.last().unwrap().1, "succeeded");

    // Exactly the stored events, in order, none twice.
    let (replay, ended) = read_events(&api, events, None, usize::MAX).await;
    assert!(ended);
    assert_eq!(seen, replay);
    assert_eq!(seen[0].1, "queued");
    assert!(seen.iter().filter(|(_, kind)| kind == "progress").count() >= 2, "{seen:?}");
    let after_end = read_events(&api, events, Some(&seen.last().unwrap().0), usize::MAX).await;
    assert_eq!(after_end, (Vec::new(), true));
    api.send(api.request(reqwest::Method::GET, events).header("last-event-id", "x"))
        .await
        .problem(400);
}
