//! The Open Inference Protocol (KServe v2), REST: health, server and model metadata, model
//! readiness, and inference on one input tensor named `input`, answered with one named
//! `output`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use liandan::Float;
use serde::{Deserialize, Serialize};

use crate::http::{json_response, read_body, ApiError, App};
use crate::tensor::{datatype, elements, Nested, NestedOut};

/// The input tensor's name, and the output's.
pub(crate) const INPUT: &str = "input";
pub(crate) const OUTPUT: &str = "output";

/// The routes under `/v2`.
pub(crate) fn routes<E: Float>() -> Router<Arc<App<E>>> {
    Router::new()
        .route("/v2", get(server))
        .route("/v2/health/live", get(live))
        .route("/v2/health/ready", get(ready))
        .route("/v2/models/{name}", get(metadata::<E>))
        .route("/v2/models/{name}/ready", get(model_ready::<E>))
        .route("/v2/models/{name}/infer", post(infer::<E>))
}

#[derive(Serialize)]
struct Health {
    live: bool,
    ready: bool,
}

/// `GET /v2/health/live`: the process answers.
async fn live() -> Response {
    json_response(&Health {
        live: true,
        ready: true,
    })
}

/// `GET /v2/health/ready`: the model is loaded (it is before the server listens).
async fn ready() -> Response {
    live().await
}

#[derive(Serialize)]
struct ServerMetadata {
    name: &'static str,
    version: &'static str,
    extensions: [&'static str; 0],
}

/// `GET /v2`: the server's name and version.
async fn server() -> Response {
    json_response(&ServerMetadata {
        name: "liandan-serve",
        version: env!("CARGO_PKG_VERSION"),
        extensions: [],
    })
}

/// A tensor's description in the metadata: the batch axis is `-1`.
#[derive(Serialize)]
struct TensorMetadata {
    name: &'static str,
    datatype: &'static str,
    shape: Vec<i64>,
}

impl TensorMetadata {
    fn new<E: Float>(name: &'static str, dims: &[usize]) -> Self {
        let shape = std::iter::once(-1).chain(dims.iter().map(|&d| d as i64));
        TensorMetadata {
            name,
            datatype: datatype::<E>(),
            shape: shape.collect(),
        }
    }
}

#[derive(Serialize)]
struct ModelMetadata<'a> {
    name: &'a str,
    versions: [&'static str; 1],
    platform: String,
    inputs: [TensorMetadata; 1],
    outputs: [TensorMetadata; 1],
}

/// `GET /v2/models/{name}`: the input and output tensors, from the network's types.
async fn metadata<E: Float>(
    State(app): State<Arc<App<E>>>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    app.check_name(&name)?;
    Ok(json_response(&ModelMetadata {
        name: &app.name,
        versions: ["1"],
        platform: format!("liandan/{}", app.network),
        inputs: [TensorMetadata::new::<E>(INPUT, app.input)],
        outputs: [TensorMetadata::new::<E>(OUTPUT, app.output)],
    }))
}

#[derive(Serialize)]
struct ModelReady<'a> {
    name: &'a str,
    ready: bool,
}

/// `GET /v2/models/{name}/ready`.
async fn model_ready<E: Float>(
    State(app): State<Arc<App<E>>>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    app.check_name(&name)?;
    Ok(json_response(&ModelReady {
        name: &app.name,
        ready: true,
    }))
}

/// An inference request; fields the protocol allows and liandan does not use are ignored.
#[derive(Deserialize)]
struct InferRequest {
    id: Option<String>,
    inputs: Vec<InputTensor>,
}

#[derive(Deserialize)]
struct InputTensor {
    name: String,
    shape: Vec<i64>,
    datatype: String,
    data: Nested,
}

#[derive(Serialize)]
#[serde(bound = "E: Float")]
struct InferResponse<'a, E> {
    model_name: &'a str,
    model_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    outputs: [OutputTensor<'a, E>; 1],
}

#[derive(Serialize)]
#[serde(bound = "E: Float")]
struct OutputTensor<'a, E> {
    name: &'static str,
    datatype: &'static str,
    shape: Vec<usize>,
    data: NestedOut<'a, E>,
}

/// `POST /v2/models/{name}/infer`.
async fn infer<E: Float>(
    State(app): State<Arc<App<E>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    app.check_name(&name)?;
    let body = read_body(&headers, body, &app.config).await?;
    let request: InferRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::json(&e, &body))?;
    let (values, samples) = check_input::<E>(&app, request.inputs)?;
    let output = app.infer(values, samples).await?;
    let shape: Vec<usize> = std::iter::once(samples)
        .chain(app.output.iter().copied())
        .collect();
    let flat = [output.len()];
    Ok(json_response(&InferResponse {
        model_name: &app.name,
        model_version: "1",
        id: request.id,
        outputs: [OutputTensor {
            name: OUTPUT,
            datatype: datatype::<E>(),
            shape,
            data: NestedOut {
                values: &output,
                dims: &flat,
            },
        }],
    }))
}

/// The one input's values as elements and its number of samples, after checking its name,
/// datatype, shape ([samples, the network's input dimensions...]) and data against it.
fn check_input<E: Float>(
    app: &App<E>,
    inputs: Vec<InputTensor>,
) -> Result<(Vec<E>, usize), ApiError> {
    let count = inputs.len();
    let Some(input) = inputs.into_iter().next().filter(|_| count == 1) else {
        return Err(ApiError::bad_request(format!(
            "expected one input tensor, `{INPUT}`, but the request has {count}"
        )));
    };
    if input.name != INPUT {
        return Err(ApiError::bad_request(format!(
            "unknown input `{}`; the model's input is `{INPUT}`",
            input.name
        )));
    }
    let expected = datatype::<E>();
    if input.datatype != expected {
        return Err(ApiError::bad_request(format!(
            "input `{INPUT}` has datatype `{}`, but the model takes `{expected}`",
            input.datatype
        )));
    }
    let samples = check_shape(&input.shape, app.input)?;
    let want = samples.saturating_mul(app.input_len());
    let nested = &input.data.shape;
    let fits = input.data.values.len() == want
        && (nested.len() == 1
            || nested
                .iter()
                .map(|&d| d as i64)
                .eq(input.shape.iter().copied()));
    if !fits {
        return Err(ApiError::bad_request(format!(
            "input `{INPUT}` of shape {:?} needs {want} values, flat or nested in that shape, \
             but its data has {} in shape {nested:?}",
            input.shape,
            input.data.values.len()
        )));
    }
    let values = elements::<E>(&input.data.values)
        .map_err(|e| ApiError::bad_request(format!("input `{INPUT}`: {e}")))?;
    Ok((values, samples))
}

/// The number of samples a declared `shape` has, if it is `[samples, dims...]` with at least
/// one sample.
fn check_shape(shape: &[i64], dims: &[usize]) -> Result<usize, ApiError> {
    let fits = shape.len() == dims.len() + 1
        && shape[0] >= 1
        && shape[1..].iter().zip(dims).all(|(&s, &d)| s == d as i64);
    if fits {
        Ok(shape[0] as usize)
    } else {
        let model: Vec<i64> = std::iter::once(-1)
            .chain(dims.iter().map(|&d| d as i64))
            .collect();
        Err(ApiError::bad_request(format!(
            "input `{INPUT}` has shape {shape:?}, but the model takes {model:?} \
             (at least one sample)"
        )))
    }
}
