//! The conformance suite against both stores, plus what is specific to each.

mod postgres {
    use std::collections::HashSet;
    use std::time::Duration;

    use kiln_core::EventKind;
    use kiln_queue::testsuite::TestDatabase;
    use kiln_queue::{Completion, JobOutcome, NewJob, Notice};

    kiln_queue::conformance_tests!(async {
        let database = TestDatabase::postgres().await;
        (database.store().await, database)
    });

    /// A run's outcome is published before `complete` returns, so a process
    /// that exits right after (as `kiln run-job` does once it has recorded
    /// it) loses no notice; more than fit in one notification arrive too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn outcomes_reach_other_processes_even_if_the_writer_exits_at_once() {
        let database = TestDatabase::postgres().await;
        let listener = database.store().await;
        let mut notices = listener.subscribe();
        let org = listener.organisation("acme").await.unwrap().id;
        let jobs = (0..300).map(|_| NewJob::new(org, "s", "xlsx", serde_json::json!({})));
        let submitted = listener.submit(jobs.collect()).await.unwrap();
        let submitted = submitted.iter().filter_map(|job| job.job().map(|job| job.id)).collect();
        // Once the listener hears its own submit, it is listening.
        notices_of(&mut notices, EventKind::Queued, &submitted).await;

        // The writer runs on its own runtime, shut down as soon as
        // `complete` returns: whatever it had not sent by then is lost.
        tokio::task::block_in_place(|| {
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    let runtime =
                        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    runtime.block_on(async {
                        let writer = database.store().await;
                        let claimed =
                            writer.claim("exits", 300, Duration::from_secs(60)).await.unwrap();
                        let outcomes = claimed
                            .iter()
                            .map(|job| {
                                Completion::new(
                                    job,
                                    JobOutcome::Succeeded { artifacts: Vec::new() },
                                )
                            })
                            .collect();
                        writer.complete(outcomes).await.unwrap();
                    })
                });
            })
        });

        notices_of(&mut notices, EventKind::Succeeded, &submitted).await;
    }

    /// Waits for a `kind` notice of each of `jobs`.
    async fn notices_of(
        notices: &mut tokio::sync::broadcast::Receiver<Notice>,
        kind: EventKind,
        jobs: &HashSet<kiln_core::JobId>,
    ) {
        let mut seen = HashSet::new();
        while seen.len() < jobs.len() {
            match tokio::time::timeout(Duration::from_secs(10), notices.recv()).await {
                // Other tests' schemas share the database, and so its channel.
                Ok(Ok(Notice::Event { job_id, kind: got, .. }))
                    if got == kind && jobs.contains(&job_id) =>
                {
                    seen.insert(job_id);
                }
                Ok(Ok(_)) => {}
                other => {
                    panic!("{} of {} {kind} notices, then {other:?}", seen.len(), jobs.len())
                }
            }
        }
    }
}

mod sqlite {
    use kiln_queue::testsuite::TestDatabase;

    kiln_queue::conformance_tests!(async {
        let database = TestDatabase::sqlite();
        (database.store().await, database)
    });
}
