//! Batching on the fly: requests queue for one inference thread, which gathers their samples
//! into one batch until it is full or the first sample has waited long enough (or no other
//! request is in flight to wait for), runs it, and answers each request with its own outputs.
//!
//! A request of more samples than a batch holds is split across consecutive batches; a partial
//! batch runs at the smallest const size that holds it ([`Lanes`]). Every buffer the thread
//! uses is allocated when it starts.

use std::collections::VecDeque;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use liandan::shape::Shape;
use liandan::Network;
use tokio::sync::oneshot;

use crate::config::Config;
use crate::lanes::Lanes;
use crate::metrics::Metrics;

/// One request's samples, and where its outputs go.
pub(crate) struct Job<E> {
    /// The samples' values, one sample after another.
    pub(crate) input: Vec<E>,
    /// How many samples `input` holds.
    pub(crate) samples: usize,
    /// Empty, with room for every output value: filled and sent back through `reply`.
    pub(crate) output: Vec<E>,
    pub(crate) reply: oneshot::Sender<Vec<E>>,
}

/// Why a job was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The queue is at its bound.
    Full,
    /// The inference thread has stopped.
    Stopped,
}

/// The sending end of the inference thread's bounded queue.
pub(crate) struct Queue<E> {
    sender: SyncSender<Job<E>>,
}

impl<E> Queue<E> {
    /// Queues `job` without waiting.
    pub(crate) fn submit(&self, job: Job<E>) -> Result<(), Refused> {
        self.sender.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => Refused::Full,
            TrySendError::Disconnected(_) => Refused::Stopped,
        })
    }
}

/// Starts the inference thread for `net`; it ends when every [`Queue`] is dropped.
pub(crate) fn spawn<N: Network + Send + 'static>(
    net: Box<N>,
    config: &Config,
    metrics: Arc<Metrics>,
) -> std::io::Result<(Queue<N::Element>, JoinHandle<()>)> {
    let (sender, receiver) = sync_channel(config.max_in_flight.max(1));
    let (batch, wait) = (config.batch, config.max_wait);
    let thread = std::thread::Builder::new()
        .name("inference".into())
        .spawn(move || {
            let lanes = Lanes::new(batch);
            Batcher::new(&*net, lanes, receiver, wait, metrics).run();
        })?;
    Ok((Queue { sender }, thread))
}

/// A queued request and how far it has got.
struct Active<E> {
    job: Job<E>,
    /// Samples copied into a batch.
    taken: usize,
}

/// The inference thread's state.
struct Batcher<'a, N: Network> {
    net: &'a N,
    lanes: Lanes<N>,
    receiver: Receiver<Job<N::Element>>,
    wait: Duration,
    metrics: Arc<Metrics>,
    /// The gathered samples' values, room for the largest batch.
    input: Vec<N::Element>,
    /// Their outputs.
    output: Vec<N::Element>,
    /// Requests in the batch being gathered, oldest first; only the last may be partly taken.
    queue: VecDeque<Active<N::Element>>,
}

impl<'a, N: Network> Batcher<'a, N> {
    fn new(
        net: &'a N,
        lanes: Lanes<N>,
        receiver: Receiver<Job<N::Element>>,
        wait: Duration,
        metrics: Arc<Metrics>,
    ) -> Self {
        let max = lanes.max();
        Batcher {
            net,
            input: vec![N::Element::default(); max * <N::Input as Shape>::LEN],
            output: vec![N::Element::default(); max * <N::Output as Shape>::LEN],
            queue: VecDeque::with_capacity(max + 1),
            lanes,
            receiver,
            wait,
            metrics,
        }
    }

    /// Runs batches until every sender is gone and nothing is left.
    fn run(mut self) {
        loop {
            if self.queue.is_empty() {
                match self.receiver.recv() {
                    Ok(job) => self.admit(job),
                    Err(_) => return,
                }
            }
            let deadline = Instant::now() + self.wait;
            let samples = self.gather(deadline);
            if samples > 0 {
                let size = self
                    .lanes
                    .run(self.net, samples, &self.input, &mut self.output);
                self.metrics.batch(samples, size);
                self.scatter(samples);
            }
        }
    }

    /// Queues `job` unless its client has already gone.
    fn admit(&mut self, job: Job<N::Element>) {
        if job.reply.is_closed() {
            self.metrics.abandoned();
        } else {
            self.queue.push_back(Active { job, taken: 0 });
        }
    }

    /// Copies samples of the queued requests into `input` until the batch is full, or
    /// `deadline` passes with nothing more arriving, or no other request is in flight;
    /// returns how many.
    fn gather(&mut self, deadline: Instant) -> usize {
        let max = self.lanes.max();
        let len = <N::Input as Shape>::LEN;
        let (mut filled, mut next) = (0, 0);
        loop {
            while filled < max && next < self.queue.len() {
                let active = &mut self.queue[next];
                let n = (active.job.samples - active.taken).min(max - filled);
                let from = &active.job.input[active.taken * len..(active.taken + n) * len];
                self.input[filled * len..(filled + n) * len].copy_from_slice(from);
                active.taken += n;
                filled += n;
                if active.taken == active.job.samples {
                    next += 1;
                }
            }
            // Waiting helps only if a request is on its way: if every inference request in
            // flight is already in this batch, run it now.
            let coming = self.metrics.in_flight() > self.queue.len() as u64;
            if filled == max || !coming {
                return filled;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.receiver.recv_timeout(left) {
                Ok(job) => self.admit(job),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return filled,
            }
        }
    }

    /// Hands the first `samples` outputs to the requests they belong to, answering each
    /// request whose samples are all done.
    fn scatter(&mut self, samples: usize) {
        let len = <N::Output as Shape>::LEN;
        let mut at = 0;
        while at < samples {
            let Some(active) = self.queue.front_mut() else {
                return;
            };
            let done = active.job.output.len() / len;
            let n = active.taken - done;
            active
                .job
                .output
                .extend_from_slice(&self.output[at * len..(at + n) * len]);
            at += n;
            if active.taken < active.job.samples {
                return;
            }
            if let Some(Active { job, .. }) = self.queue.pop_front() {
                if job.reply.send(job.output).is_err() {
                    self.metrics.abandoned();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use liandan::prelude::*;
    use liandan::rng::SplitMix64;

    use super::*;
    use crate::config::BatchSize;

    network! {
        struct Small { input: [3], Dense<2, Tanh> }
    }

    /// Queues `samples` samples starting at value `start`, returning where the answer comes;
    /// with `gone`, the client has gone before it is queued.
    fn submit(
        queue: &Queue<f32>,
        samples: usize,
        start: f32,
        gone: bool,
    ) -> Option<oneshot::Receiver<Vec<f32>>> {
        let (reply, answer) = oneshot::channel();
        let answer = (!gone).then_some(answer);
        let input = (0..samples * 3).map(|i| start + i as f32 * 0.1).collect();
        let output = Vec::with_capacity(samples * 2);
        let job = Job {
            input,
            samples,
            output,
            reply,
        };
        assert_eq!(queue.submit(job), Ok(()));
        answer
    }

    #[test]
    fn requests_are_gathered_split_and_answered_with_their_own_outputs() {
        let net = Small::<f32>::new(&mut SplitMix64::new(3));
        let same = Box::new(Small::<f32>::new(&mut SplitMix64::new(3)));
        let config = Config {
            batch: BatchSize::Four,
            max_wait: Duration::from_millis(50),
            ..Config::default()
        };
        let metrics = Arc::new(Metrics::new());
        let (queue, thread) = spawn(same, &config, metrics.clone()).unwrap();
        // 1 + 6 + 2 samples: the six cannot fit one batch of four.
        let sizes = [(1, 0.0), (6, 1.0), (2, -2.0)];
        let answers: Vec<_> = sizes
            .iter()
            .map(|&(n, s)| submit(&queue, n, s, false))
            .collect();
        submit(&queue, 2, 5.0, true);
        for (answer, &(samples, start)) in answers.into_iter().zip(&sizes) {
            let output = answer.unwrap().blocking_recv().unwrap();
            let expected: Vec<f32> = (0..samples)
                .flat_map(|j| {
                    let x = (0..3).map(|i| start + (j * 3 + i) as f32 * 0.1);
                    let x = SVector::<f32, 3>::from_iterator(x);
                    net.predict(&x).as_slice().to_vec()
                })
                .collect();
            assert_eq!(output, expected);
        }
        drop(queue);
        thread.join().unwrap();
        // 9 samples in batches of at most 4; the abandoned request never ran.
        let text = metrics.render();
        assert!(text.contains("liandan_batch_samples_sum 9\n"), "{text}");
        assert!(text.contains("liandan_abandoned_total 1\n"), "{text}");
    }
}
