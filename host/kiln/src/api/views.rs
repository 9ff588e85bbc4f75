//! What the API returns for jobs and artifacts: the stored records plus
//! absolute links, so a client (or a webhook receiver) can follow them.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use kiln_core::{
    Artifact, ArtifactId, AssetRef, Job, JobError, JobId, JobState, PluginRef, Progress,
    UsageReport, WebhookState,
};
use kiln_queue::{JobStore, Scope};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::preview::Format;

/// A job as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobView {
    pub(crate) id: Uuid,
    /// The artifact type, e.g. `xlsx`.
    #[serde(rename = "type")]
    pub(crate) artifact_type: String,
    pub(crate) state: JobState,
    pub(crate) session_id: String,
    pub(crate) conversation_id: Option<String>,
    pub(crate) display_name: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub(crate) metadata: Option<serde_json::Value>,
    pub(crate) callback_url: Option<String>,
    /// The spec as submitted; only with `?include=spec`, since it can be large.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub(crate) spec: Option<serde_json::Value>,
    pub(crate) assets: Vec<AssetRef>,
    pub(crate) progress: Option<Progress>,
    /// The final failure when `failed`; the failure being retried when `queued` again.
    pub(crate) error: Option<JobError>,
    pub(crate) attempt: i32,
    pub(crate) max_attempts: i32,
    /// A cancel was asked for and the worker is stopping the job.
    pub(crate) cancel_requested: bool,
    /// The plugin build that ran the job.
    pub(crate) plugin: Option<PluginRef>,
    /// What the last run used.
    pub(crate) usage: Option<UsageReport>,
    pub(crate) webhook: Option<WebhookView>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) started_at: Option<DateTime<Utc>>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
    /// The files produced (present on single-job responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) artifacts: Option<Vec<ArtifactView>>,
    pub(crate) links: JobLinks,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookView {
    pub(crate) state: WebhookState,
    /// Deliveries tried so far.
    pub(crate) attempts: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobLinks {
    #[serde(rename = "self")]
    pub(crate) this: String,
    /// Server-sent events of the job.
    pub(crate) events: String,
    pub(crate) log: String,
    pub(crate) cancel: String,
}

/// A generated file.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ArtifactView {
    pub(crate) id: Uuid,
    pub(crate) job_id: Uuid,
    pub(crate) session_id: String,
    #[serde(rename = "type")]
    pub(crate) artifact_type: String,
    /// The path the plugin wrote, e.g. `report.xlsx`.
    pub(crate) path: String,
    /// The name a download is saved under.
    pub(crate) filename: String,
    pub(crate) media_type: String,
    pub(crate) size: u64,
    /// Hex sha256 of the content.
    pub(crate) sha256: String,
    pub(crate) created_at: DateTime<Utc>,
    /// The plugin version that made it: name, version and the sha256 of
    /// its component.
    pub(crate) plugin: Option<PluginRef>,
    pub(crate) links: ArtifactLinks,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ArtifactLinks {
    #[serde(rename = "self")]
    pub(crate) this: String,
    /// Download (with the API key).
    pub(crate) content: String,
    /// POST here for a pre-signed URL that needs no key.
    pub(crate) url: String,
    /// Small renderings of the file, by format: `png` for every file,
    /// `svg` for PDF, docx and pptx, `html` for xlsx. Empty when this
    /// server makes no previews.
    pub(crate) previews: BTreeMap<&'static str, String>,
}

/// Builds views with absolute links under the server's public URL.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    base: String,
    /// Whether this server makes previews.
    previews: bool,
}

impl Links {
    pub(crate) fn new(public_url: &str, previews: bool) -> Self {
        Self { base: public_url.trim_end_matches('/').to_owned(), previews }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn job(&self, job: Job, artifacts: Option<Vec<Artifact>>) -> JobView {
        let this = self.url(&format!("/v1/jobs/{}", job.id));
        let artifacts = artifacts.map(|artifacts| {
            let names = filenames(job.display_name.as_deref(), &artifacts);
            artifacts
                .into_iter()
                .zip(names)
                .map(|(artifact, name)| self.artifact(artifact, name))
                .collect()
        });
        JobView {
            id: job.id.into(),
            artifact_type: job.artifact_type,
            state: job.state,
            session_id: job.session_id,
            conversation_id: job.conversation_id,
            display_name: job.display_name,
            metadata: job.metadata,
            callback_url: job.callback_url,
            spec: None,
            assets: job.assets,
            progress: job.progress,
            error: job.error,
            attempt: job.attempt,
            max_attempts: job.max_attempts,
            cancel_requested: job.cancel_requested,
            plugin: job.plugin,
            usage: job.usage,
            webhook: job
                .webhook_state
                .map(|state| WebhookView { state, attempts: job.webhook_attempts }),
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            artifacts,
            links: JobLinks {
                events: format!("{this}/events"),
                log: format!("{this}/log"),
                cancel: format!("{this}/cancel"),
                this,
            },
        }
    }

    pub(crate) fn artifact(&self, artifact: Artifact, filename: String) -> ArtifactView {
        let this = self.url(&format!("/v1/artifacts/{}", artifact.id));
        let previews = if self.previews { Format::offered(&artifact.media_type) } else { &[] }
            .iter()
            .map(|format| (format.name(), format!("{this}/preview?format={}", format.name())))
            .collect();
        ArtifactView {
            id: artifact.id.into(),
            job_id: artifact.job_id.into(),
            session_id: artifact.session_id,
            artifact_type: artifact.artifact_type,
            path: artifact.path,
            filename,
            media_type: artifact.media_type,
            size: artifact.size,
            sha256: artifact.sha256,
            plugin: artifact.plugin,
            created_at: artifact.created_at,
            links: ArtifactLinks {
                content: format!("{this}/content"),
                url: format!("{this}/url"),
                previews,
                this,
            },
        }
    }

    /// Views of artifacts from any jobs, with their download names (which
    /// depend on each job's display name and file count).
    pub(crate) async fn artifacts(
        &self,
        store: &dyn JobStore,
        scope: Scope,
        artifacts: Vec<Artifact>,
    ) -> kiln_queue::Result<Vec<ArtifactView>> {
        let names = download_names(store, scope, &artifacts).await?;
        Ok(artifacts
            .into_iter()
            .map(|artifact| {
                let name = names
                    .get(&artifact.id)
                    .cloned()
                    .unwrap_or_else(|| basename(&artifact.path).to_owned());
                self.artifact(artifact, name)
            })
            .collect())
    }
}

/// Download names of artifacts of any jobs; a job's other files need not be
/// in `artifacts` (a single artifact's name depends on its siblings).
pub(crate) async fn download_names(
    store: &dyn JobStore,
    scope: Scope,
    artifacts: &[Artifact],
) -> kiln_queue::Result<HashMap<ArtifactId, String>> {
    let mut names = HashMap::new();
    let mut jobs: Vec<JobId> = artifacts.iter().map(|artifact| artifact.job_id).collect();
    jobs.sort_unstable();
    jobs.dedup();
    for job_id in jobs {
        let Some(job) = store.get(scope, job_id).await? else { continue };
        let siblings = match job.display_name {
            Some(_) => store.artifacts(scope, job_id).await?,
            None => {
                artifacts.iter().filter(|artifact| artifact.job_id == job_id).cloned().collect()
            }
        };
        for (artifact, name) in
            siblings.iter().zip(filenames(job.display_name.as_deref(), &siblings))
        {
            names.insert(artifact.id, name);
        }
    }
    Ok(names)
}

/// A job's download names: its display name (plus the file's extension)
/// when it made one file, else each file's own name.
fn filenames(display_name: Option<&str>, artifacts: &[Artifact]) -> Vec<String> {
    match (display_name, artifacts) {
        (Some(display), [only]) => {
            let extension = basename(&only.path).rsplit_once('.').map(|(_, extension)| extension);
            match extension {
                Some(extension)
                    if !display
                        .to_lowercase()
                        .ends_with(&format!(".{}", extension.to_lowercase())) =>
                {
                    vec![format!("{display}.{extension}")]
                }
                _ => vec![display.to_owned()],
            }
        }
        _ => artifacts.iter().map(|artifact| basename(&artifact.path).to_owned()).collect(),
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(path: &str) -> Artifact {
        Artifact {
            id: ArtifactId::now_v7(),
            job_id: JobId(uuid::Uuid::nil()),
            organisation_id: kiln_core::OrgId(uuid::Uuid::nil()),
            session_id: "s".into(),
            artifact_type: "xlsx".into(),
            path: path.into(),
            media_type: "application/octet-stream".into(),
            size: 1,
            sha256: String::new(),
            storage_key: String::new(),
            created_at: Utc::now(),
            plugin: None,
        }
    }

    #[test]
    fn a_single_file_is_named_after_the_display_name_with_its_extension() {
        assert_eq!(filenames(Some("Q1 sales"), &[artifact("out/report.xlsx")]), ["Q1 sales.xlsx"]);
        assert_eq!(filenames(Some("Q1.XLSX"), &[artifact("report.xlsx")]), ["Q1.XLSX"]);
        assert_eq!(filenames(None, &[artifact("out/report.xlsx")]), ["report.xlsx"]);
        assert_eq!(
            filenames(Some("both"), &[artifact("a.tf"), artifact("b/c.tf")]),
            ["a.tf", "c.tf"]
        );
    }
}
