//! Live events across processes: each change's events are published on a
//! NOTIFY channel after the change commits, and every process listens.
//!
//! They are published outside the change's own transaction on purpose.
//! PostgreSQL serialises the commits of transactions that notify, their WAL
//! flush included, so a notifying change waits for every other's fsync in
//! turn; a transaction that only notifies writes nothing durable and holds
//! that lock for microseconds. One task per process sends them, and events
//! that wait while it sends go out together in the next notification.
//! Changes a process may exit right after (a run's outcome, a release)
//! return only once their events are sent, so `kiln run-job` and a worker
//! shutting down lose none; the hot ones (submits, claims, progress) do
//! not wait, which would put a round trip in every claim.

use std::time::Duration;

use kiln_core::JobId;
use sqlx::Row;
use sqlx::postgres::{PgListener, PgPool, PgRow};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::Result;
use crate::model::Notice;

/// The channel events and registry changes are published on.
const CHANNEL: &str = "kiln_job_events";
/// PostgreSQL refuses payloads of 8000 bytes or more.
const PAYLOAD_LIMIT: usize = 7999;
/// Most changes whose events go out in one transaction.
const BATCH: usize = 256;

/// The columns a statement returns for each event it stores (the events
/// CTE's `RETURNING`), for [`Publisher::publish`].
macro_rules! returning_events {
    () => {
        "RETURNING id AS event_id, job_id AS event_job_id, kind AS event_kind"
    };
}
pub(super) use returning_events;

/// One change's events as "event_id job_id kind" lines, and who to tell
/// once they are sent, if anyone waits.
type Lines = (Vec<String>, Option<oneshot::Sender<()>>);

/// Hands stored events to the task that publishes them.
#[derive(Debug, Clone)]
pub(super) struct Publisher(mpsc::UnboundedSender<Lines>);

impl Publisher {
    /// Starts the publishing task; it ends when every `Publisher` is dropped.
    /// If a notification cannot be sent, local receivers get a
    /// [`Notice::Resync`] (other processes' own polling covers them).
    pub(super) fn start(pool: PgPool, notices: broadcast::Sender<Notice>) -> Self {
        let (changes, mut waiting) = mpsc::unbounded_channel::<Lines>();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while waiting.recv_many(&mut batch, BATCH).await > 0 {
                let payloads = payloads(batch.iter().flat_map(|(lines, _)| lines));
                // One transaction: its notifications arrive in this order.
                let sent =
                    sqlx::query("SELECT pg_notify($1, payload) FROM UNNEST($2::text[]) AS payload")
                        .bind(CHANNEL)
                        .bind(&payloads)
                        .execute(&pool)
                        .await;
                if let Err(err) = sent {
                    tracing::warn!(error = %kiln_core::ErrorChain(&err), "could not publish job events; listeners will re-read");
                    let _ = notices.send(Notice::Resync);
                }
                for (_, sent) in batch.drain(..) {
                    if let Some(sent) = sent {
                        let _ = sent.send(());
                    }
                }
            }
        });
        Self(changes)
    }

    /// Publishes the events a committed statement returned (its rows carry
    /// the [`returning_events`] columns), without waiting for them to go out.
    pub(super) fn publish(&self, rows: &[PgRow]) -> Result<()> {
        self.send(rows, None)
    }

    /// Publishes like [`Self::publish`], and returns once these events, and
    /// every one published before them, are sent.
    pub(super) async fn publish_and_wait(&self, rows: &[PgRow]) -> Result<()> {
        let (sent, done) = oneshot::channel();
        self.send(rows, Some(sent))?;
        let _ = done.await;
        Ok(())
    }

    fn send(&self, rows: &[PgRow], sent: Option<oneshot::Sender<()>>) -> Result<()> {
        let mut lines = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("event_id")?;
            let job_id: JobId = row.try_get("event_job_id")?;
            let kind: &str = row.try_get("event_kind")?;
            lines.push(format!("{id} {job_id} {kind}"));
        }
        // The task outlives every publisher; a send fails only at shutdown,
        // and then dropping `sent` ends the wait.
        let _ = self.0.send((lines, sent));
        Ok(())
    }
}

/// Joins lines into as few payloads as fit under PostgreSQL's limit.
fn payloads<'a>(lines: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut payloads = vec![String::new()];
    for line in lines {
        let payload = payloads.last_mut().expect("one payload at least");
        if !payload.is_empty() && payload.len() + 1 + line.len() > PAYLOAD_LIMIT {
            payloads.push(line.clone());
        } else {
            if !payload.is_empty() {
                payload.push('\n');
            }
            payload.push_str(line);
        }
    }
    payloads
}

/// Forwards NOTIFY payloads ("event_id job_id kind" lines) as notices, and
/// a [`Notice::Resync`] whenever the connection was lost and notices may
/// have been missed.
pub(super) async fn listen(pool: PgPool, notices: broadcast::Sender<Notice>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %kiln_core::ErrorChain(&err), "cannot open a connection to listen for job events; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %kiln_core::ErrorChain(&err), "LISTEN failed; retrying in 1 s");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let _ = notices.send(Notice::Resync);
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    for line in notification.payload().lines() {
                        match parse_notice(line) {
                            Some(notice) => {
                                let _ = notices.send(notice);
                            }
                            None => {
                                tracing::warn!(line, "ignoring a malformed job event notification")
                            }
                        }
                    }
                }
                // The connection dropped; the next call reconnects.
                Ok(None) => {
                    let _ = notices.send(Notice::Resync);
                }
                Err(err) => {
                    tracing::warn!(error = %kiln_core::ErrorChain(&err), "listening for job events failed; reconnecting in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

fn parse_notice(line: &str) -> Option<Notice> {
    if line == "plugins" {
        return Some(Notice::Plugins);
    }
    let mut parts = line.split(' ');
    let id = parts.next()?.parse().ok()?;
    let job_id = parts.next()?.parse().ok()?;
    let kind = parts.next()?.parse().ok()?;
    Some(Notice::Event { id, job_id, kind })
}
