//! A Kubernetes API server for tests, behind a `tower-test` mock: it checks
//! each request's method, path and body, keeps the Jobs and pods it is
//! told about, answers lists, gets, creates and deletes as the API server
//! does, and streams watch events. Tests play the kubelet and the Job
//! controller by setting Job and pod status, or with [`FakeCluster::on_create`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream;
use http::{Method, Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use kube::Client;
use kube::client::Body;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

type ResponseBody = UnsyncBoxBody<Bytes, Infallible>;

/// One request the fixture answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: Option<Value>,
    pub at: Instant,
}

/// A request the fixture answers with an error instead.
struct Fault {
    method: Method,
    path_prefix: String,
    code: u16,
    times: usize,
    /// Carry the request out, then answer with the error (a reply lost on
    /// the way back).
    after_applying: bool,
}

type CreateHook = Arc<dyn Fn(Value) + Send + Sync>;

#[derive(Default)]
struct State {
    version: u64,
    jobs: BTreeMap<String, Value>,
    /// Pods by the name of their Job.
    pods: BTreeMap<String, Vec<Value>>,
    logs: BTreeMap<String, String>,
    /// Every change, for watches that resume from a resource version.
    history: Vec<(u64, &'static str, Value)>,
    watches: Vec<mpsc::UnboundedSender<Result<Frame<Bytes>, Infallible>>>,
    requests: Vec<Recorded>,
    faults: Vec<Fault>,
    on_create: Option<CreateHook>,
}

impl State {
    fn publish(&mut self, kind: &'static str, mut object: Value) {
        self.version += 1;
        object["metadata"]["resourceVersion"] = json!(self.version.to_string());
        let line = Bytes::from(format!("{}\n", json!({ "type": kind, "object": object })));
        self.watches.retain(|watch| watch.send(Ok(Frame::data(line.clone()))).is_ok());
        if kind != "DELETED"
            && let Some(name) = object["metadata"]["name"].as_str()
        {
            self.jobs.insert(name.to_owned(), object.clone());
        }
        self.history.push((self.version, kind, object));
    }
}

/// The fake cluster; clones share it.
#[derive(Clone)]
pub struct FakeCluster {
    namespace: String,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
}

impl FakeCluster {
    /// A cluster with no objects, and a client that talks to it with
    /// `namespace` as its default.
    pub fn start(namespace: &str) -> (Self, Client) {
        let cluster = Self {
            namespace: namespace.to_owned(),
            state: Arc::default(),
            changed: Arc::new(Notify::new()),
        };
        let client = cluster.client();
        (cluster, client)
    }

    /// Another client of this cluster (another kiln process).
    pub fn client(&self) -> Client {
        let (service, mut handle) =
            tower_test::mock::pair::<Request<Body>, Response<ResponseBody>>();
        let server = self.clone();
        tokio::spawn(async move {
            while let Some((request, respond)) = handle.next_request().await {
                let response = server.answer(request).await;
                server.changed.notify_waiters();
                respond.send_response(response);
            }
        });
        Client::new(service, self.namespace.clone())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// The requests with this method whose path starts with `prefix`.
    pub fn requests_to(&self, method: Method, prefix: &str) -> Vec<Recorded> {
        let all = self.requests();
        all.into_iter().filter(|r| r.method == method && r.path.starts_with(prefix)).collect()
    }

    /// The path of the namespace's Jobs.
    pub fn jobs_path(&self) -> String {
        format!("/apis/batch/v1/namespaces/{}/jobs", self.namespace)
    }

    pub fn job(&self, name: &str) -> Option<Value> {
        self.state().jobs.get(name).cloned()
    }

    pub fn job_names(&self) -> Vec<String> {
        self.state().jobs.keys().cloned().collect()
    }

    /// Waits (at most 20 s) until `condition` holds of the cluster.
    pub async fn wait_for(&self, what: &str, condition: impl Fn(&FakeCluster) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let changed = self.changed.notified();
            if condition(self) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for {what}; requests: {:#?}",
                self.requests()
            );
            let _ = tokio::time::timeout(left.min(Duration::from_millis(50)), changed).await;
        }
    }

    /// Waits for the Job `name` to be created, and returns it.
    pub async fn created(&self, name: &str) -> Value {
        self.wait_for(&format!("Job {name}"), |cluster| cluster.job(name).is_some()).await;
        self.job(name).unwrap()
    }

    /// Sets the Job's status, as the Job controller would.
    pub fn set_job_status(&self, name: &str, status: Value) {
        let mut state = self.state();
        let mut job = state.jobs.get(name).cloned().unwrap_or_else(|| panic!("no Job {name}"));
        job["status"] = status;
        state.publish("MODIFIED", job);
        drop(state);
        self.changed.notify_waiters();
    }

    /// Gives the Job one pod with `status` and log `log`, as the Job
    /// controller and the kubelet would; returns the pod's name.
    pub fn add_pod(&self, job: &str, status: Value, log: &str) -> String {
        let mut state = self.state();
        let template =
            state.jobs.get(job).unwrap_or_else(|| panic!("no Job {job}"))["spec"]["template"]
                .clone();
        let index = state.pods.get(job).map_or(0, Vec::len);
        let name = format!("{job}-{index}");
        let pod = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": template["metadata"]["labels"],
                "creationTimestamp": format!("2026-01-01T00:00:{index:02}Z"),
            },
            "spec": template["spec"],
            "status": status,
        });
        state.pods.entry(job.to_owned()).or_default().push(pod);
        state.logs.insert(name.clone(), log.to_owned());
        drop(state);
        self.changed.notify_waiters();
        name
    }

    /// Answers the next `times` requests of `method` to paths starting with
    /// `path_prefix` with status `code`.
    pub fn fail_next(&self, method: Method, path_prefix: &str, code: u16, times: usize) {
        let path_prefix = path_prefix.to_owned();
        let fault = Fault { method, path_prefix, code, times, after_applying: false };
        self.state().faults.push(fault);
    }

    /// Carries out the next request of `method` to a path starting with
    /// `path_prefix`, then answers it with status `code`.
    pub fn fail_next_after_applying(&self, method: Method, path_prefix: &str, code: u16) {
        let path_prefix = path_prefix.to_owned();
        let fault = Fault { method, path_prefix, code, times: 1, after_applying: true };
        self.state().faults.push(fault);
    }

    /// Ends every open watch, as an API server does on a timeout or a
    /// restart; watchers must come back with their last resource version.
    pub fn drop_watches(&self) {
        self.state().watches.clear();
    }

    /// The number of watches open now.
    pub fn open_watches(&self) -> usize {
        let mut state = self.state();
        state.watches.retain(|watch| !watch.is_closed());
        state.watches.len()
    }

    /// Calls `hook` with each Job created from now on (a kubelet).
    pub fn on_create(&self, hook: impl Fn(Value) + Send + Sync + 'static) {
        self.state().on_create = Some(Arc::new(hook));
    }

    async fn answer(&self, request: Request<Body>) -> Response<ResponseBody> {
        let (parts, body) = request.into_parts();
        let bytes = body.collect().await.expect("the request body arrives").to_bytes();
        let body = (!bytes.is_empty())
            .then(|| serde_json::from_slice::<Value>(&bytes).expect("request bodies are JSON"));
        let query: BTreeMap<String, String> =
            form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                .filter(|(key, _)| !key.is_empty())
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect();
        let path = parts.uri.path().to_owned();
        let method = parts.method.clone();
        let fault = {
            let mut state = self.state();
            let at = Instant::now();
            let recorded = Recorded {
                method: method.clone(),
                path: path.clone(),
                query: query.clone(),
                body: body.clone(),
                at,
            };
            state.requests.push(recorded);
            let fault = state.faults.iter_mut().find(|fault| {
                fault.times > 0 && fault.method == method && path.starts_with(&fault.path_prefix)
            });
            fault.map(|fault| {
                fault.times -= 1;
                (fault.code, fault.after_applying)
            })
        };
        let failed =
            |code| status(code, "InternalError", "the fixture was told to fail this request");
        match fault {
            Some((code, false)) => failed(code),
            Some((code, true)) => {
                let _ = self.apply(method, &path, &query, body);
                failed(code)
            }
            None => self.apply(method, &path, &query, body),
        }
    }

    fn apply(
        &self,
        method: Method,
        path: &str,
        query: &BTreeMap<String, String>,
        body: Option<Value>,
    ) -> Response<ResponseBody> {
        let mut state = self.state();

        let jobs = self.jobs_path();
        let pods = format!("/api/v1/namespaces/{}/pods", self.namespace);
        let selector = query.get("labelSelector").map(String::as_str).unwrap_or("");
        if path == jobs.as_str() && method == Method::GET {
            let matching = |job: &Value| matches(selector, &job["metadata"]["labels"]);
            if query.get("watch").map(String::as_str) == Some("true") {
                let since: u64 =
                    query.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
                let (tx, rx) = mpsc::unbounded_channel();
                for (version, kind, object) in &state.history {
                    if *version > since && matching(object) {
                        let line = format!("{}\n", json!({ "type": kind, "object": object }));
                        let _ = tx.send(Ok(Frame::data(Bytes::from(line))));
                    }
                }
                state.watches.push(tx);
                let mut rx = rx;
                let frames = stream::poll_fn(move |cx| rx.poll_recv(cx));
                return Response::new(StreamBody::new(frames).boxed_unsync());
            }
            let items: Vec<Value> =
                state.jobs.values().filter(|job| matching(job)).cloned().collect();
            let list = json!({
                "apiVersion": "batch/v1", "kind": "JobList",
                "metadata": { "resourceVersion": state.version.to_string() },
                "items": items,
            });
            return ok(&list);
        }
        if path == jobs.as_str() && method == Method::POST {
            let job = body.expect("a Job to create");
            let name = job["metadata"]["name"].as_str().expect("the Job has a name").to_owned();
            if state.jobs.contains_key(&name) {
                return status(
                    409,
                    "AlreadyExists",
                    &format!("jobs.batch \"{name}\" already exists"),
                );
            }
            let mut created = job;
            created["metadata"]["uid"] = json!(uuid_like(state.version));
            created["status"] = json!({});
            state.publish("ADDED", created);
            let created = state.jobs[&name].clone();
            let hook = state.on_create.clone();
            drop(state);
            if let Some(hook) = hook {
                hook(created.clone());
            }
            return response(201, &created);
        }
        if let Some(name) = path.strip_prefix(&format!("{jobs}/")) {
            let Some(job) = state.jobs.get(name).cloned() else {
                return status(404, "NotFound", &format!("jobs.batch \"{name}\" not found"));
            };
            match method {
                Method::GET => return ok(&job),
                Method::DELETE => {
                    let body = body.unwrap_or_default();
                    assert_eq!(
                        body["propagationPolicy"], "Background",
                        "Jobs are deleted with their pods: {body}"
                    );
                    state.jobs.remove(name);
                    state.pods.remove(name);
                    state.publish("DELETED", job.clone());
                    return ok(&job);
                }
                _ => {}
            }
        }
        if path == pods.as_str() && method == Method::GET {
            let items: Vec<Value> = state
                .pods
                .values()
                .flatten()
                .filter(|pod| matches(selector, &pod["metadata"]["labels"]))
                .cloned()
                .collect();
            return ok(
                &json!({ "apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": items }),
            );
        }
        if let Some(rest) = path.strip_prefix(&format!("{pods}/"))
            && let Some(pod) = rest.strip_suffix("/log")
            && method == Method::GET
        {
            assert_eq!(
                query.get("container").map(String::as_str),
                Some(super::manifest::CONTAINER)
            );
            return match state.logs.get(pod) {
                Some(log) => Response::new(Full::new(Bytes::from(log.clone())).boxed_unsync()),
                None => status(404, "NotFound", &format!("pods \"{pod}\" not found")),
            };
        }
        panic!(
            "the executor sent a request the API server fixture does not expect: {method} {path}?{query:?}"
        );
    }
}

/// Whether `labels` match a selector of `key=value` terms.
fn matches(selector: &str, labels: &Value) -> bool {
    selector.split(',').filter(|term| !term.is_empty()).all(|term| match term.split_once('=') {
        Some((key, value)) => labels[key].as_str() == Some(value),
        None => false,
    })
}

fn uuid_like(n: u64) -> String {
    format!("00000000-0000-0000-0000-{n:012}")
}

fn ok(value: &Value) -> Response<ResponseBody> {
    response(200, value)
}

fn response(code: u16, value: &Value) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())).boxed_unsync());
    *response.status_mut() = StatusCode::from_u16(code).unwrap();
    response
}

fn status(code: u16, reason: &str, message: &str) -> Response<ResponseBody> {
    response(
        code,
        &json!({
            "apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code,
        }),
    )
}
