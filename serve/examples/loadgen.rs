//! A load generator for an inference server speaking KServe v2 REST: throughput and latency
//! percentiles at several numbers of concurrent clients, each a keep-alive connection sending
//! bundled MNIST digits one request after another and checking every answer is a 200.
//!
//! ```text
//! cargo run --release -p liandan-serve --example loadgen -- --address 127.0.0.1:8000
//!     [--model mnist] [--shape 28,28] [--clients 1,16,64] [--seconds 10]
//! ```
//!
//! `--shape` is one sample's dimensions as the model declares them (`28,28,1` for the
//! convnet); the digit's 784 values are the same either way.
//!
//! `tools/serve_bench/run.sh` runs it against this crate's MNIST and convnet examples and
//! against ONNX Runtime behind FastAPI.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use liandan::data::Dataset;
use liandan::prelude::*;

/// Load an inference server and report throughput and latency.
#[derive(Parser)]
struct Args {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:8000")]
    address: String,
    /// The model's name in the URL.
    #[arg(long, default_value = "mnist")]
    model: String,
    /// One sample's dimensions in the request's `shape` (after the batch axis of 1).
    #[arg(long, value_delimiter = ',', default_value = "28,28")]
    shape: Vec<usize>,
    /// The numbers of concurrent clients to measure, one after another.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    clients: Vec<usize>,
    /// How long each measurement lasts, after one second of warm-up.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

/// Request bodies: one KServe v2 request per bundled digit, the first 100, each of shape
/// `[1, dims...]`.
fn bodies(dims: &[usize]) -> anyhow::Result<Vec<String>> {
    if dims.iter().product::<usize>() != 784 {
        bail!("shape {dims:?} does not hold a digit's 784 values");
    }
    let shape: Vec<usize> = std::iter::once(1).chain(dims.iter().copied()).collect();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist/");
    let data = Dataset::<f32, Hw<28, 28>>::from_idx(
        format!("{dir}mnist-10k-images-idx3-ubyte.gz"),
        format!("{dir}mnist-10k-labels-idx1-ubyte.gz"),
        10,
    )?;
    let body = |i| {
        let values: Vec<f32> = data.sample(i).to_vec();
        serde_json::json!({
            "inputs": [{ "name": "input", "datatype": "FP32", "shape": shape, "data": values }]
        })
        .to_string()
    };
    Ok((0..100).map(body).collect())
}

/// Sends one request on `reader`'s connection and reads the answer's status and body.
fn exchange(reader: &mut BufReader<TcpStream>, request: &[u8]) -> anyhow::Result<u16> {
    reader.get_mut().write_all(request)?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line.split(' ').nth(1).context("no status line")?.parse()?;
    let mut length = None;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let header = line.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if let Some(value) = header.strip_prefix("content-length:") {
            length = Some(value.trim().parse::<usize>()?);
        }
    }
    let mut body = vec![0; length.context("no content-length")?];
    reader.read_exact(&mut body)?;
    Ok(status)
}

/// One client: requests until `end`, returning the latency of each sent after `start`.
fn client(
    args: &Args,
    bodies: &[String],
    id: usize,
    start: Instant,
    end: Instant,
) -> anyhow::Result<Vec<Duration>> {
    let stream = TcpStream::connect(&args.address)?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream);
    let path = format!("/v2/models/{}/infer", args.model);
    // Whole requests written once, so a request costs the client a write and the reads.
    let requests: Vec<Vec<u8>> = bodies
        .iter()
        .map(|body| {
            format!(
                "POST {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect();
    let mut latencies = Vec::with_capacity(1 << 20);
    for k in 0.. {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let request = &requests[(id * 13 + k) % requests.len()];
        let status = exchange(&mut reader, request)?;
        if status != 200 {
            bail!("status {status}");
        }
        if now >= start {
            latencies.push(now.elapsed());
        }
    }
    Ok(latencies)
}

/// The `q`-quantile of sorted latencies, in microseconds.
fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let k = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[k].as_secs_f64() * 1e6
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bodies = bodies(&args.shape)?;
    println!("| clients | requests/s | p50 (us) | p99 (us) |");
    println!("| ---: | ---: | ---: | ---: |");
    for &clients in &args.clients {
        let start = Instant::now() + Duration::from_secs(1);
        let end = start + Duration::from_secs(args.seconds);
        let results: Vec<anyhow::Result<Vec<Duration>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..clients)
                .map(|id| {
                    let (args, bodies) = (&args, &bodies);
                    scope.spawn(move || client(args, bodies, id, start, end))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| bail!("a client panicked")))
                .collect()
        });
        let mut latencies = Vec::new();
        for result in results {
            latencies.extend(result?);
        }
        latencies.sort();
        if latencies.is_empty() {
            bail!("no request completed");
        }
        let throughput = latencies.len() as f64 / args.seconds as f64;
        let (p50, p99) = (quantile(&latencies, 0.5), quantile(&latencies, 0.99));
        println!("| {clients} | {throughput:.0} | {p50:.0} | {p99:.0} |");
    }
    Ok(())
}
