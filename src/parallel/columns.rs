//! Passes over a batch column by column (activations, dropout), split between the threads
//! always at the column [`batch_split`](super::batch_split) gives, so each thread's columns
//! stay in its core's cache from one pass to the next.

/// Units of work (values, times the activation's relative cost) from which a pass over a
/// batch is split between the threads: a ReLU's pass over 8192 values takes about 2 us.
#[cfg(feature = "parallel")]
const PASS_WORK: usize = 1 << 13;

/// Buffers that hold a batch column by column (or sample by sample, as slices of samples) and
/// can be cut at a flat index (or a sample); an absent buffer (`None`) into two absent ones.
#[cfg_attr(not(feature = "parallel"), allow(dead_code))]
pub(crate) trait Columns: Sized + Send {
    /// The values before `at`, and the rest.
    fn cut(self, at: usize) -> (Self, Self);
}

impl<T: Sync> Columns for &[T] {
    fn cut(self, at: usize) -> (Self, Self) {
        self.split_at(at)
    }
}

impl<T: Send> Columns for &mut [T] {
    fn cut(self, at: usize) -> (Self, Self) {
        self.split_at_mut(at)
    }
}

impl<A: Columns, B: Columns> Columns for (A, B) {
    fn cut(self, at: usize) -> (Self, Self) {
        let ((a0, a1), (b0, b1)) = (self.0.cut(at), self.1.cut(at));
        ((a0, b0), (a1, b1))
    }
}

impl<S: Columns> Columns for Option<S> {
    fn cut(self, at: usize) -> (Self, Self) {
        match self {
            Some(s) => {
                let (a, b) = s.cut(at);
                (Some(a), Some(b))
            }
            None => (None, None),
        }
    }
}

impl<A: Columns, B: Columns, C: Columns> Columns for (A, B, C) {
    fn cut(self, at: usize) -> (Self, Self) {
        let ((a0, a1), (b0, b1), (c0, c1)) = (self.0.cut(at), self.1.cut(at), self.2.cut(at));
        ((a0, b0, c0), (a1, b1, c1))
    }
}

/// Runs `pass(buffers, start)` over a batch of `batch` columns of `rows` values each, `start`
/// being the flat index of the buffers' first value: whole on this thread, or, with the
/// `parallel` feature and from [`PASS_WORK`] units of `work`, as two ranges of whole columns on
/// the two threads (the second starting at an even index).
pub(crate) fn by_columns<S: Columns>(
    (rows, batch): (usize, usize),
    work: usize,
    buffers: S,
    pass: impl Fn(S, usize) + Sync,
) {
    #[cfg(feature = "parallel")]
    {
        let at = super::batch_split(batch) * rows;
        if work >= PASS_WORK && at > 0 && super::two_threads() {
            let (first, second) = buffers.cut(at);
            return super::both(first, second, |b| pass(b, 0), |b| pass(b, at));
        }
    }
    let _ = (rows, batch, work);
    pass(buffers, 0)
}
