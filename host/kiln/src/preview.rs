//! Previews: small renderings of each generated file, for a chat UI to
//! show beside the download link. Every file gets a PNG of its first page
//! or slide; page-based documents (PDF, docx, pptx) an SVG of it too, which
//! stays sharp at any size; workbooks their sheets as HTML tables.
//!
//! Previews are made inside the sandbox, by the previewer component
//! (`plugins/preview`: hayro for pages, calamine for workbooks) under the
//! same kind of limits as a job. A PDF goes to it as it is; other formats
//! (documents, decks, workbooks, templates) are first converted to PDF by
//! LibreOffice in a child process under limits ([`crate::limited`]), once
//! for all of a file's page previews. A file's previews are made together,
//! after its job (or at the first request for one, if that comes sooner),
//! one file at a time, and stored beside it; a preview that cannot be made
//! is recorded with the reason, and the file is delivered all the same.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::TryStreamExt;
use kiln_core::{Artifact, EventKind};
use kiln_queue::{JobStore, Notice, Scope};
use kiln_runtime::{Asset, GenerateRequest, Limits, Outcome, Plugin, Runtime};
use kiln_storage::{BlobKey, BlobStore};
use serde::Deserialize;
use tokio::process::Command;
use tokio::sync::Mutex;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::limited::{self, ProcessLimits};

/// Width of a PNG preview, pixels.
pub(crate) const WIDTH: u32 = 480;

/// A kind of preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    /// The first page or slide, 480 pixels wide.
    Png,
    /// The first page or slide as vector graphics.
    Svg,
    /// The sheets of a workbook as HTML tables.
    Html,
}

impl Format {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Svg => "svg",
            Self::Html => "html",
        }
    }

    pub(crate) fn media_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Svg => "image/svg+xml",
            Self::Html => "text/html; charset=utf-8",
        }
    }

    /// The previews a file of this media type gets.
    pub(crate) fn offered(media_type: &str) -> &'static [Self] {
        match media_type {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
                &[Self::Png, Self::Html]
            }
            "application/pdf"
            | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            | "application/vnd.openxmlformats-officedocument.presentationml.presentation" => {
                &[Self::Png, Self::Svg]
            }
            _ => &[Self::Png],
        }
    }
}

/// What one of a file's previews is.
pub(crate) enum Preview {
    Made(Bytes),
    /// It could not be made, for this reason.
    Failed(String),
}

pub(crate) struct Previews {
    runtime: Arc<Runtime>,
    previewer: Plugin,
    store: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    /// LibreOffice's `soffice`, for page previews of anything but PDF.
    office: Option<PathBuf>,
    office_limits: ProcessLimits,
    /// Files are previewed one at a time: a LibreOffice conversion takes a
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

    /// The artifact's preview in `format`, one of [`Format::offered`] for
    /// it, made now (with its others) if it has none yet.
    pub(crate) async fn of(
        &self,
        artifact: &Artifact,
        format: Format,
    ) -> kiln_storage::Result<Preview> {
        if let Some(made) = self.made(artifact, format).await? {
            return Ok(made);
        }
        let _turn = self.making.lock().await;
        if let Some(made) = self.made(artifact, format).await? {
            return Ok(made);
        }
        let made = self.make(artifact).await?;
        Ok(made.into_iter().find(|(made, _)| *made == format).map_or_else(
            || {
                Preview::Failed(format!(
                    "{} files have no {} preview",
                    artifact.media_type,
                    format.name()
                ))
            },
            |(_, preview)| preview,
        ))
    }

    /// The preview made earlier, or the reason none could be.
    async fn made(
        &self,
        artifact: &Artifact,
        format: Format,
    ) -> kiln_storage::Result<Option<Preview>> {
        let [made, failed] = keys_of(artifact, format)?;
        if let Some(bytes) = self.read(&made).await? {
            return Ok(Some(Preview::Made(bytes)));
        }
        let reason = self.read(&failed).await?;
        Ok(reason.map(|reason| Preview::Failed(String::from_utf8_lossy(&reason).into_owned())))
    }

    /// Makes and stores each of the file's previews, or the reason it
    /// could not be made.
    async fn make(&self, artifact: &Artifact) -> kiln_storage::Result<Vec<(Format, Preview)>> {
        let file = self.file(artifact).await;
        // Converted once, for every page preview.
        let mut pdf = None;
        let mut previews = Vec::new();
        for &format in Format::offered(&artifact.media_type) {
            let rendered = match &file {
                Ok(file) => self.render(artifact, format, file, &mut pdf).await,
                Err(reason) => Err(reason.clone()),
            };
            let [made, failed] = keys_of(artifact, format)?;
            let preview = match rendered {
                Ok(bytes) => {
                    self.write(&made, format.media_type(), bytes.clone()).await?;
                    Preview::Made(bytes)
                }
                Err(reason) => {
                    tracing::warn!(artifact = %artifact.id, format = format.name(), reason, "no preview could be made");
                    self.write(&failed, "text/plain", Bytes::from(reason.clone())).await?;
                    Preview::Failed(reason)
                }
            };
            previews.push((format, preview));
        }
        Ok(previews)
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
                // Of the servers following this job, the one that claims a
                // file makes its previews; a request to any server for one
                // not yet made makes it there.
                match self.store.claim_previews(artifact.id).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(err) => {
                        tracing::warn!(artifact = %artifact.id, error = %kiln_core::ErrorChain(&err), "cannot claim a file's previews");
                        continue;
                    }
                }
                // Every file has a PNG; making one makes all of the file's.
                if let Err(err) = self.of(artifact, Format::Png).await {
                    tracing::warn!(artifact = %artifact.id, error = %kiln_core::ErrorChain(&err), "cannot store a preview");
                }
            }
        }
    }

    /// The generated file, or why it cannot be read.
    async fn file(&self, artifact: &Artifact) -> Result<Bytes, String> {
        let key = BlobKey::artifact(
            artifact.organisation_id,
            &artifact.session_id,
            artifact.job_id,
            &artifact.path,
        )
        .map_err(|err| err.to_string())?;
        self.read(&key)
            .await
            .map_err(|err| format!("cannot read the file: {err}"))?
            .ok_or_else(|| "the file is gone".to_owned())
    }

    /// One preview of `file`, or why there is none. `pdf` holds the file
    /// as a PDF once a page preview has needed it.
    async fn render(
        &self,
        artifact: &Artifact,
        format: Format,
        file: &Bytes,
        pdf: &mut Option<Result<Bytes, String>>,
    ) -> Result<Bytes, String> {
        let (name, media_type, bytes) = match format {
            Format::Html => ("workbook.xlsx", artifact.media_type.as_str(), file.clone()),
            Format::Png | Format::Svg => {
                if pdf.is_none() {
                    *pdf = Some(if artifact.media_type == "application/pdf" {
                        Ok(file.clone())
                    } else {
                        self.to_pdf(&artifact.media_type, &artifact.path, file).await
                    });
                }
                let pdf = pdf.clone().expect("converted above")?;
                ("document.pdf", "application/pdf", pdf)
            }
        };
        let out = tempfile::tempdir().map_err(|err| format!("no temporary directory: {err}"))?;
        let spec = format!(r#"{{"format": "{}", "width": {WIDTH}}}"#, format.name());
        let mut request = GenerateRequest::new(spec, out.path());
        request.assets = vec![Asset { name: name.into(), media_type: media_type.into(), bytes }];
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
            Outcome::Succeeded => {
                std::fs::read(out.path().join(format!("preview.{}", format.name())))
                    .map(Bytes::from)
                    .map_err(|err| format!("the previewer wrote no preview: {err}"))
            }
            outcome => Err(format!("the preview could not be rendered: {outcome}")),
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

/// Where an artifact's previews, or the reasons they could not be made,
/// are kept.
pub(crate) fn keys(artifact: &Artifact) -> kiln_storage::Result<Vec<BlobKey>> {
    let mut keys = Vec::new();
    for &format in Format::offered(&artifact.media_type) {
        keys.extend(keys_of(artifact, format)?);
    }
    Ok(keys)
}

/// Where the preview in `format` is kept, and where the reason it could
/// not be made.
fn keys_of(artifact: &Artifact, format: Format) -> kiln_storage::Result<[BlobKey; 2]> {
    let made = format!("preview.{}", format.name());
    let failed = format!("{made}.error");
    let key = |kind: &str| {
        BlobKey::derived(
            artifact.organisation_id,
            &artifact.session_id,
            artifact.job_id,
            artifact.id,
            kind,
        )
    };
    Ok([key(&made)?, key(&failed)?])
}
