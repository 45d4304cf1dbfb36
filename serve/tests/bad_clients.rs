//! Bad clients get a clear 4xx (or a 503 when there are too many), and the server goes on
//! answering everyone else correctly.

mod common;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use liandan_serve::Config;

const INFER: &str = "/v2/models/mnist/infer";
const PREDICT: &str = "/v1/models/mnist:predict";

/// Posts `body` to `path` and checks the answer is `status` with an error containing `needle`.
fn refused(client: &mut Client, path: &str, body: &str, status: u16, needle: &str) {
    let answer = client.post(path, body);
    assert_eq!(answer.status, status, "{path} {body:.80}: {}", answer.body);
    let error = answer.error();
    assert!(
        error.contains(needle),
        "{path} {body:.80}: {error:?} lacks {needle:?}"
    );
}

/// The server still answers a good request correctly.
fn still_correct(client: &mut Client) {
    let net = network();
    let digit = &digits(1)[0];
    let answer = client.post(INFER, &kserve_request(&[digit]));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(kserve_outputs(&answer), [predict(&net, digit)]);
}

fn kserve(name: &str, datatype: &str, shape: &str, data: &str) -> String {
    format!(
        r#"{{"inputs":[{{"name":"{name}","datatype":"{datatype}","shape":{shape},"data":{data}}}]}}"#
    )
}

fn zeros(n: usize) -> String {
    format!("[{}]", vec!["0"; n].join(","))
}

#[test]
fn malformed_json_is_a_400_in_both_protocols() {
    let server = serve(Config::default());
    let mut client = Client::new(server.addr());
    refused(
        &mut client,
        INFER,
        "{\"inputs\": [",
        400,
        "malformed request: EOF while parsing",
    );
    refused(
        &mut client,
        PREDICT,
        "not json",
        400,
        "malformed request: expected",
    );
    refused(
        &mut client,
        PREDICT,
        r#"{"rows": []}"#,
        400,
        "missing field `instances`",
    );
    refused(&mut client, INFER, r#"{"inputs": 3}"#, 400, "invalid type");
    still_correct(&mut client);
}

#[test]
fn wrong_length_shape_or_nesting_is_a_400_naming_both() {
    let server = serve(Config::default());
    let mut client = Client::new(server.addr());
    let shape = "[1,28,28]";
    refused(
        &mut client,
        INFER,
        &kserve("input", "FP32", shape, &zeros(783)),
        400,
        "needs 784 values, flat or nested in that shape, but its data has 783",
    );
    refused(
        &mut client,
        INFER,
        &kserve("input", "FP32", "[1,784]", &zeros(784)),
        400,
        "has shape [1, 784], but the model takes [-1, 28, 28]",
    );
    refused(
        &mut client,
        INFER,
        &kserve("input", "FP32", "[0,28,28]", "[]"),
        400,
        "(at least one sample)",
    );
    refused(
        &mut client,
        INFER,
        &kserve("input", "FP32", shape, "[[1,2],[3]]"),
        400,
        "ragged tensor",
    );
    refused(
        &mut client,
        INFER,
        &kserve("input", "FP32", shape, r#"["a"]"#),
        400,
        "expected a number or an array of numbers",
    );
    refused(
        &mut client,
        PREDICT,
        &format!(r#"{{"instances":[{}]}}"#, zeros(784)),
        400,
        "`instances` has shape [1, 784], but each instance must be an array of shape [28, 28]",
    );
    refused(
        &mut client,
        PREDICT,
        r#"{"instances":[]}"#,
        400,
        "at least one",
    );
    let two = format!(
        r#"{{"inputs":[{0},{0}]}}"#,
        &kserve("input", "FP32", shape, &zeros(784))[11..]
    );
    let two = two.replace("]}]}", "]}");
    refused(&mut client, INFER, &two, 400, "expected one input tensor");
    still_correct(&mut client);
}

#[test]
fn a_wrong_datatype_or_input_name_is_a_400() {
    let server = serve(Config::default());
    let mut client = Client::new(server.addr());
    let shape = "[1,28,28]";
    refused(
        &mut client,
        INFER,
        &kserve("input", "INT8", shape, &zeros(784)),
        400,
        "input `input` has datatype `INT8`, but the model takes `FP32`",
    );
    refused(
        &mut client,
        INFER,
        &kserve("pixels", "FP32", shape, &zeros(784)),
        400,
        "unknown input `pixels`; the model's input is `input`",
    );
    still_correct(&mut client);
}

#[test]
fn nan_and_infinite_values_are_a_400() {
    let server = serve(Config::default());
    let mut client = Client::new(server.addr());
    let shape = "[1,28,28]";
    let mut data = zeros(784);
    data.replace_range(1..2, "NaN");
    refused(
        &mut client,
        INFER,
        &kserve("input", "FP32", shape, &data),
        400,
        "NaN and infinity are not JSON numbers, nor valid inputs",
    );
    let mut data = zeros(784);
    data.replace_range(1..2, "Infinity");
    refused(
        &mut client,
        PREDICT,
        &format!(r#"{{"instances":[{data}]}}"#),
        400,
        "NaN and infinity",
    );
    // Finite in JSON, infinite as an f32.
    let mut data = zeros(784);
    data.replace_range(3..4, "1e39");
    refused(
        &mut client,
        INFER,
        &kserve("input", "FP32", shape, &data),
        400,
        "input `input`: value 1 (1e39) is not a finite FP32",
    );
    let rows = vec![zeros(28); 28].join(",").replacen("0", "-3.5e38", 1);
    refused(
        &mut client,
        PREDICT,
        &format!(r#"{{"instances":[[{rows}]]}}"#),
        400,
        "instances: value 0 (-3.5e38) is not a finite FP32",
    );
    still_correct(&mut client);
}

#[test]
fn unknown_models_paths_and_methods_are_a_404() {
    let server = serve(Config::default());
    let mut client = Client::new(server.addr());
    refused(
        &mut client,
        "/v2/models/resnet/infer",
        "{}",
        404,
        "unknown model `resnet`; this server has `mnist`",
    );
    refused(
        &mut client,
        "/v1/models/resnet:predict",
        "{}",
        404,
        "unknown model `resnet`",
    );
    refused(
        &mut client,
        "/v1/models/mnist:classify",
        "{}",
        404,
        "unknown method `mnist:classify`",
    );
    refused(
        &mut client,
        "/v3/anything",
        "{}",
        404,
        "no route for POST /v3/anything",
    );
    let answer = client.get("/v2/models/resnet");
    assert_eq!(
        (answer.status, answer.error()),
        (
            404,
            "unknown model `resnet`; this server has `mnist`".into()
        )
    );
    let answer = client.get(INFER);
    assert_eq!(
        (answer.status, answer.error()),
        (404, format!("no route for GET {INFER}"))
    );
    still_correct(&mut client);
}

#[test]
fn a_body_over_the_limit_is_a_413_before_it_is_read() {
    let config = Config {
        max_body: 10_000,
        ..Config::default()
    };
    let server = serve(config);
    // Declared too large: refused on the headers alone, though no byte of the body is sent.
    let stream = TcpStream::connect(server.addr()).unwrap();
    let mut reader = BufReader::new(stream);
    let head = format!("POST {INFER} HTTP/1.1\r\nhost: t\r\ncontent-length: 1000000000\r\n\r\n");
    reader.get_mut().write_all(head.as_bytes()).unwrap();
    let answer = read_answer(&mut reader).unwrap();
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.error(),
        "request body of 1000000000 bytes is over the limit of 10000"
    );
    // Chunked, with no declared length: refused once more than the limit has arrived, while
    // the client could go on sending.
    let stream = TcpStream::connect(server.addr()).unwrap();
    let mut reader = BufReader::new(stream);
    let head = format!("POST {PREDICT} HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n");
    reader.get_mut().write_all(head.as_bytes()).unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 4096, "1".repeat(4096));
    for _ in 0..4 {
        reader.get_mut().write_all(chunk.as_bytes()).unwrap();
    }
    let answer = read_answer(&mut reader).unwrap();
    assert_eq!(answer.status, 413);
    assert!(
        answer.error().contains("over the limit of 10000"),
        "{}",
        answer.body
    );
    still_correct(&mut Client::new(server.addr()));
}

/// Sends the head of a request and half its body, as a slow client would.
fn half_request(addr: std::net::SocketAddr, body: &str) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(addr).unwrap();
    let mut reader = BufReader::new(stream);
    let head = format!(
        "POST {INFER} HTTP/1.1\r\nhost: t\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let half = &body.as_bytes()[..body.len() / 2];
    reader.get_mut().write_all(head.as_bytes()).unwrap();
    reader.get_mut().write_all(half).unwrap();
    reader
}

/// Waits until `/metrics` shows `gauge` at `value`.
fn wait_for(client: &mut Client, gauge: &str, value: f64) {
    let start = Instant::now();
    loop {
        let now = metric(&client.get("/metrics").body, gauge);
        if now == Some(value) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{gauge} is {now:?}, not {value}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn too_many_requests_in_flight_are_a_503_and_the_rest_complete() {
    let config = Config {
        max_in_flight: 2,
        ..Config::default()
    };
    let server = serve(config);
    let digit = &digits(1)[0];
    let body = kserve_request(&[digit]);
    let mut slow: Vec<_> = (0..2).map(|_| half_request(server.addr(), &body)).collect();
    let mut client = Client::new(server.addr());
    wait_for(&mut client, "liandan_in_flight", 2.0);
    let mut other = Client::new(server.addr());
    for path in [INFER, PREDICT] {
        let answer = other.post(path, &body);
        assert_eq!(answer.status, 503);
        assert_eq!(answer.error(), "over 2 requests in flight; retry later");
    }
    for reader in &mut slow {
        reader
            .get_mut()
            .write_all(&body.as_bytes()[body.len() / 2..])
            .unwrap();
        let answer = read_answer(reader).unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    still_correct(&mut other);
}

#[test]
fn a_body_slower_than_the_timeout_is_a_408_and_frees_its_place() {
    let config = Config {
        body_timeout: Duration::from_millis(200),
        max_in_flight: 1,
        ..Config::default()
    };
    let server = serve(config);
    let body = kserve_request(&[&digits(1)[0]]);
    let mut slow = half_request(server.addr(), &body);
    let answer = read_answer(&mut slow).unwrap();
    assert_eq!(answer.status, 408);
    assert_eq!(
        answer.error(),
        "the request body did not arrive within 200 ms"
    );
    still_correct(&mut Client::new(server.addr()));
}

#[test]
fn a_client_that_leaves_mid_request_costs_nothing_after() {
    let server = serve(Config::default());
    let mut client = Client::new(server.addr());
    let body = kserve_request(&[&digits(1)[0]]);
    for _ in 0..8 {
        drop(half_request(server.addr(), &body));
    }
    // Every abandoned request has ended.
    wait_for(&mut client, "liandan_in_flight", 0.0);
    let metrics = client.get("/metrics").body;
    assert_eq!(
        metric(
            &metrics,
            "liandan_requests_total{route=\"kserve_infer\",status=\"400\"}"
        ),
        Some(8.0)
    );
    still_correct(&mut client);
}

#[test]
fn shutdown_lets_the_request_in_flight_finish() {
    let server = serve(Config::default());
    let addr = server.addr();
    let digit = &digits(1)[0];
    let body = kserve_request(&[digit]);
    let mut slow = half_request(addr, &body);
    let mut client = Client::new(addr);
    wait_for(&mut client, "liandan_in_flight", 1.0);
    drop(client);
    let stopping = std::thread::spawn(move || server.stop());
    std::thread::sleep(Duration::from_millis(100));
    // New connections are no longer accepted while the slow request finishes.
    assert!(!stopping.is_finished());
    slow.get_mut()
        .write_all(&body.as_bytes()[body.len() / 2..])
        .unwrap();
    let answer = read_answer(&mut slow).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(kserve_outputs(&answer), [predict(&network(), digit)]);
    drop(slow);
    stopping.join().unwrap().unwrap();
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn connections_beyond_the_bound_wait_until_one_closes() {
    let config = Config {
        max_connections: 2,
        ..Config::default()
    };
    let server = serve(config);
    let mut first = Client::new(server.addr());
    let mut second = Client::new(server.addr());
    assert_eq!(first.get("/v2/health/live").status, 200);
    assert_eq!(second.get("/v2/health/live").status, 200);
    // A third connection is in the backlog, not served: its request gets no answer yet.
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut third = BufReader::new(stream);
    let request = "GET /v2/health/live HTTP/1.1\r\nhost: t\r\n\r\n";
    third.get_mut().write_all(request.as_bytes()).unwrap();
    assert!(read_answer(&mut third).is_err());
    // One closes: the third is accepted and answered.
    drop(first);
    third
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(read_answer(&mut third).unwrap().status, 200);
    still_correct(&mut second);
}
