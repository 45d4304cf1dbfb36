//! What every route shares: the application state, the JSON error both protocols answer with,
//! reading a body within its limit, the request counter and the router.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use liandan::shape::Shape;
use liandan::{Float, Network};
use serde::Serialize;
use tokio::sync::oneshot;

use crate::batcher::{Job, Queue, Refused};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::{kserve, page, tfserving};

/// What the handlers share: the model's description, the inference queue and the counters.
pub(crate) struct App<E> {
    pub(crate) name: String,
    /// The declared network's name.
    pub(crate) network: &'static str,
    /// One input sample's dimensions, and one output sample's.
    pub(crate) input: &'static [usize],
    pub(crate) output: &'static [usize],
    pub(crate) queue: Queue<E>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) config: Config,
}

impl<E: Float> App<E> {
    /// The state for network `N`, named `name`.
    pub(crate) fn new<N: Network<Element = E>>(
        name: String,
        queue: Queue<E>,
        metrics: Arc<Metrics>,
        config: Config,
    ) -> Self {
        App {
            name,
            network: N::NAME,
            input: <N::Input as Shape>::DIMS,
            output: <N::Output as Shape>::DIMS,
            queue,
            metrics,
            config,
        }
    }

    /// The values of one input sample.
    pub(crate) fn input_len(&self) -> usize {
        self.input.iter().product()
    }

    /// The values of one output sample.
    pub(crate) fn output_len(&self) -> usize {
        self.output.iter().product()
    }

    /// An error unless `name` is this model's.
    pub(crate) fn check_name(&self, name: &str) -> Result<(), ApiError> {
        if name == self.name {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("unknown model `{name}`; this server has `{}`", self.name),
            ))
        }
    }

    /// The outputs of `samples` samples whose values are `input`, through the batcher.
    pub(crate) async fn infer(&self, input: Vec<E>, samples: usize) -> Result<Vec<E>, ApiError> {
        let (reply, answer) = oneshot::channel();
        let output = Vec::with_capacity(samples * self.output_len());
        let job = Job {
            input,
            samples,
            output,
            reply,
        };
        self.queue.submit(job).map_err(|refused| match refused {
            Refused::Full => ApiError::unavailable("the inference queue is full; retry later"),
            Refused::Stopped => ApiError::unavailable("the server is shutting down"),
        })?;
        answer
            .await
            .map_err(|_| ApiError::unavailable("the inference thread stopped"))
    }
}

/// An error answer: a status and `{"error": message}`, the error form of both the KServe v2 and
/// the TensorFlow Serving REST protocols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// A body that is not JSON of the expected form; `body` is searched for the non-JSON
    /// number words clients write for NaN and infinity, to name them.
    pub(crate) fn json(error: &serde_json::Error, body: &[u8]) -> Self {
        let words = [&b"NaN"[..], b"Infinity", b"inf"];
        let named = words
            .iter()
            .any(|w| body.windows(w.len()).any(|window| window == *w));
        let hint = if named && error.is_syntax() {
            " (NaN and infinity are not JSON numbers, nor valid inputs)"
        } else {
            ""
        };
        Self::bad_request(format!("malformed request: {error}{hint}"))
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(&ErrorBody {
            error: &self.message,
        });
        *response.status_mut() = self.status;
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            let retry = HeaderValue::from_static("1");
            response.headers_mut().insert(header::RETRY_AFTER, retry);
        }
        response
    }
}

/// `value` as a 200 JSON response.
pub(crate) fn json_response(value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let json = HeaderValue::from_static("application/json");
            ([(header::CONTENT_TYPE, json)], bytes).into_response()
        }
        Err(e) => {
            let message = format!("the answer could not be written: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
        }
    }
}

/// The request body, refused with 413 if over the limit (by its declared length before any
/// of it is read, otherwise as soon as more has arrived) and with 408 if it takes too long.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    config: &Config,
) -> Result<Bytes, ApiError> {
    let limit = config.max_body;
    let too_large = |size: &str| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body of {size} bytes is over the limit of {limit}"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = declared.filter(|&n| n > limit as u64) {
        return Err(too_large(&length.to_string()));
    }
    let read = tokio::time::timeout(config.body_timeout, axum::body::to_bytes(body, limit));
    let Ok(read) = read.await else {
        let ms = config.body_timeout.as_millis();
        let message = format!("the request body did not arrive within {ms} ms");
        return Err(ApiError::new(StatusCode::REQUEST_TIMEOUT, message));
    };
    read.map_err(|e| {
        let over = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if over {
            too_large("more than")
        } else {
            ApiError::bad_request(format!("the request body could not be read: {e}"))
        }
    })
}

/// The route a path belongs to, as `/metrics` labels it.
fn route(path: &str) -> &'static str {
    match path {
        "/" => "page",
        "/metrics" => "metrics",
        p if p.starts_with("/v2/models/") && p.ends_with("/infer") => "kserve_infer",
        p if p.starts_with("/v2") => "kserve",
        p if p.starts_with("/v1/models/") && p.ends_with(":predict") => "tfserving_predict",
        p if p.starts_with("/v1") => "tfserving",
        _ => "unknown",
    }
}

/// Leaves the in-flight count when dropped: also when the client goes and the handler with it.
struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// Refuses an inference request beyond the in-flight bound with 503, and counts and logs every
/// answer. Health, metadata and metrics are outside the bound, so they answer under load.
async fn observe<E: Float>(
    State(app): State<Arc<App<E>>>,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let route = route(&path);
    let response = if matches!(route, "kserve_infer" | "tfserving_predict") {
        let count = app.metrics.enter();
        let _guard = InFlight(&app.metrics);
        if count > app.config.max_in_flight as u64 {
            let limit = app.config.max_in_flight;
            ApiError::unavailable(format!("over {limit} requests in flight; retry later"))
                .into_response()
        } else {
            next.run(request).await
        }
    } else {
        next.run(request).await
    };
    let (status, elapsed) = (response.status(), start.elapsed());
    app.metrics.request(route, status.as_u16(), elapsed);
    let micros = elapsed.as_micros();
    if status.is_server_error() {
        tracing::warn!(%method, path, status = status.as_u16(), micros, "request");
    } else {
        tracing::debug!(%method, path, status = status.as_u16(), micros, "request");
    }
    response
}

/// Any other path or method.
async fn unknown(request: Request) -> ApiError {
    let (method, path) = (request.method(), request.uri().path());
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no route for {method} {path}"),
    )
}

/// `GET /metrics`.
async fn metrics<E: Float>(State(app): State<Arc<App<E>>>) -> Response {
    let text = HeaderValue::from_static("text/plain; version=0.0.4");
    ([(header::CONTENT_TYPE, text)], app.metrics.render()).into_response()
}

/// Every route of both protocols, the page and the metrics.
pub(crate) fn router<E: Float>(app: Arc<App<E>>) -> Router {
    Router::new()
        .route("/", get(page::page::<E>))
        .route("/metrics", get(metrics::<E>))
        .merge(kserve::routes::<E>())
        .merge(tfserving::routes::<E>())
        .fallback(unknown)
        .method_not_allowed_fallback(unknown)
        .layer(middleware::from_fn_with_state(app.clone(), observe::<E>))
        .with_state(app)
}
