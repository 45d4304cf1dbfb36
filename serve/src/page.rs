//! `GET /`: one self-contained HTML page (no build step, no network but this server) where a
//! person draws on a canvas and sees the network's output for the drawing.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use liandan::Float;

use crate::http::App;

/// The page; `{{MODEL}}` becomes the model's name, from which the script reads the metadata.
const PAGE: &str = include_str!("page.html");

/// `GET /`.
pub(crate) async fn page<E: Float>(State(app): State<Arc<App<E>>>) -> Response {
    let name: String = app
        .name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    let html = HeaderValue::from_static("text/html; charset=utf-8");
    (
        [(header::CONTENT_TYPE, html)],
        PAGE.replace("{{MODEL}}", &name),
    )
        .into_response()
}
