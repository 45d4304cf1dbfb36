//! What a server is configured with, and the command-line flags that set it.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// A batch size the inference thread runs at: each is monomorphized, so the set is fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BatchSize {
    /// One sample.
    One,
    /// Four samples.
    Four,
    /// Sixteen samples.
    Sixteen,
    /// Sixty-four samples.
    SixtyFour,
}

impl BatchSize {
    /// Every size, smallest first.
    pub const ALL: [BatchSize; 4] = [Self::One, Self::Four, Self::Sixteen, Self::SixtyFour];

    /// The number of samples.
    pub const fn get(self) -> usize {
        match self {
            Self::One => 1,
            Self::Four => 4,
            Self::Sixteen => 16,
            Self::SixtyFour => 64,
        }
    }

    /// The smallest size holding `samples` samples (the largest if none does).
    pub fn holding(samples: usize) -> Self {
        Self::ALL
            .into_iter()
            .find(|size| size.get() >= samples)
            .unwrap_or(Self::SixtyFour)
    }
}

impl fmt::Display for BatchSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// A batch size that is not one of [`BatchSize::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("batch size `{0}` is not one of 1, 4, 16, 64")]
pub struct BadBatchSize(String);

impl FromStr for BatchSize {
    type Err = BadBatchSize;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|size| size.to_string() == s)
            .ok_or_else(|| BadBatchSize(s.to_string()))
    }
}

/// How a server batches, and what it refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The model's name in both protocols' paths; `None`: the network's name in lower case.
    pub name: Option<String>,
    /// The largest batch the inference thread gathers.
    pub batch: BatchSize,
    /// How long the inference thread waits for a batch to fill after its first sample.
    pub max_wait: Duration,
    /// The largest request body read, in bytes; a larger one is refused with 413.
    pub max_body: usize,
    /// How long a request body may take to arrive; a slower one is refused with 408, so slow
    /// clients cannot hold the in-flight places forever.
    pub body_timeout: Duration,
    /// Inference requests handled at once; one more is refused with 503.
    pub max_in_flight: usize,
    /// Connections open at once; further ones wait in the listener's backlog.
    pub max_connections: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            name: None,
            batch: BatchSize::Sixteen,
            max_wait: Duration::from_micros(200),
            max_body: 4 << 20,
            body_timeout: Duration::from_secs(30),
            max_in_flight: 256,
            max_connections: 512,
        }
    }
}

/// The command-line flags of a server program, for `clap`: flatten them into its own parser.
#[derive(Clone, Debug, clap::Args)]
pub struct Flags {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub address: String,
    /// A safetensors weight file for the network (its architecture is checked).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// The model's name in the URLs (default: the network's name in lower case).
    #[arg(long)]
    pub name: Option<String>,
    /// The largest batch: 1, 4, 16 or 64.
    #[arg(long, default_value_t = BatchSize::Sixteen)]
    pub batch_size: BatchSize,
    /// How long a batch waits to fill after its first sample, in microseconds.
    #[arg(long, default_value_t = 200)]
    pub max_wait_us: u64,
    /// The largest request body, in bytes.
    #[arg(long, default_value_t = 4 << 20)]
    pub max_body_bytes: usize,
    /// How long a request body may take to arrive, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub body_timeout_ms: u64,
    /// Inference requests handled at once; more are refused with 503.
    #[arg(long, default_value_t = 256)]
    pub max_in_flight: usize,
    /// Connections open at once; more wait to be accepted.
    #[arg(long, default_value_t = 512)]
    pub max_connections: usize,
}

impl Flags {
    /// The configuration the flags describe.
    pub fn config(&self) -> Config {
        Config {
            name: self.name.clone(),
            batch: self.batch_size,
            max_wait: Duration::from_micros(self.max_wait_us),
            max_body: self.max_body_bytes,
            body_timeout: Duration::from_millis(self.body_timeout_ms),
            max_in_flight: self.max_in_flight,
            max_connections: self.max_connections,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holding_is_the_smallest_size_that_fits() {
        let sizes: Vec<usize> = [0, 1, 2, 4, 5, 16, 17, 64, 65]
            .map(|n| BatchSize::holding(n).get())
            .to_vec();
        assert_eq!(sizes, [1, 1, 4, 4, 16, 16, 64, 64, 64]);
    }

    #[test]
    fn batch_sizes_parse_from_the_fixed_set_only() {
        assert_eq!("16".parse(), Ok(BatchSize::Sixteen));
        let err = "8".parse::<BatchSize>().unwrap_err();
        assert_eq!(err.to_string(), "batch size `8` is not one of 1, 4, 16, 64");
    }
}
