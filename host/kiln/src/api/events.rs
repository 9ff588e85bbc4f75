//! `GET /v1/jobs/{id}/events`: a job's events as server-sent events.
//!
//! Each SSE event carries the stored event's id, so a client that
//! reconnects with `Last-Event-ID` gets exactly the events it missed: the
//! stream replays stored events after that id, then follows live notices.
//! It ends after the job's terminal event; comments keep idle connections
//! open through proxies.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use kiln_core::{JobEvent, JobId};
use kiln_queue::{Notice, Scope};
use serde::Deserialize;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;

use super::ApiState;
use super::extract::{Caller, Path, Query};
use super::problem::{ApiError, ApiResult, Problem};

/// How often an idle stream re-reads the store anyway, for writers whose
/// notices do not reach this process (another process on SQLite).
const REREAD: Duration = Duration::from_secs(2);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventsQuery {
    /// Start after this event id (as `Last-Event-ID`, for clients that cannot set headers).
    after: Option<i64>,
}

/// Streams the job's events.
#[utoipa::path(
    get, operation_id = "stream_job_events", path = "/v1/jobs/{id}/events", tag = "jobs",
    params(("id" = uuid::Uuid, Path, description = "Job id"), EventsQuery,
           ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event id")),
    responses(
        (status = 200, description = "`text/event-stream`: `id` is the event id, `event` its kind, `data` the event as JSON", content_type = "text/event-stream", body = String),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub(crate) async fn stream(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<JobId>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let after = match headers.get("last-event-id") {
        Some(value) => {
            value.to_str().ok().and_then(|value| value.trim().parse::<i64>().ok()).ok_or_else(
                || ApiError::bad_request("Last-Event-ID must be an event id (an integer)"),
            )?
        }
        None => query.after.unwrap_or(0),
    };
    let scope = caller.scope();
    // Subscribe first: an event stored between the replay and the
    // subscription would otherwise be missed.
    let notices = state.store.subscribe();
    state.store.get(scope, id).await?.ok_or(ApiError::NotFound("job"))?;
    let pending = state.store.events(scope, id, after).await?.into();
    let keep_alive = KeepAlive::new().interval(state.settings.keep_alive).text("keep-alive");
    let follow = Follow { state, scope, id, after, notices, pending, done: false };
    let stream = futures_util::stream::unfold(follow, Follow::next);
    Ok(Sse::new(stream).keep_alive(keep_alive))
}

struct Follow {
    state: Arc<ApiState>,
    scope: Scope,
    id: JobId,
    /// The last event sent.
    after: i64,
    notices: broadcast::Receiver<Notice>,
    pending: VecDeque<JobEvent>,
    done: bool,
}

impl Follow {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.after = event.id;
                self.done = event.kind.is_terminal();
                return Some((Ok(sse(&event)), self));
            }
            if self.done {
                return None;
            }
            // A job that ended before the events we were asked to skip has
            // nothing more to send.
            match self.state.store.get(self.scope, self.id).await {
                Ok(Some(job)) if !job.state.is_terminal() => {}
                Ok(_) => {
                    if let Ok(events) =
                        self.state.store.events(self.scope, self.id, self.after).await
                    {
                        self.pending = events.into();
                    }
                    if self.pending.is_empty() {
                        return None;
                    }
                    continue;
                }
                Err(err) => {
                    tracing::warn!(error = %kiln_core::ErrorChain(&err), job = %self.id, "ending an event stream: the store failed");
                    return None;
                }
            }
            self.wait().await;
            match self.state.store.events(self.scope, self.id, self.after).await {
                Ok(events) => self.pending = events.into(),
                Err(err) => {
                    tracing::warn!(error = %kiln_core::ErrorChain(&err), job = %self.id, "ending an event stream: the store failed");
                    return None;
                }
            }
        }
    }

    /// Until a notice about this job (or a possible miss), or the re-read interval.
    async fn wait(&mut self) {
        let reread = tokio::time::sleep(REREAD);
        tokio::pin!(reread);
        loop {
            tokio::select! {
                () = &mut reread => return,
                notice = self.notices.recv() => match notice {
                    Ok(Notice::Event { job_id, .. }) if job_id == self.id => return,
                    Ok(Notice::Event { .. } | Notice::Plugins) => {}
                    Ok(Notice::Resync) | Err(RecvError::Lagged(_)) => return,
                    Err(RecvError::Closed) => {
                        reread.as_mut().await;
                        return;
                    }
                },
            }
        }
    }
}

fn sse(event: &JobEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    Event::default().id(event.id.to_string()).event(event.kind.as_str()).data(data)
}
