//! What a chat model meets: every fault of a spec in one answer, with
//! messages it can act on, answers without the spec echoed back, and tool
//! descriptions that state the limits.

use serde_json::{Value, json};

use super::{Server, Stack, on_both_stacks, xlsx_job};

on_both_stacks!(one_answer_lists_the_faults_of_every_stage_in_words_a_model_can_act_on);

async fn one_answer_lists_the_faults_of_every_stage_in_words_a_model_can_act_on(stack: Stack) {
    let server = Server::start(stack).await;
    let api = server.client(&server.key("acme"));

    // Faults for the schema (an unknown property, a misspelt value), for the
    // plugin's own checks (an empty name, a count out of range) and for the
    // request itself, all in one request.
    let request = json!({
        "type": "hello", "session_id": "bad session!",
        "spec": {"name": " ", "times": 0, "tone": "excitd", "colour": "red"},
    });
    let problem = api.post("/v1/jobs", &request).await.problem(422);
    let found: Vec<(String, String)> = problem["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (v["pointer"].as_str().unwrap().to_owned(), v["message"].as_str().unwrap().to_owned())
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("/session_id", "must be 1-128 of A-Z a-z 0-9 . _ : -"),
        ("/spec/colour", "unknown property `colour`; allowed properties: `name`, `times`, `tone`"),
        ("/spec/name", "expected a name; got an empty string"),
        ("/spec/times", "expected 1 to 1000; got 0"),
        (
            "/spec/tone",
            "unknown value `excitd`; did you mean `excited`? Allowed values: `plain`, `excited`",
        ),
    ]
    .into_iter()
    .map(|(p, m)| (p.to_owned(), m.to_owned()))
    .collect();
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((pointer, message), (want_pointer, want_message)) in found.iter().zip(&expected) {
        assert_eq!(pointer, want_pointer);
        if pointer != "/session_id" {
            assert_eq!(message, want_message);
        }
    }

    // A row given as a string says what a row is and what it got.
    let mut xlsx = xlsx_job("s");
    xlsx["spec"]["sheets"][0]["rows"][1] = json!("North, 1200");
    let problem = api.post("/v1/jobs", &xlsx).await.problem(422);
    let row = &problem["violations"][0];
    assert_eq!(row["pointer"], "/spec/sheets/0/rows/1", "{problem}");
    let message = row["message"].as_str().unwrap();
    assert!(
        message.starts_with("expected an array")
            && message.ends_with("got the string \"North, 1200\""),
        "{message}"
    );

    // A finished job comes back without its spec unless asked for.
    let job = api.run(&json!({"type": "hello", "session_id": "s", "spec": {"name": "Ada"}})).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert!(job.get("spec").is_none(), "the spec is echoed back: {job}");
    let id = job["id"].as_str().unwrap();
    let with_spec = api.get(&format!("/v1/jobs/{id}?include=spec")).await.json();
    assert_eq!(with_spec["spec"], json!({"name": "Ada"}));
    assert!(api.get(&format!("/v1/jobs/{id}")).await.json().get("spec").is_none());
    api.get(&format!("/v1/jobs/{id}?include=everything")).await.problem(400);

    // Tool descriptions state the limits and say their first sentence once.
    let tools = api.get("/v1/tools").await.json();
    let hello = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["function"]["name"] == "generate_hello")
        .expect("a hello tool");
    let description = hello["function"]["description"].as_str().unwrap();
    assert!(description.starts_with("Writes a greeting to a text file.\n\n"), "{description}");
    assert_eq!(description.matches("Writes a greeting").count(), 1, "{description}");
    for limit in ["10 MiB of JSON", "256 MiB of memory", "10 s of CPU", "64 MiB of memory and 1 s"]
    {
        assert!(description.contains(limit), "{limit:?} is not in {description}");
    }
    let schema: &Value = &hello["function"]["parameters"];
    assert_eq!(schema["properties"]["name"]["description"], "Who to greet, e.g. \"Ada\".");
}
