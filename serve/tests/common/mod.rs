//! What the server tests share: the MNIST network with its committed weights, the bundled
//! digits, and a small HTTP/1.1 client on a plain socket (so a test can also misbehave).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use liandan::data::Dataset;
use liandan::prelude::*;
use liandan_serve::{Config, Running, Server};

network! {
    /// The seed's MNIST classifier.
    pub struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
    }
}

/// The committed trained weights.
pub const WEIGHTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../ffi/weights/mnist.safetensors"
);

/// The network with the committed weights.
pub fn network() -> Box<Mnist<f32>> {
    let mut net = Mnist::<f32>::boxed();
    liandan::io::load_weights(&mut *net, WEIGHTS).expect("the committed weights load");
    net
}

/// The first `n` bundled test digits, each 784 values in [0, 1].
pub fn digits(n: usize) -> Vec<Vec<f32>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist/");
    let data = Dataset::<f32, Hw<28, 28>>::from_idx(
        format!("{dir}mnist-10k-images-idx3-ubyte.gz"),
        format!("{dir}mnist-10k-labels-idx1-ubyte.gz"),
        10,
    )
    .expect("the bundled digits load");
    (0..n).map(|i| data.sample(i).to_vec()).collect()
}

/// The network's output for one digit, by `predict`.
pub fn predict(net: &Mnist<f32>, digit: &[f32]) -> Vec<f32> {
    let x = Sample::<f32, Hw<28, 28>>::from_slice(digit);
    net.predict(&x).as_slice().to_vec()
}

/// A server for the committed network with `config`, on a free loopback port.
pub fn serve(config: Config) -> Running {
    Server::new(network())
        .with_config(config)
        .spawn("127.0.0.1:0")
        .expect("the server starts")
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// Whether the server said it closes the connection.
    pub close: bool,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The `error` message of a JSON error body.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// One keep-alive connection.
pub struct Client {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        Client { addr, stream: None }
    }

    /// Sends one request and reads its answer, connecting first if need be.
    pub fn send(&mut self, method: &str, path: &str, body: &[u8]) -> std::io::Result<Answer> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr)?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(30)))?;
            self.stream = Some(BufReader::new(stream));
        }
        let reader = self.stream.as_mut().expect("connected above");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        let answer = reader
            .get_mut()
            .write_all(&request)
            .and_then(|()| read_answer(reader));
        if answer.as_ref().map_or(true, |a| a.close) {
            self.stream = None;
        }
        answer
    }

    pub fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, b"").expect("the server answers")
    }

    pub fn post(&mut self, path: &str, body: &str) -> Answer {
        self.send("POST", path, body.as_bytes())
            .expect("the server answers")
    }
}

/// Reads one answer: the status line, the headers, `content-length` bytes of body.
pub fn read_answer(reader: &mut BufReader<TcpStream>) -> std::io::Result<Answer> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line: {line:?}")))?;
    let (mut length, mut close) = (0, false);
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let header = line.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if let Some(value) = header.strip_prefix("content-length:") {
            length = value.trim().parse().map_err(std::io::Error::other)?;
        }
        close |= header == "connection: close";
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8(body).map_err(std::io::Error::other)?;
    Ok(Answer {
        status,
        body,
        close,
    })
}

/// A KServe v2 inference request for `digits`.
pub fn kserve_request(digits: &[&[f32]]) -> String {
    let data: Vec<f32> = digits.iter().flat_map(|d| d.iter().copied()).collect();
    serde_json::json!({
        "id": "test",
        "inputs": [{ "name": "input", "datatype": "FP32", "shape": [digits.len(), 28, 28], "data": data }]
    })
    .to_string()
}

/// A TensorFlow Serving predict request for `digits`, each as 28 rows of 28.
pub fn tf_request(digits: &[&[f32]]) -> String {
    let instances: Vec<Vec<&[f32]>> = digits.iter().map(|d| d.chunks(28).collect()).collect();
    serde_json::json!({ "instances": instances }).to_string()
}

/// The outputs of a KServe v2 answer, one vector per sample.
pub fn kserve_outputs(answer: &Answer) -> Vec<Vec<f32>> {
    let json = answer.json();
    let data = json["outputs"][0]["data"].as_array().expect("an output");
    let values: Vec<f32> = data
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN) as f32)
        .collect();
    values.chunks(10).map(<[f32]>::to_vec).collect()
}

/// The outputs of a TensorFlow Serving answer, one vector per sample.
pub fn tf_outputs(answer: &Answer) -> Vec<Vec<f32>> {
    let json = answer.json();
    let predictions = json["predictions"].as_array().expect("predictions");
    predictions
        .iter()
        .map(|p| {
            let values = p.as_array().expect("an array per instance");
            values
                .iter()
                .map(|v| v.as_f64().unwrap_or(f64::NAN) as f32)
                .collect()
        })
        .collect()
}

/// A metric's value in a `/metrics` text.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}
