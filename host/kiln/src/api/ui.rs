//! `/ui`: the playground, a page that uses the public API with a key the
//! user pastes. Its files are compiled into the binary, so there is nothing
//! to build or install at run time.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::problem::ApiError;

/// Each file with its media type.
const FILES: &[(&str, &str, &str)] = &[
    ("", "text/html; charset=utf-8", include_str!("../ui/index.html")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../ui/app.js")),
    ("style.css", "text/css; charset=utf-8", include_str!("../ui/style.css")),
    (
        "vendor/ajv2020.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../ui/vendor/ajv2020.min.js"),
    ),
];

/// Scripts and styles from this server only; `unsafe-eval` because Ajv
/// compiles each schema into a function. No page may frame this one.
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-eval'; img-src 'self' blob: data:; \
                   object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub(crate) async fn redirect() -> Redirect {
    Redirect::permanent("/ui/")
}

pub(crate) async fn index() -> Result<Response, ApiError> {
    file(Path(String::new())).await
}

pub(crate) async fn file(Path(path): Path<String>) -> Result<Response, ApiError> {
    let (_, media_type, body) = FILES
        .iter()
        .find(|(name, _, _)| *name == path)
        .ok_or(ApiError::NotFound("playground file"))?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Always revalidated, so a new server version's page is never mixed
    // with an old script.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}
