//! Previews: a small PNG of the first page or slide of each generated file,
//! for a chat UI to show beside the download link.
//!
//! Pages are rendered inside the sandbox, by the previewer component
//! (`plugins/preview`, hayro) under the same kind of limits as a job. A PDF
//! goes to it as it is; other formats (documents, decks, workbooks,
//! templates) are first converted to PDF by LibreOffice in a child process
//! under limits ([`crate::limited`]). Each preview is made once, after its
//! job (or at the first request for it, if that comes sooner), one at a
//! time, and stored beside its file; a preview that cannot be made is
//! recorded with the reason, and the file is delivered all the same.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::TryStreamExt;
use kiln_core::{Artifact, EventKind};
use kiln_queue::{JobStore, Notice, Scope};
use kiln_runtime::{Asset, GenerateRequest, Limits, Outcome, Plugin, Runtime};
use kiln_storage::{BlobKey, BlobStore};
use tokio::process::Command;
use tokio::sync::Mutex;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::limited::{self, ProcessLimits};

/// Width of a preview, pixels.
pub(crate) const WIDTH: u32 = 480;

/// What a file's preview is.
pub(crate) enum Preview {
    Png(Bytes),
    /// It could not be made, for this reason.
    Failed(String),
}

pub(crate) struct Previews {
    runtime: Arc<Runtime>,
    previewer: Plugin,
    store: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    /// LibreOffice's `soffice`, for everything but PDF.
    office: Option<PathBuf>,
    office_limits: ProcessLimits,
    /// Previews are made one at a time: a LibreOffice conversion takes a
    /// CPU and hundreds of MiB, and the service and a request asking for
    /// the same preview then make it once.
    making: Mutex<()>,
}

impl Previews {
    pub(crate) async fn load(
        runtime: Arc<Runtime>,
        store: Arc<dyn JobStore>,
        blobs: Arc<dyn BlobStore>,
        previewer: &Path,
        office: Option<PathBuf>,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;
        let previewer = runtime.load_file(previewer).await.with_context(|| {
            format!(
                "cannot load the previewer {}; build it with scripts/build-plugins or set --previewer",
                previewer.display()
            )
        })?;
        let office_limits = ProcessLimits {
            wall: Duration::from_secs(60),
            cpu: Duration::from_secs(60),
            memory_bytes: 2 << 30,
        };
        Ok(Self { runtime, previewer, store, blobs, office, office_limits, making: Mutex::new(()) })
    }

    /// The artifact's preview, made now if it has none yet.
    pub(crate) async fn of(&self, artifact: &Artifact) -> kiln_storage::Result<Preview> {
        if let Some(made) = self.made(artifact).await? {
            return Ok(made);
        }
        let _turn = self.making.lock().await;
        if let Some(made) = self.made(artifact).await? {
            return Ok(made);
        }
        let (name, media_type, bytes) = match self.render(artifact).await {
            Ok(png) => ("preview.png", "image/png", png),
            Err(reason) => {
                tracing::warn!(artifact = %artifact.id, reason, "no preview could be made");
                ("preview.error", "text/plain", Bytes::from(reason))
            }
        };
        self.write(&key(artifact, name)?, media_type, bytes.clone()).await?;
        Ok(match name {
            "preview.png" => Preview::Png(bytes),
            _ => Preview::Failed(String::from_utf8_lossy(&bytes).into_owned()),
        })
    }

    /// The preview made earlier, or the reason none could be.
    async fn made(&self, artifact: &Artifact) -> kiln_storage::Result<Option<Preview>> {
        if let Some(png) = self.read(&key(artifact, "preview.png")?).await? {
            return Ok(Some(Preview::Png(png)));
        }
        let reason = self.read(&key(artifact, "preview.error")?).await?;
        Ok(reason.map(|reason| Preview::Failed(String::from_utf8_lossy(&reason).into_owned())))
    }

    /// Makes the previews of each job's files as the job succeeds, until
    /// `stop`. A preview asked for before this gets to it is made then.
    pub(crate) async fn run(self: Arc<Self>, stop: CancellationToken) {
        let mut notices = self.store.subscribe();
        loop {
            let job = tokio::select! {
                () = stop.cancelled() => return,
                notice = notices.recv() => match notice {
                    Ok(Notice::Event { job_id, kind: EventKind::Succeeded, .. }) => job_id,
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return,
                },
            };
            let artifacts = match self.store.artifacts(Scope::Operator, job).await {
                Ok(artifacts) => artifacts,
                Err(err) => {
                    tracing::warn!(%job, error = %kiln_core::ErrorChain(&err), "cannot list a job's files for previews");
                    continue;
                }
            };
            for artifact in &artifacts {
                if let Err(err) = self.of(artifact).await {
                    tracing::warn!(artifact = %artifact.id, error = %kiln_core::ErrorChain(&err), "cannot store a preview");
                }
            }
        }
    }

    /// The PNG, or why there is none.
    async fn render(&self, artifact: &Artifact) -> Result<Bytes, String> {
        let key = BlobKey::artifact(
            artifact.organisation_id,
            &artifact.session_id,
            artifact.job_id,
            &artifact.path,
        )
        .map_err(|err| err.to_string())?;
        let file = self
            .read(&key)
            .await
            .map_err(|err| format!("cannot read the file: {err}"))?
            .ok_or("the file is gone")?;
        let pdf = if artifact.media_type == "application/pdf" {
            file
        } else {
            self.to_pdf(&artifact.media_type, &artifact.path, &file).await?
        };
        let out = tempfile::tempdir().map_err(|err| format!("no temporary directory: {err}"))?;
        let mut request = GenerateRequest::new(format!(r#"{{"width": {WIDTH}}}"#), out.path());
        request.assets = vec![Asset {
            name: "document.pdf".into(),
            media_type: "application/pdf".into(),
            bytes: pdf,
        }];
        request.limits = Limits {
            memory_bytes: 512 << 20,
            cpu_time: Duration::from_secs(10),
            wall_clock: Duration::from_secs(20),
            output_bytes: 16 << 20,
            output_files: 1,
            ..Limits::default()
        };
        let report = self
            .runtime
            .generate(&self.previewer, request)
            .await
            .map_err(|err| format!("the previewer could not run: {err}"))?;
        match report.outcome {
            Outcome::Succeeded => std::fs::read(out.path().join("preview.png"))
                .map(Bytes::from)
                .map_err(|err| format!("the previewer wrote no image: {err}")),
            outcome => Err(format!("the page could not be rendered: {outcome}")),
        }
    }

    /// The file as a PDF, converted by LibreOffice.
    async fn to_pdf(&self, media_type: &str, path: &str, file: &[u8]) -> Result<Bytes, String> {
        let office = self.office.as_ref().ok_or(
            "previews of this format need LibreOffice, which is not installed on this server \
             (install it, or point --soffice at its soffice)",
        )?;
        // LibreOffice picks its import filter by extension: the formats it
        // knows keep theirs, text of any kind (HCL, YAML, JSON) is text.
        let extension = match path.rsplit_once('.').map(|(_, extension)| extension) {
            Some(
                known @ ("docx" | "xlsx" | "pptx" | "odt" | "ods" | "odp" | "csv" | "html" | "svg"),
            ) => known,
            _ if media_type.starts_with("text/")
                || media_type.ends_with("json")
                || media_type.ends_with("yaml") =>
            {
                "txt"
            }
            _ => return Err(format!("no preview for {media_type} files")),
        };
        let dir = tempfile::tempdir().map_err(|err| format!("no temporary directory: {err}"))?;
        let input = dir.path().join(format!("document.{extension}"));
        std::fs::write(&input, file).map_err(|err| format!("cannot write the file out: {err}"))?;
        let mut command = Command::new(office);
        command
            .arg("--headless")
            .arg("--norestore")
            .arg("--nolockcheck")
            // A profile of its own: nothing it reads or writes is shared.
            .arg(format!("-env:UserInstallation=file://{}/profile", dir.path().display()))
            .args(["--convert-to", "pdf", "--outdir"])
            .arg(dir.path())
            .arg(&input)
            .env("HOME", dir.path());
        let output = limited::run(command, &self.office_limits)
            .await
            .map_err(|stopped| format!("LibreOffice could not convert it: {stopped}"))?;
        match std::fs::read(dir.path().join("document.pdf")) {
            Ok(pdf) if output.status.success() => Ok(Bytes::from(pdf)),
            _ => Err(format!("LibreOffice could not convert it: {}", limited::failure(&output))),
        }
    }

    async fn read(&self, key: &BlobKey) -> kiln_storage::Result<Option<Bytes>> {
        match self.blobs.get(key, None).await {
            Ok(blob) => {
                let chunks: Vec<Bytes> = blob.body.try_collect().await.map_err(|source| {
                    kiln_storage::Error::Io { context: format!("reading {key}"), source }
                })?;
                Ok(Some(chunks.concat().into()))
            }
            Err(kiln_storage::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    async fn write(
        &self,
        key: &BlobKey,
        media_type: &str,
        bytes: Bytes,
    ) -> kiln_storage::Result<()> {
        let size = bytes.len() as u64;
        let body = futures_util::stream::once(async move { Ok(bytes) });
        self.blobs.put_stream(key, Box::pin(body), media_type, size).await.map(drop)
    }
}

/// Where an artifact's preview, or the reason it has none, is kept.
pub(crate) fn keys(artifact: &Artifact) -> kiln_storage::Result<[BlobKey; 2]> {
    Ok([key(artifact, "preview.png")?, key(artifact, "preview.error")?])
}

fn key(artifact: &Artifact, kind: &str) -> kiln_storage::Result<BlobKey> {
    BlobKey::derived(
        artifact.organisation_id,
        &artifact.session_id,
        artifact.job_id,
        artifact.id,
        kind,
    )
}
