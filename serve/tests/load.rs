//! Load: 64 concurrent clients send a few thousand requests, one in five of them bad, over
//! both protocols; every good answer equals `predict` on its digits, every bad one is the
//! expected 4xx, nothing is lost and nothing is a 5xx.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use common::*;
use liandan_serve::{BatchSize, Config};

const CLIENTS: usize = 64;
/// Requests per client per round; two rounds, so memory is compared after the first.
const REQUESTS: usize = 25;
const ROUNDS: usize = 2;

/// The resident memory of this process (server and clients), in KiB.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What request `k` of a client sends, and what it must get back.
enum Case {
    Good {
        body: String,
        path: &'static str,
        digits: Vec<usize>,
    },
    Bad {
        body: String,
        path: &'static str,
        status: u16,
    },
}

fn case(client: usize, k: usize, digits: &[Vec<f32>]) -> Case {
    let n = digits.len();
    let pick = |j: usize| (client * 31 + k * 7 + j) % n;
    match (client + k) % 10 {
        0 => Case::Bad {
            body: "{\"inputs\": [".into(),
            path: "/v2/models/mnist/infer",
            status: 400,
        },
        1 => Case::Bad {
            body: r#"{"instances": [[1, 2], [3]]}"#.into(),
            path: "/v1/models/mnist:predict",
            status: 400,
        },
        2 => Case::Bad {
            body: "{}".into(),
            path: "/v2/models/other/infer",
            status: 404,
        },
        3..=5 => {
            let chosen: Vec<usize> = (0..1 + k % 3).map(pick).collect();
            let refs: Vec<&[f32]> = chosen.iter().map(|&i| digits[i].as_slice()).collect();
            Case::Good {
                body: tf_request(&refs),
                path: "/v1/models/mnist:predict",
                digits: chosen,
            }
        }
        _ => {
            let chosen: Vec<usize> = (0..1 + k % 2).map(pick).collect();
            let refs: Vec<&[f32]> = chosen.iter().map(|&i| digits[i].as_slice()).collect();
            Case::Good {
                body: kserve_request(&refs),
                path: "/v2/models/mnist/infer",
                digits: chosen,
            }
        }
    }
}

#[test]
fn sixty_four_clients_get_every_answer_right() {
    let net = network();
    let digits = digits(100);
    let expected: Vec<Vec<f32>> = digits.iter().map(|d| predict(&net, d)).collect();
    let config = Config {
        batch: BatchSize::SixtyFour,
        ..Config::default()
    };
    let server = serve(config);
    let addr = server.addr();
    let (good, bad) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut resident = Vec::new();
    for round in 0..ROUNDS {
        std::thread::scope(|scope| {
            for client in 0..CLIENTS {
                let (digits, expected, good, bad) = (&digits, &expected, &good, &bad);
                scope.spawn(move || {
                    let mut http = Client::new(addr);
                    for k in round * REQUESTS..(round + 1) * REQUESTS {
                        match case(client, k, digits) {
                            Case::Good { body, path, digits } => {
                                let answer =
                                    http.send("POST", path, body.as_bytes()).expect("an answer");
                                assert_eq!(answer.status, 200, "{}", answer.body);
                                let outputs = if path.starts_with("/v1") {
                                    tf_outputs(&answer)
                                } else {
                                    kserve_outputs(&answer)
                                };
                                let want: Vec<&Vec<f32>> =
                                    digits.iter().map(|&i| &expected[i]).collect();
                                assert_eq!(outputs.iter().collect::<Vec<_>>(), want);
                                good.fetch_add(1, Relaxed);
                            }
                            Case::Bad { body, path, status } => {
                                let answer =
                                    http.send("POST", path, body.as_bytes()).expect("an answer");
                                assert_eq!(answer.status, status, "{}", answer.body);
                                assert!(!answer.error().is_empty());
                                bad.fetch_add(1, Relaxed);
                            }
                        }
                    }
                });
            }
        });
        resident.push(resident_kib());
    }
    let (good, bad) = (good.into_inner(), bad.into_inner());
    let total = CLIENTS * REQUESTS * ROUNDS;
    assert_eq!(good + bad, total);
    assert!(bad >= total / 4, "{bad} bad requests");
    // Memory flat: the second round, as many requests again, keeps what the first used.
    let [first, second] =
        [resident[0], resident[1]].map(|r| r.expect("VmRSS in /proc/self/status"));
    eprintln!("resident after each round: {first} KiB, {second} KiB");
    assert!(
        second < first + 8 * 1024,
        "resident memory grew from {first} to {second} KiB"
    );
    let metrics = Client::new(addr).get("/metrics").body;
    let answered: f64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with("liandan_requests_total{route=\"kserve_infer\"")
                || l.starts_with("liandan_requests_total{route=\"tfserving_predict\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(answered as usize, total);
    assert!(!metrics.contains("status=\"5"), "{metrics}");
    assert_eq!(metric(&metrics, "liandan_in_flight"), Some(0.0));
}
