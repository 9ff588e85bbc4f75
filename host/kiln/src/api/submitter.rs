//! Group commit for job creation: requests that arrive together are
//! queued in one store write (one transaction, one fsync) instead of one
//! each. A lone request waits for nobody; under load, batches form by
//! themselves while the previous write is in flight.
//!
//! Writes run in their own task, so a client that goes away mid-request
//! never cuts a write short.

use std::sync::Arc;

use kiln_queue::{JobStore, NewJob, Submitted};
use tokio::sync::{mpsc, oneshot};

/// Most jobs in one write.
const BATCH: usize = 64;

type Reply = oneshot::Sender<Result<Submitted, String>>;

#[derive(Debug, Clone)]
pub(crate) struct Submitter {
    queue: mpsc::Sender<(NewJob, Reply)>,
}

impl Submitter {
    /// Starts the writer task; it ends when the last `Submitter` is dropped.
    pub(crate) fn start(store: Arc<dyn JobStore>) -> Self {
        let (queue, mut requests) = mpsc::channel::<(NewJob, Reply)>(1024);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while requests.recv_many(&mut batch, BATCH).await > 0 {
                let (jobs, replies): (Vec<NewJob>, Vec<Reply>) = batch.drain(..).unzip();
                match store.submit(jobs).await {
                    Ok(results) => {
                        for (reply, result) in replies.into_iter().zip(results) {
                            let _ = reply.send(Ok(result));
                        }
                    }
                    Err(err) => {
                        let message = format!("{:#}", anyhow::Error::from(err));
                        for reply in replies {
                            let _ = reply.send(Err(message.clone()));
                        }
                    }
                }
            }
        });
        Self { queue }
    }

    /// Queues one job, with whatever else is being submitted now.
    pub(crate) async fn submit(&self, job: NewJob) -> Result<Submitted, String> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((job, reply)).await.map_err(|_| "the job writer has stopped".to_owned())?;
        answer.await.map_err(|_| "the job writer has stopped".to_owned())?
    }
}
