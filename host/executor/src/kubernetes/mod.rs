//! The `kubernetes` executor: each claimed job runs in a pod of its own, as
//! a Kubernetes Job running `kiln run-job ID --attempt N`. The pod adopts
//! the host's claim and records the job's outcome itself; the host keeps
//! the lease, watches the Job, records what the pod could not (it was
//! killed, evicted, never started), and deletes the Job on cancel.

#[cfg(feature = "testsuite")]
pub mod fixture;
mod manifest;
mod status;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::StreamExt;
use k8s_openapi::api::batch::v1::Job as KubeJob;
use k8s_openapi::api::core::v1::Pod;
pub use k8s_openapi::api::core::v1::Toleration;
use kiln_core::{ErrorKind, Job, JobError, JobState, LogEntry, LogSource, OrgId};
use kiln_queue::{Completion, JobOutcome, JobStore, Lease, RetryPolicy, Scope};
use kube::api::{DeleteParams, ListParams, LogParams, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use tokio::sync::{Semaphore, watch};

use crate::Executor;
use crate::run::{Finished, InFlight, StopReason};
use manifest::{ATTEMPT, HOST, JOB_ID, job_manifest, job_name};
use status::Phase;

/// How the executor's Jobs are made and watched.
#[derive(Debug, Clone)]
pub struct KubernetesConfig {
    /// Where the Jobs are created.
    pub namespace: String,
    /// The kiln image the pods run: the host's own version.
    pub image: String,
    /// Names this host in its Jobs' labels, so that after a restart it
    /// picks up its own Jobs and no other host's.
    pub host: String,
    /// The pods' service account.
    pub service_account: String,
    /// A Secret whose keys become the pods' environment: the database URL
    /// and the storage settings.
    pub env_secret: Option<String>,
    /// Each pod's CPU and memory, requested and limited alike (Kubernetes
    /// quantities such as `1`, `500m`, `1Gi`).
    pub cpu: String,
    pub memory: String,
    pub runtime_class: Option<String>,
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    /// Jobs of one organisation this host runs at once; the others wait
    /// for a slot, claimed, before their Job is created.
    pub max_per_organisation: usize,
    /// The Jobs' `activeDeadlineSeconds`: the sandbox's wall-clock limit
    /// plus time to pull the image and load the plugins.
    pub deadline: Duration,
    /// How long a pod may wait for a node (or a Job for its pod) before the
    /// attempt is given up and retried.
    pub schedule_timeout: Duration,
    /// Finished Jobs are deleted by Kubernetes this long after they end.
    pub keep_finished: Duration,
    /// While no pod runs, its state is looked at this often (image pull
    /// errors, scheduling).
    pub check_every: Duration,
}

impl KubernetesConfig {
    /// Defaults: service account `kiln-job`, 1 CPU and 1 GiB per pod, 10
    /// jobs per organisation, a 10-minute deadline, 5 minutes to schedule,
    /// finished Jobs kept an hour.
    pub fn new(namespace: String, image: String, host: String) -> Self {
        Self {
            namespace,
            image,
            host: label_value(&host),
            service_account: "kiln-job".into(),
            env_secret: None,
            cpu: "1".into(),
            memory: "1Gi".into(),
            runtime_class: None,
            node_selector: BTreeMap::new(),
            tolerations: Vec::new(),
            max_per_organisation: 10,
            deadline: Duration::from_secs(600),
            schedule_timeout: Duration::from_secs(300),
            keep_finished: Duration::from_secs(3600),
            check_every: Duration::from_secs(5),
        }
    }
}

/// A host name as a label value: at most 63 of `[A-Za-z0-9._-]`, starting
/// and ending with a letter or digit.
fn label_value(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' })
        .take(63)
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if trimmed.is_empty() { "kiln".into() } else { trimmed.to_owned() }
}

/// The namespace's executor Jobs as the watcher last saw them.
#[derive(Debug, Default)]
struct Seen {
    /// The first list has arrived.
    listed: bool,
    jobs: HashMap<String, Arc<KubeJob>>,
}

pub struct KubernetesExecutor {
    jobs: Api<KubeJob>,
    pods: Api<Pod>,
    store: Arc<dyn JobStore>,
    config: KubernetesConfig,
    seen: watch::Receiver<Seen>,
    per_organisation: Mutex<HashMap<OrgId, Arc<Semaphore>>>,
    watcher: tokio::task::JoinHandle<()>,
}

impl Drop for KubernetesExecutor {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

/// What ended the wait for a Job.
enum Ended {
    Phase(Phase),
    /// The Job is gone: deleted by someone, or by its TTL while the watch
    /// was down.
    Gone,
    /// Its pod cannot start.
    CannotStart(JobError),
}

impl KubernetesExecutor {
    /// Connects to the cluster kiln runs in (its service account), or to
    /// the one of `KUBECONFIG`, and starts watching.
    pub async fn connect(
        store: Arc<dyn JobStore>,
        config: KubernetesConfig,
    ) -> crate::Result<Self> {
        let client = Client::try_default().await.map_err(crate::Error::Kubernetes)?;
        Ok(Self::new(client, store, config))
    }

    /// Starts watching this host's Jobs in `config.namespace` through
    /// `client`; `store` is read to learn whether a pod recorded its job.
    pub fn new(client: Client, store: Arc<dyn JobStore>, config: KubernetesConfig) -> Self {
        let jobs = Api::namespaced(client.clone(), &config.namespace);
        let pods = Api::namespaced(client, &config.namespace);
        let (tx, seen) = watch::channel(Seen::default());
        let watcher = tokio::spawn(watch_jobs(jobs.clone(), tx));
        Self {
            jobs,
            pods,
            store,
            config,
            seen,
            per_organisation: Mutex::new(HashMap::new()),
            watcher,
        }
    }

    fn organisation_slots(&self, organisation: OrgId) -> Arc<Semaphore> {
        let mut slots = self.per_organisation.lock().unwrap_or_else(|p| p.into_inner());
        // Forget organisations with nothing running, so the map stays small.
        slots.retain(|_, slot| Arc::strong_count(slot) > 1);
        slots
            .entry(organisation)
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.max_per_organisation.max(1))))
            .clone()
    }

    /// Creates the attempt's Job, or finds the one already there (a host
    /// restart, or a retried create that did reach the server). API errors
    /// are retried with backoff while the lease is held.
    async fn create(&self, job: &Job, flight: &InFlight) -> Result<KubeJob, Stop> {
        const BACKOFF: RetryPolicy =
            RetryPolicy { base: Duration::from_millis(200), max: Duration::from_secs(10) };
        const TRIES: i32 = 6;
        let manifest = job_manifest(&self.config, job);
        let name = job_name(job);
        for attempt in 1..=TRIES {
            let result = match self.jobs.create(&PostParams::default(), &manifest).await {
                Err(kube::Error::Api(status)) if status.code == 409 => {
                    tracing::info!(job = %job.id, name, "its Kubernetes Job exists already; watching it");
                    self.jobs.get(&name).await
                }
                result => result,
            };
            let error = match result {
                Ok(created) => return Ok(created),
                // The request is wrong (forbidden, invalid): asking again
                // will not help.
                Err(kube::Error::Api(status))
                    if (400..500).contains(&status.code) && status.code != 429 =>
                {
                    return Err(Stop::Failed(JobError::new(
                        ErrorKind::Executor,
                        format!(
                            "the Kubernetes API refused to create Job {name}: {} ({})",
                            status.message, status.code
                        ),
                    )));
                }
                Err(error) => error,
            };
            tracing::warn!(job = %job.id, attempt, error = %kiln_core::ErrorChain(&error), "creating the Kubernetes Job failed");
            if attempt == TRIES {
                return Err(Stop::Failed(JobError::new(
                    ErrorKind::Executor,
                    format!(
                        "the Kubernetes API did not create Job {name} after {TRIES} tries: {error}"
                    ),
                )));
            }
            tokio::select! {
                reason = flight.stopped() => return Err(Stop::Stopped(reason)),
                () = tokio::time::sleep(BACKOFF.delay(attempt)) => {}
            }
        }
        unreachable!("the last try returns")
    }

    /// Waits until the Job ends, its pod cannot start, or the run is told
    /// to stop.
    async fn wait(
        &self,
        job: &Job,
        created: KubeJob,
        flight: &InFlight,
    ) -> Result<Ended, StopReason> {
        let name = job_name(job);
        let since = Instant::now();
        let mut seen = self.seen.clone();
        let mut watched = false;
        let mut current = Arc::new(created);
        loop {
            {
                let now = seen.borrow_and_update();
                match now.jobs.get(&name) {
                    Some(job) => {
                        watched = true;
                        current = job.clone();
                    }
                    None if watched && now.listed => return Ok(Ended::Gone),
                    None => {}
                }
            }
            let phase = status::phase(&current);
            if phase != Phase::Active {
                return Ok(Ended::Phase(phase));
            }
            let check = tokio::time::sleep(self.config.check_every);
            tokio::select! {
                reason = flight.stopped() => return Err(reason),
                _ = seen.changed() => {}
                () = check, if !status::has_running_pod(&current) => {
                    let pods = self.pods(job).await;
                    if let Some(error) = status::cannot_start(&pods, since.elapsed(), self.config.schedule_timeout, &name) {
                        return Ok(Ended::CannotStart(error));
                    }
                }
            }
        }
    }

    /// The attempt's pods, oldest first (none if they cannot be listed).
    async fn pods(&self, job: &Job) -> Vec<Pod> {
        let params = ListParams::default().labels(&manifest::pod_selector(job));
        match self.pods.list(&params).await {
            Ok(list) => {
                let mut pods = list.items;
                pods.sort_by(|a, b| {
                    a.metadata.creation_timestamp.cmp(&b.metadata.creation_timestamp)
                });
                pods
            }
            Err(error) => {
                tracing::warn!(job = %job.id, error = %kiln_core::ErrorChain(&error), "cannot list the job's pods");
                Vec::new()
            }
        }
    }

    /// The last lines `kiln run-job` wrote, for the job's log.
    async fn log_tail(&self, pod: &Pod) -> Vec<LogEntry> {
        let Some(name) = pod.metadata.name.as_deref() else { return Vec::new() };
        let params = LogParams {
            container: Some(manifest::CONTAINER.into()),
            tail_lines: Some(20),
            ..LogParams::default()
        };
        match self.pods.logs(name, &params).await {
            Ok(text) => text
                .lines()
                .map(|line| LogEntry { source: LogSource::Stderr, message: line.to_owned() })
                .collect(),
            Err(error) => {
                tracing::warn!(pod = name, error = %kiln_core::ErrorChain(&error), "cannot read the pod's log");
                Vec::new()
            }
        }
    }

    async fn delete(&self, job: &Job) {
        let name = job_name(job);
        match self.jobs.delete(&name, &DeleteParams::background()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(error) => tracing::warn!(
                job = %job.id, name, error = %kiln_core::ErrorChain(&error),
                "cannot delete the Kubernetes Job; its deadline and TTL will remove it"
            ),
        }
    }

    /// Whether the pod recorded the attempt's outcome (or someone moved the
    /// job on since): then the host writes nothing.
    async fn recorded(&self, job: &Job) -> bool {
        match self.store.get(Scope::Operator, job.id).await {
            Ok(Some(now)) => now.state != JobState::Running || now.attempt != job.attempt,
            Ok(None) => true,
            // Unknown: record, fenced by the lease. If the pod did record,
            // the completion changes nothing.
            Err(_) => false,
        }
    }

    /// How a run that ended without being stopped is recorded.
    async fn ended(&self, job: &Job, ended: Ended) -> Finished {
        if let Ended::CannotStart(_) = ended {
            self.delete(job).await;
        }
        if self.recorded(job).await {
            return Finished::Abandon;
        }
        let name = job_name(job);
        let pods = self.pods(job).await;
        let error = match ended {
            Ended::CannotStart(error) => error,
            Ended::Gone => JobError::new(
                ErrorKind::Executor,
                format!(
                    "the Kubernetes Job {name} was deleted before its pod recorded how the job ended"
                ),
            ),
            Ended::Phase(Phase::Complete) => JobError::new(
                ErrorKind::Internal,
                format!(
                    "the pod of Kubernetes Job {name} exited 0 without recording how the job ended"
                ),
            ),
            Ended::Phase(phase) => status::failure(&self.config, &phase, &pods, &name),
        };
        let mut completion = Completion::new(job, JobOutcome::Failed(error));
        if let Some(pod) = pods.last() {
            completion.log = self.log_tail(pod).await;
        }
        Finished::Complete(Box::new(completion))
    }

    /// How a run the host stopped is recorded.
    async fn stopped(&self, job: &Job, reason: StopReason) -> Finished {
        match reason {
            StopReason::CancelRequested => {
                self.delete(job).await;
                Finished::Complete(Box::new(Completion::new(job, JobOutcome::Canceled)))
            }
            // The pod recorded the outcome (it ends and its Job with it), or
            // the job runs elsewhere now and this attempt's pod stops itself
            // when its own heartbeat finds the lease gone. The pod goes on
            // through a shutdown and records the outcome itself; a
            // restarted host picks its Job up again.
            StopReason::LeaseLost | StopReason::Shutdown => Finished::Abandon,
        }
    }
}

/// Why a run ended before its Job finished.
enum Stop {
    Stopped(StopReason),
    Failed(JobError),
}

#[async_trait]
impl Executor for KubernetesExecutor {
    async fn run(&self, job: &Job, flight: &InFlight) -> Finished {
        let slots = self.organisation_slots(job.organisation_id);
        let _slot = tokio::select! {
            slot = slots.acquire_owned() => slot.expect("the semaphore is never closed"),
            reason = flight.stopped() => return self.stopped(job, reason).await,
        };
        // A Job the watcher knows already is picked up, not created again
        // (a restarted host's runs).
        let known = self.seen.borrow().jobs.get(&job_name(job)).cloned();
        let created = match known {
            Some(known) => KubeJob::clone(&known),
            None => match self.create(job, flight).await {
                Ok(created) => created,
                Err(Stop::Stopped(reason)) => return self.stopped(job, reason).await,
                Err(Stop::Failed(error)) => {
                    let failed = Completion::new(job, JobOutcome::Failed(error));
                    return Finished::Complete(Box::new(failed));
                }
            },
        };
        match self.wait(job, created, flight).await {
            Ok(ended) => self.ended(job, ended).await,
            Err(reason) => self.stopped(job, reason).await,
        }
    }

    /// This host's Jobs from the watcher's first list (waiting for it at
    /// most 30 s): those whose host label is this host's.
    async fn running(&self) -> Vec<Lease> {
        let mut seen = self.seen.clone();
        let listed =
            tokio::time::timeout(Duration::from_secs(30), seen.wait_for(|seen| seen.listed)).await;
        let Ok(Ok(seen)) = listed else {
            tracing::warn!(
                "the Kubernetes API did not list this host's Jobs within 30 s; their jobs will be rescued when their pods stop heartbeating"
            );
            return Vec::new();
        };
        let host = |job: &KubeJob| {
            job.metadata.labels.as_ref().and_then(|labels| labels.get(HOST).cloned())
        };
        let mine = seen
            .jobs
            .values()
            .filter(|job| host(job).as_deref() == Some(self.config.host.as_str()));
        mine.filter_map(|job| lease_of(job)).collect()
    }
}

/// The lease a Job runs under, from its labels.
fn lease_of(job: &KubeJob) -> Option<Lease> {
    let labels = job.metadata.labels.as_ref()?;
    Some(Lease {
        job_id: labels.get(JOB_ID)?.parse().ok()?,
        attempt: labels.get(ATTEMPT)?.parse().ok()?,
    })
}

/// Keeps `seen` up to date with the executor Jobs of the namespace (all
/// hosts': a Job another host created may be adopted). The watcher lists,
/// then watches; a dropped watch is resumed, and API errors back off.
async fn watch_jobs(jobs: Api<KubeJob>, seen: watch::Sender<Seen>) {
    let selector = manifest::SELECTOR;
    let name = |job: &KubeJob| job.metadata.name.clone().unwrap_or_default();
    let mut listing: Option<HashMap<String, Arc<KubeJob>>> = None;
    let events =
        watcher::watcher(jobs, watcher::Config::default().labels(selector)).default_backoff();
    futures_util::pin_mut!(events);
    while let Some(event) = events.next().await {
        match event {
            Ok(Event::Init) => listing = Some(HashMap::new()),
            Ok(Event::InitApply(job)) => {
                listing.get_or_insert_default().insert(name(&job), Arc::new(job));
            }
            Ok(Event::InitDone) => {
                let jobs = listing.take().unwrap_or_default();
                seen.send_modify(|seen| {
                    seen.jobs = jobs;
                    seen.listed = true;
                });
            }
            Ok(Event::Apply(job)) => seen.send_modify(|seen| {
                seen.jobs.insert(name(&job), Arc::new(job));
            }),
            Ok(Event::Delete(job)) => seen.send_modify(|seen| {
                seen.jobs.remove(&name(&job));
            }),
            Err(error) => {
                tracing::warn!(error = %kiln_core::ErrorChain(&error), "watching the executor's Jobs failed; retrying")
            }
        }
    }
}
