//! The server's counters, written in Prometheus' text format at `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use crate::config::BatchSize;

/// The latency histogram's upper bounds, in seconds.
const LATENCY_BOUNDS: [f64; 12] = [
    50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 20e-3, 50e-3, 100e-3, 1.0,
];

/// The gathered-samples histogram's upper bounds.
const FILL_BOUNDS: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];

/// A histogram with fixed bounds: a count per bucket, the sum and the count.
struct Histogram<const K: usize> {
    buckets: [AtomicU64; K],
    /// The sum of the observations, in the unit `sum_scale` divides by.
    sum: AtomicU64,
    count: AtomicU64,
}

impl<const K: usize> Histogram<K> {
    fn new() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    /// Counts an observation of `value` in bucket `bucket` (`K`: above every bound).
    fn observe(&self, bucket: usize, value: u64) {
        if let Some(b) = self.buckets.get(bucket) {
            b.fetch_add(1, Relaxed);
        }
        self.sum.fetch_add(value, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    /// Writes the histogram `name` with bounds printed by `bound`, its sum divided by `scale`.
    fn write(&self, out: &mut String, name: &str, bound: impl Fn(usize) -> String, scale: f64) {
        let mut cumulative = 0;
        for (k, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{}\"}} {cumulative}", bound(k));
        }
        let count = self.count.load(Relaxed);
        let sum = self.sum.load(Relaxed) as f64 / scale;
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// Every counter the server keeps; shared by the handlers and the inference thread.
pub(crate) struct Metrics {
    /// Responses by route and status code.
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Histogram<12>,
    /// Samples gathered per batch run.
    fill: Histogram<7>,
    /// Batch runs by the const size they ran at.
    runs: [AtomicU64; 4],
    /// Requests whose client had gone before their batch ran.
    abandoned: AtomicU64,
    in_flight: AtomicU64,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        Metrics {
            requests: Mutex::new(BTreeMap::new()),
            latency: Histogram::new(),
            fill: Histogram::new(),
            runs: std::array::from_fn(|_| AtomicU64::new(0)),
            abandoned: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        }
    }

    /// Counts one response of `route` with `status`, answered after `elapsed`.
    pub(crate) fn request(&self, route: &'static str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route, status)).or_insert(0) += 1;
        }
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BOUNDS.iter().position(|&b| seconds <= b);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency
            .observe(bucket.unwrap_or(LATENCY_BOUNDS.len()), micros);
    }

    /// Counts one batch run of `samples` samples at `size`.
    pub(crate) fn batch(&self, samples: usize, size: usize) {
        let bucket = FILL_BOUNDS.iter().position(|&b| samples <= b);
        self.fill
            .observe(bucket.unwrap_or(FILL_BOUNDS.len()), samples as u64);
        let run = BatchSize::ALL.iter().position(|s| s.get() == size);
        if let Some(counter) = run.and_then(|k| self.runs.get(k)) {
            counter.fetch_add(1, Relaxed);
        }
    }

    /// Counts a request dropped because its client went away.
    pub(crate) fn abandoned(&self) {
        self.abandoned.fetch_add(1, Relaxed);
    }

    /// One more request being handled; the number now.
    pub(crate) fn enter(&self) -> u64 {
        self.in_flight.fetch_add(1, Relaxed) + 1
    }

    /// The requests being handled.
    pub(crate) fn in_flight(&self) -> u64 {
        self.in_flight.load(Relaxed)
    }

    /// One request fewer being handled.
    pub(crate) fn leave(&self) {
        self.in_flight.fetch_sub(1, Relaxed);
    }

    /// Everything, in Prometheus' text exposition format.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP liandan_requests_total Responses by route and status code.\n");
        out.push_str("# TYPE liandan_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((route, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "liandan_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP liandan_request_duration_seconds Time from request to response.\n");
        out.push_str("# TYPE liandan_request_duration_seconds histogram\n");
        let latency = |k: usize| LATENCY_BOUNDS[k].to_string();
        self.latency
            .write(&mut out, "liandan_request_duration_seconds", latency, 1e6);
        out.push_str("# HELP liandan_batch_samples Samples gathered into one batch run.\n");
        out.push_str("# TYPE liandan_batch_samples histogram\n");
        let fill = |k: usize| FILL_BOUNDS[k].to_string();
        self.fill
            .write(&mut out, "liandan_batch_samples", fill, 1.0);
        out.push_str("# HELP liandan_batches_total Batch runs by the const batch size used.\n");
        out.push_str("# TYPE liandan_batches_total counter\n");
        for (size, n) in BatchSize::ALL.iter().zip(&self.runs) {
            let n = n.load(Relaxed);
            let _ = writeln!(out, "liandan_batches_total{{size=\"{size}\"}} {n}");
        }
        out.push_str("# HELP liandan_abandoned_total Requests whose client left first.\n");
        out.push_str("# TYPE liandan_abandoned_total counter\n");
        let _ = writeln!(
            out,
            "liandan_abandoned_total {}",
            self.abandoned.load(Relaxed)
        );
        out.push_str("# HELP liandan_in_flight Inference requests being handled.\n");
        out.push_str("# TYPE liandan_in_flight gauge\n");
        let _ = writeln!(out, "liandan_in_flight {}", self.in_flight.load(Relaxed));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_and_requests_are_counted_in_prometheus_text() {
        let metrics = Metrics::new();
        metrics.batch(3, 4);
        metrics.batch(16, 16);
        metrics.request("infer", 200, Duration::from_micros(150));
        let text = metrics.render();
        assert!(text.contains("liandan_batch_samples_bucket{le=\"2\"} 0\n"));
        assert!(text.contains("liandan_batch_samples_bucket{le=\"4\"} 1\n"));
        assert!(text.contains("liandan_batch_samples_bucket{le=\"16\"} 2\n"));
        assert!(text.contains("liandan_batch_samples_sum 19\n"));
        assert!(text.contains("liandan_batches_total{size=\"4\"} 1\n"));
        assert!(text.contains("liandan_requests_total{route=\"infer\",status=\"200\"} 1\n"));
        assert!(text.contains("liandan_request_duration_seconds_bucket{le=\"0.0001\"} 0\n"));
        assert!(text.contains("liandan_request_duration_seconds_bucket{le=\"0.0002\"} 1\n"));
    }
}
