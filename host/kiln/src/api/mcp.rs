//! `/mcp`: the plugins as Model Context Protocol tools, over Streamable
//! HTTP, for the same API keys and scoped to the key's organisation.
//!
//! `tools/list` holds one `generate_<type>` tool per active, enabled plugin
//! (the definitions `/v1/tools` serves) and `job_status`. `tools/call`
//! creates the job, reports its progress, waits up to the API's longest
//! `wait` and answers with resource links to the files; a refused spec is a
//! tool error listing each problem at its JSON pointer, for the model to
//! fix. `resources/read` returns a file the caller's organisation owns.
//!
//! Clients on protocol 2026-07-28 are served statelessly and hear of tool
//! list changes through `subscriptions/listen`; older clients get a session,
//! held in this process, and `notifications/tools/list_changed`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures_util::TryStreamExt;
use kiln_core::{ArtifactId, Job, JobId, JobState, Violation};
use kiln_queue::{Notice, Scope};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock as Content,
    Implementation, ListToolsResult, PaginatedRequestParams, ProgressNotificationParam,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig, SubscriptionFilter, Tool,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::extract::Caller;
use super::jobs::{self, CreateJob, Enqueued};
use super::plugins::tool_definitions;
use super::problem::ApiError;
use super::{ApiState, MAX_JSON_BODY, artifacts};

/// The session every MCP job belongs to: MCP has no conversation id.
const SESSION: &str = "mcp";
const JOB_STATUS: &str = "job_status";

/// The `/mcp` service.
pub(crate) fn service(state: Arc<ApiState>) -> StreamableHttpService<Mcp, LocalSessionManager> {
    let config = StreamableHttpServerConfig::default()
        // The Host check guards servers a browser page could reach with
        // ambient credentials; kiln's keys travel in a header the page
        // cannot set, and a deployment answers to its own host names.
        .disable_allowed_hosts()
        .with_json_response(true)
        .with_max_request_body_bytes(MAX_JSON_BODY)
        .with_cancellation_token(state.shutdown.child_token());
    let handler = Mcp { state };
    StreamableHttpService::new(move || Ok(handler.clone()), Default::default(), config)
}

/// Admits requests with a valid API key (as every `/v1` route does) and
/// hands the caller to the handler in the request's extensions.
pub(crate) async fn authenticate(
    State(state): State<Arc<ApiState>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    match Caller::from_request_parts(&mut parts, &state).await {
        Ok(caller) => {
            parts.extensions.insert(caller);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(err) => err.into_response(),
    }
}

#[derive(Clone)]
pub(crate) struct Mcp {
    state: Arc<ApiState>,
}

impl ServerHandler for Mcp {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_resources()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("kiln", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Each generate_<type> tool makes a file (a spreadsheet, document, deck, PDF or \
                 infrastructure template) from a spec shaped by its input schema, and answers with \
                 links to the files; read them with resources/read. A job still running when the \
                 call returns can be followed with job_status.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut tools: Vec<Tool> = tool_definitions(&self.state)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|tool| Tool::new(tool.name, tool.description, tool.parameters))
            .collect();
        tools.push(self.job_status_tool());
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = caller(&context)?;
        let arguments = serde_json::Value::Object(request.arguments.unwrap_or_default());
        if request.name == JOB_STATUS {
            return self.job_status(&caller, &arguments, &context).await.map(Into::into);
        }
        let tool = tool_definitions(&self.state)
            .await
            .map_err(internal)?
            .into_iter()
            .find(|tool| tool.name == request.name)
            .ok_or_else(|| {
                ErrorData::invalid_params(
                    format!(
                        "no tool {:?} (or it was turned off); tools/list names them",
                        request.name
                    ),
                    None,
                )
            })?;
        self.generate(&caller, &tool.artifact_type, arguments, &context).await.map(Into::into)
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let caller = caller(&context)?;
        let not_found = || {
            ErrorData::resource_not_found(
                format!("no file at {:?}; use a link a generate tool returned", request.uri),
                None,
            )
        };
        let id = self.artifact_id(&request.uri).ok_or_else(not_found)?;
        let artifact = match artifacts::find(&self.state, caller.scope(), id).await {
            Ok((artifact, _)) => artifact,
            Err(ApiError::NotFound(_)) => return Err(not_found()),
            Err(err) => return Err(internal(err)),
        };
        let blob = self
            .state
            .blobs
            .get(&artifacts::key(&artifact).map_err(internal)?, None)
            .await
            .map_err(|err| internal(err.into()))?;
        let bytes: Vec<u8> = blob
            .body
            .map_ok(|chunk| chunk.to_vec())
            .try_concat()
            .await
            .map_err(|err| internal(ApiError::internal(err)))?;
        let blob = base64::engine::general_purpose::STANDARD.encode(bytes);
        Ok(ReadResourceResult::new(vec![
            ResourceContents::blob(blob, request.uri).with_mime_type(artifact.media_type),
        ])
        .into())
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.supported_by(&self.get_info().capabilities))
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let mut notices = self.state.store.subscribe();
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                changed = plugins_changed(&mut notices) => {
                    if !changed || context.sink().notify_tool_list_changed().await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        // A client on a protocol before 2026-07-28 has a session; its
        // notifications go to the stream it holds open.
        let peer = context.peer;
        let mut notices = self.state.store.subscribe();
        let shutdown = self.state.shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    // Notices can be rare: look for a closed session anyway.
                    () = tokio::time::sleep(Duration::from_secs(30)) => {
                        if peer.is_transport_closed() {
                            return;
                        }
                    }
                    changed = plugins_changed(&mut notices) => {
                        if !changed || peer.notify_tool_list_changed().await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

impl Mcp {
    fn job_status_tool(&self) -> Tool {
        let wait = self.state.settings.max_wait.as_secs();
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "job_id": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The job_id a generate_* tool answered with while the job was still running.",
                },
            },
            "required": ["job_id"],
            "additionalProperties": false,
        });
        let serde_json::Value::Object(schema) = schema else { unreachable!("an object") };
        Tool::new(
            JOB_STATUS,
            format!(
                "Follows a job a generate_* tool started: waits up to {wait} s for it to finish, then \
                 answers as the generate tool would, with links to its files, its error, or its state \
                 if it is still running."
            ),
            schema,
        )
    }

    /// Creates the job (once per request id and spec, so a retried call
    /// does not make a second one) and follows it.
    async fn generate(
        &self,
        caller: &Caller,
        artifact_type: &str,
        spec: serde_json::Value,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let key = idempotency_key(&context.id, artifact_type, &spec);
        let request = CreateJob::new(artifact_type, spec, SESSION);
        let Enqueued { job, mut notices, .. } =
            match jobs::enqueue(&self.state, caller, request, Some(key)).await {
                Ok(enqueued) => enqueued,
                Err(ApiError::Invalid { violations, .. }) => return Ok(refused(&violations)),
                Err(err) => return Err(internal(err)),
            };
        let job = self.follow(caller.scope(), job, &mut notices, context).await?;
        self.answer(caller.scope(), job).await
    }

    async fn job_status(
        &self,
        caller: &Caller,
        arguments: &serde_json::Value,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let Some(id) = arguments["job_id"].as_str().and_then(|id| id.parse::<JobId>().ok()) else {
            return Ok(CallToolResult::error(vec![Content::text(
                "job_id must be the UUID a generate_* tool answered with",
            )]));
        };
        let mut notices = self.state.store.subscribe();
        let Some(job) = self.state.store.get(caller.scope(), id).await.map_err(storage)? else {
            return Ok(CallToolResult::error(vec![Content::text(format!(
                "no job {id} in your organisation; use the job_id a generate_* tool answered with"
            ))]));
        };
        let job = self.follow(caller.scope(), job, &mut notices, context).await?;
        self.answer(caller.scope(), job).await
    }

    /// Waits up to the API's longest `wait` for the job to finish, sending
    /// its progress as MCP progress notifications if the caller asked for
    /// them. A client that cancels stops the wait, not the job.
    async fn follow(
        &self,
        scope: Scope,
        mut job: Job,
        notices: &mut broadcast::Receiver<Notice>,
        context: &RequestContext<RoleServer>,
    ) -> Result<Job, ErrorData> {
        let token = context.meta.get_progress_token();
        let deadline = tokio::time::Instant::now() + self.state.settings.max_wait;
        // The job's latest progress, not its events: a quick run records
        // its progress only as it completes.
        let mut sent: Option<u64> = None;
        loop {
            if let (Some(token), Some(progress)) = (&token, &job.progress)
                && sent.is_none_or(|done| progress.done > done)
            {
                sent = Some(progress.done);
                let mut param = ProgressNotificationParam::new(token.clone(), progress.done as f64)
                    .with_message(progress.message.clone());
                if progress.total > 0 {
                    param = param.with_total(progress.total as f64);
                }
                // A client that stopped listening still gets its answer.
                let _ = context.peer.notify_progress(param).await;
            }
            if job.state.is_terminal() {
                return Ok(job);
            }
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return Ok(job),
                () = context.ct.cancelled() => return Ok(job),
                // Re-read every second anyway: a worker in another process
                // on SQLite sends no notices here.
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                notice = notices.recv() => match notice {
                    Ok(Notice::Event { job_id, .. }) if job_id != job.id => continue,
                    Ok(Notice::Plugins) => continue,
                    _ => {}
                },
            }
            job = self.state.store.get(scope, job.id).await.map_err(storage)?.ok_or_else(|| {
                ErrorData::internal_error("the job was deleted while it was followed", None)
            })?;
        }
    }

    /// The job as a tool result: links to its files, its error, or how to
    /// follow it; the job as `/v1/jobs/{id}` shows it is the structured part.
    async fn answer(&self, scope: Scope, job: Job) -> Result<CallToolResult, ErrorData> {
        let (id, state) = (job.id, job.state);
        let error = job.error.clone();
        let view = jobs::view(&self.state, scope, job, None).await.map_err(internal)?;
        let mut result = match state {
            JobState::Succeeded => {
                let artifacts = view.artifacts.as_deref().unwrap_or_default();
                let files: Vec<String> = artifacts
                    .iter()
                    .map(|file| {
                        format!("{} ({}, {} bytes)", file.filename, file.media_type, file.size)
                    })
                    .collect();
                let mut content = vec![Content::text(format!(
                    "Job {id} made {} file(s): {}. Each link below can be read with resources/read.",
                    files.len(),
                    files.join(", ")
                ))];
                content.extend(artifacts.iter().map(|file| {
                    Content::resource_link(
                        Resource::new(file.links.content.clone(), file.filename.clone())
                            .with_mime_type(file.media_type.clone())
                            .with_size(file.size),
                    )
                }));
                CallToolResult::success(content)
            }
            JobState::Failed | JobState::Canceled => {
                let reason = match &error {
                    Some(error) if !error.violations.is_empty() => {
                        format!("{}:\n{}", error.message, problems(&error.violations))
                    }
                    Some(error) => error.message.clone(),
                    None => "no reason was recorded".to_owned(),
                };
                CallToolResult::error(vec![Content::text(format!(
                    "Job {id} {}: {reason}",
                    state.as_str()
                ))])
            }
            JobState::Queued | JobState::Running => {
                CallToolResult::success(vec![Content::text(format!(
                    "Job {id} is still {}. Call {JOB_STATUS} with {{\"job_id\": \"{id}\"}} to wait for its files.",
                    state.as_str()
                ))])
            }
        };
        result.structured_content = Some(serde_json::to_value(&view).map_err(|err| {
            ErrorData::internal_error(format!("cannot serialise the job: {err}"), None)
        })?);
        Ok(result)
    }

    /// The artifact a resource URI (its `/v1/artifacts/{id}/content` link) names.
    fn artifact_id(&self, uri: &str) -> Option<ArtifactId> {
        let prefix = self.state.links.url("/v1/artifacts/");
        uri.strip_prefix(&prefix)?.strip_suffix("/content")?.parse().ok()
    }
}

/// Waits for the next change to the plugin registry; false once no more
/// notices can come.
async fn plugins_changed(notices: &mut broadcast::Receiver<Notice>) -> bool {
    loop {
        match notices.recv().await {
            // Missed notices may have held a change.
            Ok(Notice::Plugins | Notice::Resync) | Err(RecvError::Lagged(_)) => return true,
            Ok(Notice::Event { .. }) => {}
            Err(RecvError::Closed) => return false,
        }
    }
}

/// The caller [`authenticate`] admitted.
fn caller(context: &RequestContext<RoleServer>) -> Result<Caller, ErrorData> {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>())
        .cloned()
        .ok_or_else(|| ErrorData::internal_error("the request reached /mcp unauthenticated", None))
}

/// One job per request id, tool and arguments.
fn idempotency_key(
    request: &rmcp::model::RequestId,
    artifact_type: &str,
    spec: &serde_json::Value,
) -> String {
    let mut digest = Sha256::new();
    for part in [request.to_string(), artifact_type.to_owned(), spec.to_string()] {
        digest.update(part.len().to_le_bytes());
        digest.update(part);
    }
    format!("mcp:{}", hex::encode(digest.finalize()))
}

/// A refused spec, as a tool error the model can act on. Pointers are
/// relative to the tool's arguments, which are the spec.
fn refused(violations: &[Violation]) -> CallToolResult {
    let relative: Vec<Violation> = violations
        .iter()
        .map(|violation| {
            let pointer = violation.pointer.strip_prefix("/spec").unwrap_or(&violation.pointer);
            Violation::new(pointer, violation.message.clone())
        })
        .collect();
    let mut result = CallToolResult::error(vec![Content::text(format!(
        "The arguments were refused; fix each problem (at its JSON pointer) and call again:\n{}",
        problems(&relative)
    ))]);
    result.structured_content = Some(serde_json::json!({ "violations": relative }));
    result
}

fn problems(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|violation| {
            let at =
                if violation.pointer.is_empty() { "(the whole spec)" } else { &violation.pointer };
            format!("- {at}: {}", violation.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn storage(err: kiln_queue::Error) -> ErrorData {
    internal(err.into())
}

/// A failure the caller cannot fix: logged, and reported without detail.
fn internal(err: ApiError) -> ErrorData {
    tracing::error!(error = %kiln_core::ErrorChain(&err), "an MCP request failed");
    ErrorData::internal_error(err.to_string(), None)
}
