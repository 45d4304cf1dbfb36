//! TensorFlow Serving's REST API: `POST /v1/models/{name}:predict` with the row format,
//! `{"instances": [...]}` (one nested array per sample), answered with `{"predictions": [...]}`;
//! and `GET /v1/models/{name}`, the model's status.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use liandan::Float;
use serde::{Deserialize, Serialize};

use crate::http::{json_response, read_body, ApiError, App};
use crate::tensor::{elements, Nested, NestedOut};

/// The routes under `/v1`: the verb follows the name after a colon, in the same path segment.
pub(crate) fn routes<E: Float>() -> Router<Arc<App<E>>> {
    Router::new().route("/v1/models/{target}", get(status::<E>).post(predict::<E>))
}

#[derive(Serialize)]
struct Status {
    model_version_status: [VersionStatus; 1],
}

#[derive(Serialize)]
struct VersionStatus {
    version: &'static str,
    state: &'static str,
    status: ErrorCode,
}

#[derive(Serialize)]
struct ErrorCode {
    error_code: &'static str,
    error_message: &'static str,
}

/// `GET /v1/models/{name}`: one version, available.
async fn status<E: Float>(
    State(app): State<Arc<App<E>>>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    app.check_name(&name)?;
    Ok(json_response(&Status {
        model_version_status: [VersionStatus {
            version: "1",
            state: "AVAILABLE",
            status: ErrorCode {
                error_code: "OK",
                error_message: "",
            },
        }],
    }))
}

#[derive(Deserialize)]
struct PredictRequest {
    instances: Nested,
}

#[derive(Serialize)]
#[serde(bound = "E: Float")]
struct PredictResponse<'a, E> {
    predictions: NestedOut<'a, E>,
}

/// `POST /v1/models/{name}:predict`.
async fn predict<E: Float>(
    State(app): State<Arc<App<E>>>,
    Path(target): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Some(name) = target.strip_suffix(":predict") else {
        let message = format!("unknown method `{target}`; this server has `:predict`");
        return Err(ApiError::new(StatusCode::NOT_FOUND, message));
    };
    app.check_name(name)?;
    let body = read_body(&headers, body, &app.config).await?;
    let request: PredictRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::json(&e, &body))?;
    let instances = request.instances;
    let samples = check_instances(&instances.shape, app.input)?;
    let values = elements::<E>(&instances.values)
        .map_err(|e| ApiError::bad_request(format!("instances: {e}")))?;
    let output = app.infer(values, samples).await?;
    let dims: Vec<usize> = std::iter::once(samples)
        .chain(app.output.iter().copied())
        .collect();
    Ok(json_response(&PredictResponse {
        predictions: NestedOut {
            values: &output,
            dims: &dims,
        },
    }))
}

/// The number of instances, if `shape` is `[instances, dims...]` with at least one.
fn check_instances(shape: &[usize], dims: &[usize]) -> Result<usize, ApiError> {
    match shape.split_first() {
        Some((&n, rest)) if n > 0 && rest == dims => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "`instances` has shape {shape:?}, but each instance must be an array of shape \
             {dims:?} (and there must be at least one)"
        ))),
    }
}
