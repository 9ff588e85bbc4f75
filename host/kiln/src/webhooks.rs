//! Webhooks: when a job with a `callback_url` ends, kiln POSTs the job (as
//! `GET /v1/jobs/{id}` shows it, artifact links included) to that URL.
//!
//! - **Signed**: `Kiln-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//!   "<t>.<body>">` under the organisation's secret (`GET /v1/organisation`).
//! - **Retried** on connection errors, timeouts, 429 and 5xx, with
//!   exponential backoff and jitter, up to a set number of tries; other
//!   answers end it. Every try is recorded (`GET /v1/jobs/{id}/deliveries`).
//! - **Durable**: what is due lives in the job row, so deliveries survive
//!   restarts; a claim moves the next try ahead, so several servers never
//!   send the same try.
//! - **Allow-listed**: a callback URL's origin must match the
//!   `KILN_WEBHOOK_ALLOW` setting, both when the job is created and when
//!   it is delivered, and redirects are not followed, so kiln cannot be
//!   made to call into a private network.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln_core::{Job, WebhookDelivery};
use kiln_queue::{JobStore, Notice, RetryPolicy, Scope, WebhookNext};
use reqwest::Url;
use tokio_util::sync::CancellationToken;

use crate::api::signing::webhook_signature;
use crate::api::views::Links;

/// Origins callback URLs may point at. An entry is `[scheme://]host[:port]`;
/// the scheme defaults to https and the port to the scheme's; a host of
/// `*.example.com` matches its subdomains. Empty: webhooks are off.
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowList {
    entries: Vec<Origin>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl AllowList {
    pub(crate) fn parse(entries: &[String]) -> anyhow::Result<Self> {
        let entries = entries
            .iter()
            .map(|entry| entry.trim())
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let with_scheme = if entry.contains("://") {
                    entry.to_owned()
                } else {
                    format!("https://{entry}")
                };
                // `*` is not a valid host; parse a stand-in and put it back.
                let url =
                    Url::parse(&with_scheme.replacen("*.", "wildcard.", 1)).map_err(|err| {
                        anyhow::anyhow!("bad webhook allow-list entry {entry:?}: {err}")
                    })?;
                let host = url.host_str().ok_or_else(|| {
                    anyhow::anyhow!("webhook allow-list entry {entry:?} has no host")
                })?;
                let host = if with_scheme.contains("://*.") {
                    host.replacen("wildcard.", "*.", 1)
                } else {
                    host.to_owned()
                };
                let port = url.port_or_known_default().ok_or_else(|| {
                    anyhow::anyhow!("webhook allow-list entry {entry:?} needs a port")
                })?;
                Ok(Origin { scheme: url.scheme().to_owned(), host, port })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { entries })
    }

    /// Whether kiln may POST to `url`; the error says why not.
    pub(crate) fn check(&self, url: &str) -> Result<Url, String> {
        let parsed = Url::parse(url).map_err(|err| format!("not a valid URL: {err}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("must not carry credentials".into());
        }
        if self.entries.is_empty() {
            return Err("webhooks are off on this server (the operator allows hosts with KILN_WEBHOOK_ALLOW)".into());
        }
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        let port = parsed.port_or_known_default().unwrap_or_default();
        let allowed = self.entries.iter().any(|origin| {
            let host_matches = match origin.host.strip_prefix("*.") {
                Some(domain) => host.ends_with(&format!(".{domain}")),
                None => host == origin.host,
            };
            origin.scheme == parsed.scheme() && host_matches && origin.port == port
        });
        if !allowed {
            return Err(format!(
                "{}://{host}:{port} is not on this server's webhook allow-list",
                parsed.scheme()
            ));
        }
        Ok(parsed)
    }
}

/// How deliveries are made.
#[derive(Debug, Clone)]
pub(crate) struct WebhookConfig {
    pub(crate) allow: AllowList,
    /// Tries per job, the first included.
    pub(crate) max_attempts: i32,
    /// Waits between tries: the queue's backoff, from the wait before the
    /// second try.
    pub(crate) backoff: RetryPolicy,
    pub(crate) timeout: Duration,
}

/// Deliveries claimed per round.
const BATCH: usize = 32;
/// Longer than any one try, so a claimed delivery is not taken twice.
const CLAIM: Duration = Duration::from_secs(120);
/// Least time between two claims.
const CLAIM_GAP: Duration = Duration::from_millis(20);

/// Sends due webhooks until `stop`: at once when a job ends, and every
/// second for retries that fall due.
pub(crate) async fn run(
    store: Arc<dyn JobStore>,
    links: Links,
    config: WebhookConfig,
    stop: CancellationToken,
) {
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .user_agent(concat!("kiln/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = %kiln_core::ErrorChain(&err), "webhooks are off: cannot build an HTTP client");
            return;
        }
    };
    let mut notices = store.subscribe();
    loop {
        // Jobs ending one after another share a claim: a claim takes the
        // database's one writer, and most jobs have no webhook.
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(CLAIM_GAP) => {}
        }
        match store.claim_webhooks(BATCH, CLAIM).await {
            Ok(jobs) if !jobs.is_empty() => {
                let full = jobs.len() == BATCH;
                let sends = jobs
                    .into_iter()
                    .map(|job| deliver(&client, store.as_ref(), &links, &config, job));
                futures_util::future::join_all(sends).await;
                if full {
                    continue;
                }
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %kiln_core::ErrorChain(&err), "claiming webhook deliveries failed; retrying")
            }
        }
        let tick = tokio::time::sleep(Duration::from_secs(1));
        tokio::pin!(tick);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = &mut tick => break,
                notice = notices.recv() => match notice {
                    Ok(Notice::Event { kind, .. }) if kind.is_terminal() => break,
                    Ok(_) => {}
                    Err(_) => break,
                },
            }
        }
    }
}

async fn deliver(
    client: &reqwest::Client,
    store: &dyn JobStore,
    links: &Links,
    config: &WebhookConfig,
    job: Job,
) {
    let attempt = job.webhook_attempts;
    let url = job.callback_url.clone().unwrap_or_default();
    let start = Instant::now();
    let result = send(client, store, links, config, job.clone()).await;
    let (status, error, next) = match result {
        Ok(status) if (200..300).contains(&status) => (Some(status), None, WebhookNext::Delivered),
        Ok(status) if status == 429 || status >= 500 => {
            (Some(status), Some(format!("answered {status}")), retry(config, attempt))
        }
        Ok(status) => {
            (Some(status), Some(format!("answered {status}; not retried")), WebhookNext::GiveUp)
        }
        Err(Failure::Retry(error)) => (None, Some(error), retry(config, attempt)),
        Err(Failure::Final(error)) => (None, Some(error), WebhookNext::GiveUp),
    };
    let delivery = WebhookDelivery {
        job_id: job.id,
        attempt,
        url,
        status,
        error,
        duration_ms: start.elapsed().as_secs_f64() * 1000.0,
        created_at: chrono::Utc::now(),
    };
    if let Err(err) = store.record_delivery(&delivery, next).await {
        tracing::warn!(error = %kiln_core::ErrorChain(&err), job = %job.id, "recording a webhook delivery failed; it will be tried again");
    }
}

enum Failure {
    Retry(String),
    Final(String),
}

async fn send(
    client: &reqwest::Client,
    store: &dyn JobStore,
    links: &Links,
    config: &WebhookConfig,
    job: Job,
) -> Result<u16, Failure> {
    let url = config
        .allow
        .check(job.callback_url.as_deref().unwrap_or_default())
        .map_err(Failure::Final)?;
    let scope = Scope::Organisation(job.organisation_id);
    let artifacts = store
        .artifacts(scope, job.id)
        .await
        .map_err(|err| Failure::Retry(format!("reading the job: {err}")))?;
    let secret = store
        .webhook_secret(job.organisation_id)
        .await
        .map_err(|err| Failure::Retry(format!("reading the secret: {err}")))?;
    let delivery_id = format!("{}-{}", job.id, job.webhook_attempts);
    let body = serde_json::to_vec(&serde_json::json!({
        "event": "job.finished",
        "job": links.job(job, Some(artifacts)),
    }))
    .map_err(|err| Failure::Final(err.to_string()))?;
    let signature = webhook_signature(&secret, chrono::Utc::now().timestamp(), &body);
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("kiln-signature", signature)
        .header("kiln-delivery", delivery_id)
        .body(body)
        .send()
        .await
        .map_err(|err| Failure::Retry(format!("{err:#}")))?;
    Ok(response.status().as_u16())
}

/// Backoff with jitter after try `attempt`, or give up after the last.
fn retry(config: &WebhookConfig, attempt: i32) -> WebhookNext {
    if attempt >= config.max_attempts {
        return WebhookNext::GiveUp;
    }
    WebhookNext::RetryAt(chrono::Utc::now() + config.backoff.delay(attempt))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(entries: &[&str]) -> AllowList {
        AllowList::parse(&entries.iter().map(|entry| entry.to_string()).collect::<Vec<_>>())
            .unwrap()
    }

    #[test]
    fn callback_urls_must_match_an_allowed_origin() {
        let list = allow(&["hooks.example.com", "*.example.org", "http://127.0.0.1:9000"]);
        assert!(list.check("https://hooks.example.com/kiln").is_ok());
        assert!(list.check("https://a.b.example.org/x").is_ok());
        assert!(list.check("http://127.0.0.1:9000/hook").is_ok());
        assert!(list.check("http://hooks.example.com/kiln").is_err(), "scheme must match");
        assert!(list.check("https://hooks.example.com:8443/").is_err(), "port must match");
        assert!(list.check("https://example.org/").is_err(), "a wildcard needs a subdomain");
        assert!(list.check("http://127.0.0.1:9001/").is_err());
        assert!(list.check("http://169.254.169.254/latest/meta-data").is_err());
        assert!(list.check("https://user:pw@hooks.example.com/").is_err());
        assert!(list.check("ftp://hooks.example.com/").is_err());
        assert!(
            allow(&[])
                .check("https://hooks.example.com/")
                .unwrap_err()
                .contains("KILN_WEBHOOK_ALLOW")
        );
    }

    #[test]
    fn retries_back_off_and_stop_at_the_last_try() {
        let config = WebhookConfig {
            allow: AllowList::default(),
            max_attempts: 3,
            backoff: RetryPolicy { base: Duration::from_secs(10), max: Duration::from_secs(15) },
            timeout: Duration::from_secs(1),
        };
        let now = chrono::Utc::now();
        match retry(&config, 2) {
            WebhookNext::RetryAt(at) => {
                let delay = (at - now).to_std().unwrap();
                assert!(
                    delay >= Duration::from_millis(7400) && delay <= Duration::from_millis(15_100),
                    "{delay:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(retry(&config, 3), WebhookNext::GiveUp);
    }
}
