//! The batches the inference thread runs: one input and one output buffer per batch size of the
//! ladder, allocated once at start, and the one function that calls into the network.

use liandan::layer::{In, Out, Scratch};
use liandan::shape::{Buffer, Shape};
use liandan::{Network, Zeroed};

use crate::config::BatchSize;

/// Runs the network on one batch of `B` samples: the only call into the network, so a change
/// of the inference contract is a change here.
fn infer_batch<N: Network, const B: usize>(
    net: &N,
    x: &In<N, B>,
    y: &mut Out<N, B>,
    scratch: &mut Scratch<N, B>,
) {
    net.forward(x, y, scratch);
}

/// The input and output batch of one const size and the scratch inference works in, on the
/// heap.
struct Lane<N: Network, const B: usize> {
    x: Box<In<N, B>>,
    y: Box<Out<N, B>>,
    scratch: Box<Scratch<N, B>>,
}

impl<N: Network, const B: usize> Lane<N, B> {
    fn new() -> Self {
        Lane {
            x: Zeroed::boxed(),
            y: Zeroed::boxed(),
            scratch: Zeroed::boxed(),
        }
    }

    /// Copies `input` (at most `B` samples) in, zeroes the padding, runs the batch and copies
    /// the outputs of the samples given into `output`.
    fn run(&mut self, net: &N, input: &[N::Element], output: &mut [N::Element]) {
        let x = self.x.as_mut_slice();
        x[..input.len()].copy_from_slice(input);
        x[input.len()..].fill(N::Element::default());
        infer_batch::<N, B>(net, &self.x, &mut self.y, &mut self.scratch);
        output.copy_from_slice(&self.y.as_slice()[..output.len()]);
    }
}

/// Batches of 1, 4, 16 and 64 samples, up to the configured largest: a partial batch runs at
/// the smallest size that holds it, padded with zeros.
pub(crate) struct Lanes<N: Network> {
    max: BatchSize,
    one: Lane<N, 1>,
    four: Option<Lane<N, 4>>,
    sixteen: Option<Lane<N, 16>>,
    sixty_four: Option<Lane<N, 64>>,
}

impl<N: Network> Lanes<N> {
    /// The buffers of every size up to `max`.
    pub(crate) fn new(max: BatchSize) -> Self {
        let n = max.get();
        Lanes {
            max,
            one: Lane::new(),
            four: (n >= 4).then(Lane::new),
            sixteen: (n >= 16).then(Lane::new),
            sixty_four: (n >= 64).then(Lane::new),
        }
    }

    /// The largest batch.
    pub(crate) fn max(&self) -> usize {
        self.max.get()
    }

    /// Runs `samples` samples (at most [`max`](Self::max); `input` holds their values,
    /// `output` gets theirs) at the smallest size that holds them, and returns that size.
    pub(crate) fn run(
        &mut self,
        net: &N,
        samples: usize,
        input: &[N::Element],
        output: &mut [N::Element],
    ) -> usize {
        let input = &input[..samples * <N::Input as Shape>::LEN];
        let output = &mut output[..samples * <N::Output as Shape>::LEN];
        let size = BatchSize::holding(samples);
        match (
            size,
            &mut self.four,
            &mut self.sixteen,
            &mut self.sixty_four,
        ) {
            (BatchSize::One, ..) => self.one.run(net, input, output),
            (BatchSize::Four, Some(lane), ..) => lane.run(net, input, output),
            (BatchSize::Sixteen, _, Some(lane), _) => lane.run(net, input, output),
            (_, _, _, Some(lane)) => lane.run(net, input, output),
            // The batcher never gathers more than `max` samples, so the lane exists.
            _ => unreachable!("{samples} samples exceed the largest batch, {}", self.max()),
        }
        size.get()
    }
}
