//! A network of convolutions behind the same server (what `examples/serve-convnet.rs`
//! serves): metadata with its three input dimensions, and answers in both protocols equal to
//! `predict` on the same digits.

mod common;

use common::{digits, Client};
use liandan::prelude::*;
use liandan_serve::{Config, Server};

network! {
    /// keras.io's "Simple MNIST convnet", as `examples/serve-convnet.rs` declares it.
    pub struct Convnet {
        input: [28, 28, 1],
        Conv2D<32, 3x3, Relu>,
        MaxPooling2D<2>,
        Conv2D<64, 3x3, Relu>,
        MaxPooling2D<2>,
        Flatten,
        Dropout<0.5>,
        Dense<10, Softmax>,
    }
}

/// The committed trained weights.
const WEIGHTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../ffi/weights/convnet.safetensors"
);

/// The network's output for one digit, by `predict`.
fn predict(net: &Convnet<f32>, digit: &[f32]) -> Vec<f32> {
    let x = Sample::<f32, Hwc<28, 28, 1>>::from_slice(digit);
    net.predict(&x).as_slice().to_vec()
}

/// The outputs of an answer's flat `values`, one vector per sample.
fn per_sample(values: &serde_json::Value) -> Vec<Vec<f32>> {
    let values: Vec<f32> = values
        .as_array()
        .expect("an array of outputs")
        .iter()
        .flat_map(|v| v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]))
        .map(|v| v.as_f64().unwrap_or(f64::NAN) as f32)
        .collect();
    values.chunks(10).map(<[f32]>::to_vec).collect()
}

#[test]
fn the_convnet_answers_both_protocols_as_predict_does() {
    let net = Server::<Convnet<f32>>::from_weights(WEIGHTS).expect("the committed weights load");
    let mut same = Convnet::<f32>::boxed();
    liandan::io::load_weights(&mut *same, WEIGHTS).expect("the committed weights load");
    let server = net.with_config(Config::default()).spawn("127.0.0.1:0");
    let server = server.expect("the server starts");
    let mut client = Client::new(server.addr());
    let digits = digits(3);
    let expected: Vec<Vec<f32>> = digits.iter().map(|d| predict(&same, d)).collect();

    let meta = client.get("/v2/models/convnet").json();
    assert_eq!(
        meta["inputs"][0]["shape"],
        serde_json::json!([-1, 28, 28, 1])
    );

    let data: Vec<f32> = digits.concat();
    let body = serde_json::json!({
        "inputs": [{ "name": "input", "datatype": "FP32", "shape": [3, 28, 28, 1], "data": data }]
    });
    let answer = client.post("/v2/models/convnet/infer", &body.to_string());
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(per_sample(&answer.json()["outputs"][0]["data"]), expected);

    let instances: Vec<Vec<Vec<[f32; 1]>>> = digits
        .iter()
        .map(|d| {
            d.chunks(28)
                .map(|row| row.iter().map(|&v| [v]).collect())
                .collect()
        })
        .collect();
    let body = serde_json::json!({ "instances": instances });
    let answer = client.post("/v1/models/convnet:predict", &body.to_string());
    assert_eq!(answer.status, 200, "{}", answer.body);
    let predictions = answer.json()["predictions"].clone();
    assert_eq!(per_sample(&predictions), expected);
}
