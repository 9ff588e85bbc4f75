//! Where `kiln worker` and `kiln serve` run the jobs they claim:
//! `--executor in-process` (sandboxes in this process, the default) or
//! `--executor kubernetes` (a pod per job, with the `kubernetes` feature).

use std::sync::Arc;

use clap::{Args, ValueEnum};
use kiln_executor::{Executor, RunSettings, WorkerConfig};
use kiln_queue::JobStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExecutorKind {
    /// Each job in a sandbox inside this process.
    InProcess,
    /// Each job in a pod of its own: a Kubernetes Job running `kiln run-job`
    /// (see the KILN_K8S_* settings).
    Kubernetes,
}

#[derive(Args)]
pub(crate) struct ExecutorArgs {
    /// Where the workers run jobs.
    #[arg(long, env = "KILN_EXECUTOR", value_enum, default_value_t = ExecutorKind::InProcess)]
    pub(crate) executor: ExecutorKind,
    #[cfg(feature = "kubernetes")]
    #[command(flatten)]
    kubernetes: kubernetes::KubernetesArgs,
}

impl ExecutorArgs {
    /// The pod-per-job executor, with `config`'s concurrency set to its
    /// limit of pods in flight.
    pub(crate) async fn kubernetes(
        &self,
        store: Arc<dyn JobStore>,
        settings: &RunSettings,
        config: &mut WorkerConfig,
    ) -> anyhow::Result<Arc<dyn Executor>> {
        #[cfg(feature = "kubernetes")]
        return self.kubernetes.executor(store, settings, config).await;
        #[cfg(not(feature = "kubernetes"))]
        {
            let _ = (store, settings, config);
            anyhow::bail!(
                "this kiln was built without the kubernetes executor; build it with \
                 `cargo build --features kubernetes` (the Dockerfile does), or set \
                 KILN_EXECUTOR=in-process"
            )
        }
    }
}

#[cfg(feature = "kubernetes")]
mod kubernetes {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::time::Duration;

    use anyhow::Context;
    use clap::Args;
    use kiln_executor::kubernetes::{KubernetesConfig, KubernetesExecutor};
    use kiln_executor::{Executor, RunSettings, WorkerConfig};
    use kiln_queue::JobStore;

    /// Time a job's pod gets beyond the sandbox's wall-clock limit before
    /// Kubernetes stops it: pulling the image, loading the plugins.
    const START_ALLOWANCE: Duration = Duration::from_secs(300);

    #[derive(Args)]
    #[command(next_help_heading = "Kubernetes executor (--executor kubernetes)")]
    pub(super) struct KubernetesArgs {
        /// Namespace the job pods run in.
        #[arg(
            long,
            env = "KILN_K8S_NAMESPACE",
            value_name = "NAME",
            default_value = "kiln-executor"
        )]
        k8s_namespace: String,
        /// The kiln image job pods run; it must be this kiln's version.
        #[arg(long, env = "KILN_K8S_IMAGE", value_name = "IMAGE")]
        k8s_image: Option<String>,
        /// Service account of the job pods (it needs no permissions).
        #[arg(
            long,
            env = "KILN_K8S_SERVICE_ACCOUNT",
            value_name = "NAME",
            default_value = "kiln-job"
        )]
        k8s_service_account: String,
        /// Secret in the namespace whose keys become the job pods'
        /// environment: KILN_DATABASE_URL and the KILN_S3_* settings.
        #[arg(long, env = "KILN_K8S_ENV_SECRET", value_name = "NAME")]
        k8s_env_secret: Option<String>,
        /// CPU of each job pod, requested and limited (a Kubernetes quantity).
        #[arg(long, env = "KILN_K8S_CPU", value_name = "QUANTITY", default_value = "1")]
        k8s_cpu: String,
        /// Memory of each job pod, requested and limited: the sandbox's
        /// memory limit plus about 300 MiB for kiln itself.
        #[arg(long, env = "KILN_K8S_MEMORY", value_name = "QUANTITY", default_value = "1Gi")]
        k8s_memory: String,
        /// RuntimeClass of the job pods (gVisor, Kata), if the cluster has one.
        #[arg(long, env = "KILN_K8S_RUNTIME_CLASS", value_name = "NAME")]
        k8s_runtime_class: Option<String>,
        /// Node labels job pods must match, as `key=value,key=value`.
        #[arg(long, env = "KILN_K8S_NODE_SELECTOR", value_name = "LABELS")]
        k8s_node_selector: Option<String>,
        /// Tolerations of the job pods, as a JSON list of Kubernetes
        /// tolerations, e.g. [{"key":"kiln","operator":"Exists","effect":"NoSchedule"}].
        #[arg(long, env = "KILN_K8S_TOLERATIONS", value_name = "JSON")]
        k8s_tolerations: Option<String>,
        /// Job pods this worker keeps in flight (in place of
        /// KILN_WORKER_CONCURRENCY).
        #[arg(long, env = "KILN_K8S_MAX_JOBS", value_name = "N", default_value_t = 20)]
        k8s_max_jobs: usize,
        /// Job pods of one organisation this worker keeps in flight.
        #[arg(long, env = "KILN_K8S_MAX_JOBS_PER_ORG", value_name = "N", default_value_t = 10)]
        k8s_max_jobs_per_org: usize,
    }

    impl KubernetesArgs {
        pub(super) async fn executor(
            &self,
            store: Arc<dyn JobStore>,
            settings: &RunSettings,
            config: &mut WorkerConfig,
        ) -> anyhow::Result<Arc<dyn Executor>> {
            let image = self.k8s_image.clone().context(
                "--executor kubernetes needs the image of the job pods: set KILN_K8S_IMAGE to this kiln's image",
            )?;
            let mut k8s = KubernetesConfig::new(
                self.k8s_namespace.clone(),
                image,
                crate::worker::host_name(),
            );
            k8s.service_account = self.k8s_service_account.clone();
            k8s.env_secret = self.k8s_env_secret.clone();
            k8s.cpu = self.k8s_cpu.clone();
            k8s.memory = self.k8s_memory.clone();
            k8s.runtime_class = self.k8s_runtime_class.clone();
            if let Some(labels) = &self.k8s_node_selector {
                k8s.node_selector = node_selector(labels)?;
            }
            if let Some(json) = &self.k8s_tolerations {
                k8s.tolerations = serde_json::from_str(json).with_context(|| {
                    format!(
                        "KILN_K8S_TOLERATIONS is not a JSON list of Kubernetes tolerations: {json}"
                    )
                })?;
            }
            k8s.max_per_organisation = self.k8s_max_jobs_per_org.max(1);
            k8s.deadline = settings.limits.wall_clock + START_ALLOWANCE;
            config.concurrency = self.k8s_max_jobs.max(1);
            Ok(Arc::new(KubernetesExecutor::connect(store, k8s).await?))
        }
    }

    fn node_selector(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
        text.split(',')
            .filter(|pair| !pair.trim().is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((key, value)) if !key.trim().is_empty() => {
                    Ok((key.trim().to_owned(), value.trim().to_owned()))
                }
                _ => anyhow::bail!("KILN_K8S_NODE_SELECTOR: {pair:?} is not key=value"),
            })
            .collect()
    }
}
