//! When and where work is split between the two threads.

/// Multiply-adds below which a product stays on one thread.
pub(crate) const MIN_WORK: usize = 1 << 20;

/// Whether the machine has a second thread to split work with, and this thread is not
/// already running a half of a split (where a split would run its halves one after the other).
pub(crate) fn two_threads() -> bool {
    super::threads() >= 2 && !super::inside()
}

/// Whether a product of `size` values times `depth` is large enough to split, e.g. a kernel of
/// `size` weights at a batch of `depth`. The optimizer splits a kernel's update by the same
/// rule as its gradient product ([`adam_split`]), so each thread updates the weights whose
/// gradient it computed.
pub(crate) fn splits(size: usize, depth: usize) -> bool {
    two_threads() && worth_splitting(size, depth)
}

/// Whether a product of `size` values times `depth` is work enough to split, given a second
/// thread.
fn worth_splitting(size: usize, depth: usize) -> bool {
    size.saturating_mul(depth) >= MIN_WORK
}

/// Where to split the `n` columns of an `m×k` by `k×n` product, or `None` to keep it whole.
///
/// The first part is a multiple of the kernel's 6-column tile, so neither half gets a narrow,
/// slower remainder tile it would not have had.
pub(crate) fn split((m, k, n): (usize, usize, usize)) -> Option<usize> {
    if !splits(m.saturating_mul(k), n) || n < 12 {
        return None;
    }
    column_split(n)
}

/// Where a split at about half of `n` columns falls: a multiple of the kernel's 6-column tile.
pub(crate) fn column_split(n: usize) -> Option<usize> {
    Some((n / 2).div_ceil(6) * 6).filter(|&s| s > 0 && s < n)
}

/// Columns of `C` per step of a depth-split product's pipeline of `n` columns: the AVX-512
/// kernel's widest tile, 12, or half of it below 36 columns, so that a small batch still makes
/// a pipeline of two strips or more.
pub(crate) fn strip_width(n: usize) -> usize {
    if n < 36 {
        6
    } else {
        12
    }
}

/// Where to split the depth `k` of an `m×k` by `k×n` product that overwrites `C` (`beta_zero`),
/// or `None` to split it otherwise or not at all.
///
/// A depth-split product is a pipeline: the helper computes each strip of
/// [`strip_width`] columns of `C` over the first `k0` rows of `B` (columns of `A`), and this
/// thread, one strip behind, continues the same chains of multiply-adds over the rest, so every
/// element is bit for bit the serial one. Each thread then reads only its own columns of `A`: a
/// dense layer's forward product `W·x` reads only the half of `W` whose gradient the same
/// thread computed (that product splits `W`'s columns at the same `k0`) and whose Adam update
/// it made, instead of all of `W`, half of which the other core had just written. The pipeline
/// pays one strip of waiting at each end, which even a pipeline of two strips wins back (the
/// README's Speed section has the measurements).
pub(crate) fn depth_split((m, k, n): (usize, usize, usize), beta_zero: bool) -> Option<usize> {
    if !beta_zero || !splits(m.saturating_mul(k), n) || n.div_ceil(strip_width(n)) < 2 || k < n {
        return None;
    }
    column_split(k)
}

/// Where a batch of `b` columns is split between the threads for work done column by column:
/// at the column where a column-split product would split it. Always even, so a dropout mask,
/// which takes two features from each random number, splits between pairs.
pub(crate) fn batch_split(b: usize) -> usize {
    column_split(b).unwrap_or((b / 2) & !1)
}

/// Units of work (multiply-adds, or values read) from which a pass over whole samples is split
/// between the threads: as for a pass by columns, about 2 us of work.
const SAMPLE_WORK: usize = 1 << 13;

/// Where a pass over `batch` whole samples of `work` units in all is split between the threads,
/// or `None` to run it whole: at the column where the batch's passes by columns split it
/// ([`batch_split`]), so each thread's samples stay in its core's cache from a convolution to
/// the pooling after it and on to the dense layers' columns.
pub(crate) fn sample_split(batch: usize, work: usize) -> Option<usize> {
    let at = batch_split(batch);
    (two_threads() && work >= SAMPLE_WORK && at > 0).then_some(at)
}

/// Multiply-adds from which a dense layer's two backward products, each too small to split,
/// run at the same time on the two threads: about 1.5 us each on the machine of the README,
/// above the microsecond a hand-off costs.
const CONCURRENT_WORK: usize = 1 << 16;

/// Whether a dense layer's two backward products of `work` multiply-adds each, the parameter
/// gradient of `outputs` rows and the input gradient of `batch` columns, run at the same time:
/// too small to split, large enough to hand off, and only with the helper computing the
/// parameter gradient when it is the smaller output (`outputs ≤ batch`), so the less moves back
/// to this core (where the optimizer reads it).
pub(crate) fn concurrent(work: usize, (outputs, batch): (usize, usize)) -> bool {
    two_threads() && outputs <= batch && (CONCURRENT_WORK..MIN_WORK).contains(&work)
}

/// Splits a slice length for the optimizer: two halves, or `None` below `min` elements.
pub(crate) fn halves(len: usize, min: usize) -> Option<usize> {
    (len >= min).then_some(len / 2)
}

/// Values from which Adam updates a tensor on two threads.
const ADAM_WORK: usize = 1 << 16;

/// Where Adam splits a tensor of `len` values, or `None` to update it whole.
///
/// A kernel of `rows` rows is split between the same columns as its products split it (the
/// forward product by depth, the gradient by columns), so each thread updates the weights whose
/// gradient it computed and which it reads in the next forward pass. After a step on `batch`
/// samples, a kernel whose products were not split (too little work) is not split either:
/// otherwise half of it would move between the cores' caches, which made a batch-1 step of the
/// seed network 1.6x slower. Without a second thread nothing is split, whether or not the
/// batch is known.
pub(crate) fn adam_split(len: usize, rows: Option<usize>, batch: Option<usize>) -> Option<usize> {
    adam_split_on(two_threads(), len, rows, batch)
}

/// [`adam_split`] on a machine with a second thread (`two`) or without one.
fn adam_split_on(
    two: bool,
    len: usize,
    rows: Option<usize>,
    batch: Option<usize>,
) -> Option<usize> {
    let worth = batch.is_none_or(|b| worth_splitting(len, b));
    let half = halves(len, ADAM_WORK).filter(|_| two && worth)?;
    let at_columns = rows
        .filter(|&r| r > 0 && len.is_multiple_of(r))
        .and_then(|r| Some(r * column_split(len / r)?));
    Some(at_columns.unwrap_or(half))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rule`'s answer on a machine of two threads or more; `None` on one.
    fn on_two<X>(rule: Option<X>) -> Option<X> {
        rule.filter(|_| two_threads())
    }

    #[test]
    fn splits_only_large_products_on_tile_boundaries() {
        assert_eq!(split((128, 784, 32)), on_two(Some(18)));
        assert_eq!(split((128, 784, 1)), None);
        assert_eq!(split((128, 784, 128)), on_two(Some(66)));
        assert_eq!(split((128, 128, 784)), on_two(Some(396)));
        assert_eq!(split((10, 128, 128)), None);
        assert_eq!(halves(100_352, 1 << 16), Some(50_176));
        assert_eq!(
            adam_split(100_352, Some(128), Some(32)),
            on_two(Some(128 * 396))
        );
        assert_eq!(adam_split(100_352, Some(128), Some(1)), None);
        assert_eq!(halves(128, 1 << 16), None);
    }

    #[test]
    fn depth_splits_need_two_strips_and_more_depth_than_width() {
        assert_eq!(depth_split((128, 784, 128), true), on_two(Some(396)));
        assert_eq!(depth_split((128, 784, 128), false), None);
        assert_eq!(depth_split((128, 784, 32), true), on_two(Some(396)));
        assert_eq!(depth_split((128, 784, 11), true), on_two(Some(396)));
        assert_eq!(depth_split((128, 784, 10), true), None);
        assert_eq!(depth_split((128, 128, 784), true), None);
        assert_eq!(depth_split((600_000, 2, 2), true), None);
        assert_eq!((strip_width(35), strip_width(36)), (6, 12));
    }

    #[test]
    fn adam_splits_the_first_kernel_where_its_gradient_splits() {
        // The gradient of the seed network's first kernel is a 128×B by B×784 product.
        for batch in [1, 10, 11, 12, 32] {
            assert_eq!(
                splits(100_352, batch),
                split((128, batch, 784)).is_some(),
                "{batch}"
            );
        }
        assert!(!splits(100_352, 10) && splits(100_352, 11) == two_threads());
    }

    #[test]
    fn adam_splits_only_with_a_second_thread_even_without_a_batch() {
        // `Optimizer::update` called directly: the batch is unknown.
        assert_eq!(adam_split_on(false, 100_352, Some(128), None), None);
        assert_eq!(adam_split_on(false, 100_352, None, None), None);
        assert_eq!(adam_split_on(false, 100_352, Some(128), Some(32)), None);
        assert_eq!(
            adam_split_on(true, 100_352, Some(128), None),
            Some(128 * 396)
        );
        assert_eq!(adam_split_on(true, 100_352, None, None), Some(50_176));
        assert_eq!(adam_split_on(true, 100_352, Some(128), Some(1)), None);
        assert_eq!(adam_split_on(true, 1000, None, None), None);
    }

    #[test]
    fn batch_splits_are_even_and_inside_the_batch() {
        for b in 1..300 {
            let at = batch_split(b);
            assert!(at.is_multiple_of(2) && at < b.max(1), "{b}: {at}");
            if let Some(s) = column_split(b) {
                assert_eq!(at, s);
            }
        }
        assert_eq!(batch_split(128), 66);
    }
}
