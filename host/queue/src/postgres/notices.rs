//! Live events across processes: each change's events are published on a
//! NOTIFY channel after the change commits, and every process listens.
//!
//! They are published outside the change's own transaction on purpose.
//! PostgreSQL serialises the commits of transactions that notify, their WAL
//! flush included, so a notifying change waits for every other's fsync in
//! turn; a transaction that only notifies writes nothing durable and holds
//! that lock for microseconds. One task per process sends them, and events
//! that wait while it sends go out together in the next notification.

use std::time::Duration;

use kiln_core::JobId;
use sqlx::Row;
use sqlx::postgres::{PgListener, PgPool, PgRow};
use tokio::sync::{broadcast, mpsc};

use crate::Result;
use crate::model::Notice;

/// The channel events and registry changes are published on.
const CHANNEL: &str = "kiln_job_events";
/// PostgreSQL refuses payloads of 8000 bytes or more; a line ("event_id
/// job_id kind") is under 100, so one more always fits below this.
const PAYLOAD_BUDGET: usize = 7900;

/// The columns a statement returns for each event it stores (the events
/// CTE's `RETURNING`), for [`Publisher::publish`].
macro_rules! returning_events {
    () => {
        "RETURNING id AS event_id, job_id AS event_job_id, kind AS event_kind"
    };
}
pub(super) use returning_events;

/// Hands stored events to the task that publishes them.
#[derive(Debug, Clone)]
pub(super) struct Publisher(mpsc::UnboundedSender<String>);

impl Publisher {
    /// Starts the publishing task; it ends when every `Publisher` is dropped.
    /// If a notification cannot be sent, local receivers get a
    /// [`Notice::Resync`] (other processes' own polling covers them).
    pub(super) fn start(pool: PgPool, notices: broadcast::Sender<Notice>) -> Self {
        let (lines, mut waiting) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(line) = waiting.recv().await {
                let mut payload = line;
                while payload.len() < PAYLOAD_BUDGET {
                    let Ok(line) = waiting.try_recv() else { break };
                    payload.push('\n');
                    payload.push_str(&line);
                }
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(&payload)
                    .execute(&pool)
                    .await;
                if let Err(err) = sent {
                    tracing::warn!(error = %kiln_core::ErrorChain(&err), "could not publish job events; listeners will re-read");
                    let _ = notices.send(Notice::Resync);
                }
            }
        });
        Self(lines)
    }

    /// Publishes the events a committed statement returned (its rows carry
    /// the [`returning_events`] columns).
    pub(super) fn publish(&self, rows: &[PgRow]) -> Result<()> {
        for row in rows {
            let id: i64 = row.try_get("event_id")?;
            let job_id: JobId = row.try_get("event_job_id")?;
            let kind: &str = row.try_get("event_kind")?;
            // The task outlives every publisher; a send fails only at shutdown.
            let _ = self.0.send(format!("{id} {job_id} {kind}"));
        }
        Ok(())
    }
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
