//! Group commit for submits: callers who submit at the same time share one
//! transaction (one commit, one fsync) instead of one each. A lone caller
//! waits for nobody; under load, groups form by themselves while the
//! previous write is in flight.
//!
//! Writes run in their own task, so a caller that goes away mid-submit
//! never cuts a write short.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::model::{NewJob, Submitted};
use crate::{Error, Result};

/// Most callers in one write.
const GROUP: usize = 64;

type Reply = oneshot::Sender<Result<Vec<Submitted>>>;

#[derive(Debug)]
pub(crate) struct GroupCommit {
    requests: mpsc::Sender<(Vec<NewJob>, Reply)>,
}

impl GroupCommit {
    /// Starts the writer task around `write`, which queues its jobs in one
    /// transaction and answers one result per job, in order. The task ends
    /// when the `GroupCommit` is dropped.
    pub(crate) fn start<W, F>(write: W) -> Self
    where
        W: Fn(Arc<[NewJob]>) -> F + Send + 'static,
        F: Future<Output = Result<Vec<Submitted>>> + Send,
    {
        let (requests, mut incoming) = mpsc::channel::<(Vec<NewJob>, Reply)>(1024);
        tokio::spawn(async move {
            let mut group = Vec::with_capacity(GROUP);
            while incoming.recv_many(&mut group, GROUP).await > 0 {
                if group.len() == 1 {
                    let (jobs, reply) = group.pop().expect("one request");
                    let _ = reply.send(write(jobs.into()).await);
                    continue;
                }
                let (requests, replies): (Vec<Vec<NewJob>>, Vec<Reply>) = group.drain(..).unzip();
                let sizes: Vec<usize> = requests.iter().map(Vec::len).collect();
                let all: Arc<[NewJob]> = requests.into_iter().flatten().collect();
                match write(all.clone()).await {
                    Ok(results) => {
                        let mut results = results.into_iter();
                        for (reply, size) in replies.into_iter().zip(sizes) {
                            let _ = reply.send(Ok(results.by_ref().take(size).collect()));
                        }
                    }
                    // Nothing of the group was stored. Each caller's jobs are
                    // tried on their own, so each gets its own answer and one
                    // caller's bad job fails no one else's.
                    Err(_) => {
                        let mut start = 0;
                        for (reply, size) in replies.into_iter().zip(sizes) {
                            let jobs: Arc<[NewJob]> = all[start..start + size].into();
                            start += size;
                            let _ = reply.send(write(jobs).await);
                        }
                    }
                }
            }
        });
        Self { requests }
    }

    /// Queues `jobs` in one transaction, with whatever else is being
    /// submitted now.
    pub(crate) async fn submit(&self, jobs: Vec<NewJob>) -> Result<Vec<Submitted>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.requests.send((jobs, reply)).await.map_err(|_| Error::WriterStopped)?;
        answer.await.map_err(|_| Error::WriterStopped)?
    }
}
