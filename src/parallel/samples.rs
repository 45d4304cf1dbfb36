//! Passes over a batch sample by sample (a convolution's chunks, pooling), split between the
//! threads at the sample where the passes by columns split it
//! ([`batch_split`](super::batch_split)), so the samples one layer's pass leaves in a core's
//! cache are the ones the next layer's pass on that core reads, up to the dense layers'
//! columns.

use super::columns::Columns;

/// Runs `pass(buffers)` over a batch of `batch` samples, each buffer a slice of whole samples:
/// whole on this thread, or, with the `parallel` feature and work enough (`work` multiply-adds
/// or values read, in all; [`sample_split`](super::sample_split)), as two ranges of whole
/// samples on the two threads.
pub(crate) fn by_samples<S: Columns>(
    batch: usize,
    work: usize,
    buffers: S,
    pass: impl Fn(S) + Sync,
) {
    #[cfg(feature = "parallel")]
    if let Some(at) = super::sample_split(batch, work) {
        let (first, second) = buffers.cut(at);
        return super::both(first, second, &pass, &pass);
    }
    let _ = (batch, work);
    pass(buffers)
}

/// As [`by_samples`], for a pass that also sums over its samples into an accumulator `A` (a
/// kernel's gradient): whole, it sums into `sum`; split, the first half sums into `sum` and
/// the second into `spare`, then `add(sum, spare)` adds the second half's share into `sum`.
/// Without a spare (`None`, always without the `parallel` feature) the pass is not split.
///
/// The split is fixed for a batch size, so the sum is the same from run to run, but it is
/// rounded differently from the whole pass's: one addition of two running sums instead of one
/// running sum over the batch.
pub(crate) fn by_samples_summed<S: Columns, A: Send>(
    batch: usize,
    work: usize,
    buffers: S,
    (mut sum, spare): (A, Option<A>),
    pass: impl Fn(S, &mut A) + Sync,
    add: impl FnOnce(&mut A, &A),
) {
    #[cfg(feature = "parallel")]
    if let (Some(at), Some(mut spare)) = (super::sample_split(batch, work), spare) {
        let (first, second) = buffers.cut(at);
        let half = |(buffers, sum): (S, &mut A)| pass(buffers, sum);
        super::both((first, &mut sum), (second, &mut spare), half, half);
        return add(&mut sum, &spare);
    }
    #[cfg(not(feature = "parallel"))]
    let _ = (batch, work, spare, add);
    pass(buffers, &mut sum)
}
