//! Both protocols' good paths: metadata from the network's types, and answers equal to
//! `predict` on the same digits, batched or not.

mod common;

use common::*;
use liandan_serve::{BatchSize, Config};

#[test]
fn kserve_metadata_and_health_describe_the_network() {
    let server = serve(Config::default());
    let mut client = Client::new(server.addr());
    assert_eq!(client.get("/v2/health/live").json()["live"], true);
    assert_eq!(client.get("/v2/health/ready").json()["ready"], true);
    assert_eq!(client.get("/v2/models/mnist/ready").json()["ready"], true);
    assert_eq!(client.get("/v2").json()["name"], "liandan-serve");
    let meta = client.get("/v2/models/mnist").json();
    let expected = serde_json::json!({
        "name": "mnist",
        "versions": ["1"],
        "platform": "liandan/Mnist",
        "inputs": [{ "name": "input", "datatype": "FP32", "shape": [-1, 28, 28] }],
        "outputs": [{ "name": "output", "datatype": "FP32", "shape": [-1, 10] }],
    });
    assert_eq!(meta, expected);
    let status = client.get("/v1/models/mnist").json();
    assert_eq!(status["model_version_status"][0]["state"], "AVAILABLE");
}

#[test]
fn both_protocols_answer_what_predict_says() {
    let net = network();
    let digits = digits(5);
    let server = serve(Config::default());
    let mut client = Client::new(server.addr());
    let refs: Vec<&[f32]> = digits.iter().map(Vec::as_slice).collect();
    let expected: Vec<Vec<f32>> = digits.iter().map(|d| predict(&net, d)).collect();

    let answer = client.post("/v2/models/mnist/infer", &kserve_request(&refs));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let json = answer.json();
    assert_eq!(json["model_name"], "mnist");
    assert_eq!(json["id"], "test");
    assert_eq!(json["outputs"][0]["name"], "output");
    assert_eq!(json["outputs"][0]["shape"], serde_json::json!([5, 10]));
    assert_eq!(kserve_outputs(&answer), expected);

    let answer = client.post("/v1/models/mnist:predict", &tf_request(&refs));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(tf_outputs(&answer), expected);
}

#[test]
fn kserve_takes_data_nested_in_its_shape_too() {
    let net = network();
    let digit = &digits(1)[0];
    let rows: Vec<&[f32]> = digit.chunks(28).collect();
    let body = serde_json::json!({
        "inputs": [{ "name": "input", "datatype": "FP32", "shape": [1, 28, 28], "data": [rows] }]
    });
    let server = serve(Config::default());
    let answer = Client::new(server.addr()).post("/v2/models/mnist/infer", &body.to_string());
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(kserve_outputs(&answer), [predict(&net, digit)]);
}

#[test]
fn a_request_larger_than_a_batch_is_split_and_answered_in_order() {
    let net = network();
    let digits = digits(11);
    let config = Config {
        batch: BatchSize::Four,
        ..Config::default()
    };
    let server = serve(config);
    let mut client = Client::new(server.addr());
    let refs: Vec<&[f32]> = digits.iter().map(Vec::as_slice).collect();
    let answer = client.post("/v1/models/mnist:predict", &tf_request(&refs));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let expected: Vec<Vec<f32>> = digits.iter().map(|d| predict(&net, d)).collect();
    assert_eq!(tf_outputs(&answer), expected);
    // 11 samples in batches of at most 4: 4, 4 and 3 (run padded at 4).
    let metrics = client.get("/metrics").body;
    assert_eq!(metric(&metrics, "liandan_batch_samples_sum"), Some(11.0));
    assert_eq!(
        metric(&metrics, "liandan_batches_total{size=\"4\"}"),
        Some(3.0)
    );
}

#[test]
fn concurrent_requests_share_batches() {
    let net = network();
    let digits = digits(32);
    let config = Config {
        batch: BatchSize::Sixteen,
        max_wait: std::time::Duration::from_millis(20),
        ..Config::default()
    };
    let server = serve(config);
    let addr = server.addr();
    // Every client connected before any sends, so the requests arrive together.
    let ready = std::sync::Barrier::new(digits.len());
    std::thread::scope(|scope| {
        for digit in &digits {
            let expected = predict(&net, digit);
            let ready = &ready;
            scope.spawn(move || {
                let mut client = Client::new(addr);
                assert_eq!(client.get("/v2/health/live").status, 200);
                ready.wait();
                let answer = client.post("/v2/models/mnist/infer", &kserve_request(&[digit]));
                assert_eq!(answer.status, 200, "{}", answer.body);
                assert_eq!(kserve_outputs(&answer), [expected]);
            });
        }
    });
    let metrics = Client::new(addr).get("/metrics").body;
    let batches = metric(&metrics, "liandan_batch_samples_count").unwrap_or(0.0);
    assert_eq!(metric(&metrics, "liandan_batch_samples_sum"), Some(32.0));
    // With a 20 ms wait, 32 clients at once cannot need 32 batches of one.
    assert!(batches < 32.0, "{batches} batches for 32 samples");
}

#[test]
fn the_page_is_self_contained_html_naming_the_model() {
    let server = serve(Config::default());
    let answer = Client::new(server.addr()).get("/");
    assert_eq!(answer.status, 200);
    assert!(answer.body.starts_with("<!doctype html>"));
    assert!(answer.body.contains(r#"const model = "mnist";"#));
    assert!(answer.body.contains("<canvas"));
    // Nothing is fetched from elsewhere: no scripts, styles or images by URL.
    assert!(!answer.body.contains("src=") && !answer.body.contains("href="));
}
