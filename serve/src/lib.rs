//! A declared liandan network behind an HTTP inference server.
//!
//! ```no_run
//! use liandan::prelude::*;
//!
//! network! {
//!     pub struct Mnist { input: [28, 28], Flatten, Dense<128, Relu>, Dropout<0.2>, Dense<10, Softmax> }
//! }
//!
//! liandan_serve::Server::<Mnist<f32>>::from_weights("mnist.safetensors")?.serve("127.0.0.1:8000")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The server speaks two protocols, each with its own paths and answers, and both with
//! `{"error": "..."}` on failure:
//!
//! - the Open Inference Protocol (KServe v2, REST): `GET /v2/health/live`, `/v2/health/ready`,
//!   `/v2`, `/v2/models/{name}` (the input `input` and output `output` with their datatype and
//!   shape from the network's types, the batch axis `-1`), `/v2/models/{name}/ready`, and
//!   `POST /v2/models/{name}/infer`;
//! - TensorFlow Serving's REST API: `POST /v1/models/{name}:predict` with
//!   `{"instances": [...]}`, and `GET /v1/models/{name}`.
//!
//! `GET /` is a page to draw a digit on and see the network's ten outputs; `GET /metrics` is
//! Prometheus text (responses by route and status, latency, batch sizes).
//!
//! Requests are batched on the fly on one inference thread ([`Config`]): their samples are
//! gathered into one batch until it holds [`Config::batch`] samples or the first has waited
//! [`Config::max_wait`], run at the smallest of the const sizes 1, 4, 16, 64 that holds them
//! (padded), and each request is answered with its own outputs; a request of more samples
//! than a batch is split across batches. A bad request gets a 4xx saying what is wrong; a body
//! over [`Config::max_body`] is refused with 413 before it is read whole, one slower than
//! [`Config::body_timeout`] with 408; more than
//! [`Config::max_in_flight`] inference requests at once are refused with 503; more than
//! [`Config::max_connections`] connections wait to be accepted. On ctrl-c or SIGTERM the server
//! stops accepting, finishes the requests in flight, then returns.

#![deny(missing_docs)]

mod batcher;
mod config;
mod http;
mod kserve;
mod lanes;
mod listener;
mod metrics;
mod page;
mod tensor;
mod tfserving;

pub use config::{BadBatchSize, BatchSize, Config, Flags};

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use liandan::io::WeightsError;
use liandan::{Float, Network, Params};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Why a server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The weight file could not be loaded into the network.
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// Binding the address, starting a thread or the runtime, or serving failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl ServeError {
    fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| ServeError::Io { what, source }
    }
}

/// A network and how to serve it.
pub struct Server<N: Network> {
    net: Box<N>,
    config: Config,
}

impl<N> Server<N>
where
    N: Network<Element: Float> + Send + Sync + 'static,
{
    /// A server for `net`, with the default [`Config`].
    pub fn new(net: Box<N>) -> Self {
        Server {
            net,
            config: Config::default(),
        }
    }

    /// A server for the network whose weights are in the safetensors file at `path`; a file
    /// recording another architecture is refused ([`liandan::io::load_weights`]).
    pub fn from_weights(path: impl AsRef<Path>) -> Result<Self, WeightsError>
    where
        N: Params<N::Element>,
    {
        let mut net = N::boxed();
        liandan::io::load_weights(&mut *net, path)?;
        Ok(Self::new(net))
    }

    /// The same server with `config`.
    pub fn with_config(self, config: Config) -> Self {
        Server { config, ..self }
    }

    /// Serves at `address` until ctrl-c or SIGTERM, on a runtime of its own.
    pub fn serve(self, address: &str) -> Result<(), ServeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(ServeError::io("starting the runtime"))?;
        runtime.block_on(async {
            let listener = TcpListener::bind(address)
                .await
                .map_err(ServeError::io(format!("binding {address}")))?;
            self.run(listener, shutdown_signal()).await
        })
    }

    /// Serves on `listener` until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let name = self
            .config
            .name
            .clone()
            .unwrap_or_else(|| N::NAME.to_lowercase());
        let metrics = Arc::new(metrics::Metrics::new());
        let (queue, thread) = batcher::spawn(self.net, &self.config, metrics.clone())
            .map_err(ServeError::io("starting the inference thread"))?;
        let address = listener
            .local_addr()
            .map_err(ServeError::io("reading the address"))?;
        tracing::info!(
            %address,
            model = name,
            network = N::NAME,
            batch = self.config.batch.get(),
            max_wait_us = self.config.max_wait.as_micros() as u64,
            "serving"
        );
        let connections = self.config.max_connections;
        let app = Arc::new(http::App::new::<N>(name, queue, metrics, self.config));
        let listener = listener::Bounded::new(listener, connections);
        let served = axum::serve(listener, http::router(app))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ServeError::io("serving"));
        // Every connection has closed, so every queue handle is gone and the thread returns.
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        tracing::info!("stopped");
        served
    }

    /// Serves at `address` on a thread of its own until [`Running::stop`]: for tests and
    /// benchmarks in one process with their clients.
    pub fn spawn(self, address: &str) -> Result<Running, ServeError> {
        let listener = std::net::TcpListener::bind(address)
            .map_err(ServeError::io(format!("binding {address}")))?;
        let addr = listener
            .local_addr()
            .map_err(ServeError::io("reading the address"))?;
        listener
            .set_nonblocking(true)
            .map_err(ServeError::io("setting the socket non-blocking"))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .map_err(ServeError::io("starting the runtime"))?;
                runtime.block_on(async {
                    let listener = TcpListener::from_std(listener)
                        .map_err(ServeError::io("registering the socket"))?;
                    self.run(listener, async {
                        let _ = stopped.await;
                    })
                    .await
                })
            })
            .map_err(ServeError::io("starting the server thread"))?;
        Ok(Running {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A server serving on a thread of its own; dropping it stops it too.
pub struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServeError>>>,
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets the requests in flight finish, and waits for the server to end.
    pub fn stop(mut self) -> Result<(), ServeError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ServeError::Io {
                what: "the server thread".into(),
                source: std::io::Error::other("panicked"),
            }),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// Completes on ctrl-c or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Structured logs to standard error, filtered by `RUST_LOG` (default `info`).
pub fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
