//! The `parallel` feature: work is split between this thread and one persistent helper thread
//! (the machine this was tuned on has two cores).
//!
//! - A large product is split by columns of `C`, each half a product of its own on the same
//!   `A`; one deeper than wide that overwrites `C` (a dense layer's forward `W·x`) is split by
//!   depth instead, as a pipeline ([`depth_split`]).
//! - Adam splits a kernel at the same column as its products, and only where the step split
//!   them ([`splits`]), so each thread updates the weights whose gradient it computed and which
//!   it reads next.
//! - Passes over a batch column by column (activations, dropout) split at the column where the
//!   products split the batch ([`by_columns`]), so each thread's columns stay in its cache.
//! - A dense layer's two backward products, when too small to split, run at the same time.
//!
//! A hand-off to the spinning helper costs about a microsecond, so products from a million
//! multiply-adds (about 10 us) are split: the seed network's first layer at batch 32 (3.2 M)
//! and 128 (12.8 M) is, its second layer (0.16 M at batch 128) is not. What moves between the
//! cores' caches costs more than the hand-off: at batch 1, Adam's halves updated on the helper
//! made a step 1.6x slower than with no `parallel` at all, and at batch 32 a column-split
//! forward product (each thread reading all of `W`) made it 131 us instead of 97. The README's
//! Speed section has the measured ratios.

/// Multiply-adds below which a product stays on one thread.
pub(crate) const MIN_WORK: usize = 1 << 20;

/// Whether the products of a kernel of `params` weights at batch `batch` are split (either
/// way): the optimizer splits its update the same way.
pub(crate) fn splits(params: usize, batch: usize) -> bool {
    params.saturating_mul(batch) >= MIN_WORK && batch >= 12
}

/// Where to split the `n` columns of an `m×k` by `k×n` product, or `None` to keep it whole.
///
/// The first part is a multiple of the kernel's 6-column tile, so neither half gets a narrow,
/// slower remainder tile it would not have had.
pub(crate) fn split((m, k, n): (usize, usize, usize)) -> Option<usize> {
    if !splits(m.saturating_mul(k), n) {
        return None;
    }
    column_split(n)
}

/// Where a split at about half of `n` columns falls: a multiple of the kernel's 6-column tile.
pub(crate) fn column_split(n: usize) -> Option<usize> {
    Some((n / 2).div_ceil(6) * 6).filter(|&s| s > 0 && s < n)
}

/// Columns of `C` per step of a depth-split product's pipeline: the AVX-512 kernel's widest tile.
pub(crate) const STRIP: usize = 12;

/// Where to split the depth `k` of an `m×k` by `k×n` product that overwrites `C` (`beta_zero`),
/// or `None` to split it otherwise or not at all.
///
/// A depth-split product is a pipeline: the helper computes each strip of [`STRIP`] columns of
/// `C` over the first `k0` rows of `B` (columns of `A`), and this thread, one strip behind,
/// continues the same chains of multiply-adds over the rest, so every element is bit for bit the
/// serial one. Each thread then reads only its own columns of `A`: a dense layer's forward
/// product `W·x` reads only the half of `W` whose gradient the same thread computed (that
/// product splits `W`'s columns at the same `k0`) and whose Adam update it made, instead of all
/// of `W`, half of which the other core had just written (about 50 us of a 345 us batch-128
/// step moving between the cores' caches). It pays one strip of waiting at each end, which
/// costs most with few strips, yet it is used for every product deeper than wide that splits:
/// a batch-32 step (three strips) took 97 us instead of 131 with it, because a column split
/// makes each thread read all of `W`.
pub(crate) fn depth_split((m, k, n): (usize, usize, usize), beta_zero: bool) -> Option<usize> {
    if !beta_zero || !splits(m.saturating_mul(k), n) || k < n {
        return None;
    }
    column_split(k)
}

/// Runs `first(a)` on the helper thread and `second(b)` on this one: [`join`] for work that
/// owns its data (disjoint halves of buffers, typically).
pub(crate) fn both<A: Send, B>(a: A, b: B, first: impl Fn(A) + Sync, second: impl FnOnce(B)) {
    let a = std::sync::Mutex::new(Some(a));
    join(
        &|| {
            let taken = a.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(a) = taken {
                first(a)
            }
        },
        || second(b),
    )
}

/// Where a batch of `b` columns is split between the threads for work done column by column:
/// where the products split it, so each thread's columns stay in its core's cache. Always even.
pub(crate) fn batch_split(b: usize) -> usize {
    column_split(b).unwrap_or((b / 2) & !1)
}

/// Units of work (values, times the activation's relative cost) from which a pass over a
/// batch is split between the threads: a ReLU's pass over 8192 values takes about 2 us.
pub(crate) const PASS_WORK: usize = 1 << 13;

/// Buffers that hold a batch column by column and can be cut at a flat index.
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

impl<A: Columns, B: Columns, C: Columns> Columns for (A, B, C) {
    fn cut(self, at: usize) -> (Self, Self) {
        let ((a0, a1), (b0, b1), (c0, c1)) = (self.0.cut(at), self.1.cut(at), self.2.cut(at));
        ((a0, b0, c0), (a1, b1, c1))
    }
}

/// Runs `pass(buffers, start)` over a batch of `batch` columns of `rows` values each: whole on
/// this thread, or, from [`PASS_WORK`] units of `work`, as two ranges of columns on the two
/// threads, `start` being the first value's flat index (even).
pub(crate) fn by_columns<S: Columns>(
    (rows, batch): (usize, usize),
    work: usize,
    buffers: S,
    pass: impl Fn(S, usize) + Sync,
) {
    let at = batch_split(batch) * rows;
    if work < PASS_WORK || at == 0 {
        return pass(buffers, 0);
    }
    let (first, second) = buffers.cut(at);
    both(first, second, |b| pass(b, 0), |b| pass(b, at))
}

/// Splits a slice length for the optimizer: two halves, or `None` below `min` elements.
pub(crate) fn halves(len: usize, min: usize) -> Option<usize> {
    (len >= min).then_some(len / 2)
}

/// Runs `a` on the helper thread and `b` on this one, and returns when both are done: what
/// `std::thread::scope` with one spawn does, without starting a thread each time. If the single
/// helper is busy (another thread's join, or a half of this one that splits again), both run
/// here, one after the other.
///
/// The hand-off is an atomic: the helper spins for a while after each job (`SPIN`) and only
/// then sleeps on a condition variable. Waking a sleeping thread costs 30-60 us on the 2-core
/// machine this was measured on, as much as half a product: with a sleeping helper, splitting
/// made a batch-128 step only 1.16x faster and Adam twice slower.
pub(crate) fn join(a: &(dyn Fn() + Sync), b: impl FnOnce()) {
    let Some(guard) = helper() else {
        // The helper is busy: with another caller's job, or with this very join's (a half
        // that splits again). Waiting for it could wait forever; run both halves here.
        a();
        return b();
    };
    let helper: &Helper = &guard;
    let erased: &'static (dyn Fn() + Sync) = {
        // Safety: the reference is only used by the helper until it reports the job done,
        // and this function does not return before that (below), so `a` outlives every use.
        unsafe { core::mem::transmute::<&(dyn Fn() + Sync), &'static (dyn Fn() + Sync)>(a) }
    };
    // Safety: the helper is idle (`IDLE`, we hold the callers' lock), so it does not read the
    // slot until the `JOB` store below publishes it.
    unsafe { *helper.job.get() = Some(erased) };
    helper.state.store(JOB, Ordering::Release);
    {
        let sleeping = helper.sleeping.lock().unwrap_or_else(|e| e.into_inner());
        if *sleeping {
            helper.wake.notify_one();
        }
    }
    // `b` must not unwind past this frame while the helper may still be using `a`: catch it,
    // wait for the helper, then resume.
    let local = std::panic::catch_unwind(std::panic::AssertUnwindSafe(b));
    let mut spins = 0u32;
    let ok = loop {
        match helper.state.load(Ordering::Acquire) {
            DONE => break true,
            PANICKED => break false,
            _ => wait_a_little(&mut spins),
        }
    };
    helper.state.store(IDLE, Ordering::Relaxed);
    drop(guard);
    if let Err(payload) = local {
        std::panic::resume_unwind(payload);
    }
    assert!(ok, "a parallel half panicked");
}

use core::sync::atomic::{AtomicU8, Ordering};

/// The helper's states: waiting for work, given a job, finished it, or it panicked.
const IDLE: u8 = 0;
const JOB: u8 = 1;
const DONE: u8 = 2;
const PANICKED: u8 = 3;

/// Spins, then (after about 20 us) yields the core, so a waiter never starves the thread it
/// waits for when the machine has other work.
pub(crate) fn wait_a_little(spins: &mut u32) {
    *spins += 1;
    if *spins < 1 << 12 {
        core::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// How long the helper polls for its next job before going to sleep: longer than the gaps
/// between the split products of a training step, short enough not to burn a core for long
/// when training stops.
const SPIN: std::time::Duration = std::time::Duration::from_millis(2);

struct Helper {
    state: AtomicU8,
    job: core::cell::UnsafeCell<Option<&'static (dyn Fn() + Sync)>>,
    sleeping: std::sync::Mutex<bool>,
    wake: std::sync::Condvar,
}

// Safety: `job` is written only by the caller holding the callers' lock while the helper is
// `IDLE`, and read only by the helper after it observes `JOB` (release/acquire on `state`).
unsafe impl Sync for Helper {}

/// The one helper thread, started on first use, or `None` while another join holds it.
fn helper() -> Option<std::sync::MutexGuard<'static, &'static Helper>> {
    static HELPER: std::sync::OnceLock<std::sync::Mutex<&'static Helper>> =
        std::sync::OnceLock::new();
    HELPER
        .get_or_init(|| {
            let helper: &'static Helper = std::boxed::Box::leak(std::boxed::Box::new(Helper {
                state: AtomicU8::new(IDLE),
                job: core::cell::UnsafeCell::new(None),
                sleeping: std::sync::Mutex::new(false),
                wake: std::sync::Condvar::new(),
            }));
            std::thread::Builder::new()
                .name("liandan-helper".into())
                .spawn(move || work(helper))
                .expect("cannot start liandan's helper thread");
            std::sync::Mutex::new(helper)
        })
        .try_lock()
        .map_or_else(
            |e| match e {
                std::sync::TryLockError::Poisoned(e) => Some(e.into_inner()),
                std::sync::TryLockError::WouldBlock => None,
            },
            Some,
        )
}

/// The helper's loop: wait for a job (spinning, then sleeping), run it, report.
fn work(helper: &'static Helper) {
    loop {
        wait_for_job(helper);
        // Safety: `JOB` was observed with acquire ordering, so the slot holds the caller's
        // job, which outlives its use (the caller waits for `DONE`).
        let job = unsafe { (*helper.job.get()).take() };
        let ok = job
            .is_some_and(|job| std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_ok());
        helper
            .state
            .store(if ok { DONE } else { PANICKED }, Ordering::Release);
    }
}

/// Returns once `state` is `JOB`: polls for [`SPIN`], then sleeps until woken.
fn wait_for_job(helper: &Helper) {
    let start = std::time::Instant::now();
    let mut polls = 0u32;
    while helper.state.load(Ordering::Acquire) != JOB {
        polls += 1;
        if polls.is_multiple_of(1024) && start.elapsed() > SPIN {
            let mut sleeping = helper.sleeping.lock().unwrap_or_else(|e| e.into_inner());
            *sleeping = true;
            // The caller stores `JOB` before it takes this lock, so either the check below
            // sees it, or the caller finds `sleeping` set and wakes us.
            while helper.state.load(Ordering::Acquire) != JOB {
                sleeping = helper
                    .wake
                    .wait(sleeping)
                    .unwrap_or_else(|e| e.into_inner());
            }
            *sleeping = false;
            return;
        }
        if polls.is_multiple_of(1024) {
            // Let the caller's thread run if the machine has fewer free cores than threads:
            // a helper spinning on the caller's core would delay the very work it waits for.
            std::thread::yield_now();
        }
        core::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_only_large_products_on_tile_boundaries() {
        assert_eq!(split((128, 784, 32)), Some(18));
        assert_eq!(split((128, 784, 1)), None);
        assert_eq!(split((128, 784, 128)), Some(66));
        assert_eq!(split((128, 128, 784)), Some(396));
        assert_eq!(split((10, 128, 128)), None);
        assert_eq!(depth_split((128, 784, 128), true), Some(396));
        assert_eq!(depth_split((128, 784, 128), false), None);
        assert_eq!(depth_split((128, 784, 32), true), Some(396));
        assert_eq!(depth_split((128, 784, 11), true), None);
        assert_eq!(depth_split((128, 128, 784), true), None);
        assert_eq!(halves(100_352, 1 << 16), Some(50_176));
        assert_eq!(halves(128, 1 << 16), None);
        // The seed network's first kernel (784·128) is split from batch 12 on, as its products.
        assert!(!splits(100_352, 10) && split((128, 784, 10)).is_none());
        assert!(!splits(100_352, 11) && split((128, 784, 11)).is_none());
        assert!(splits(100_352, 12) && split((128, 784, 12)).is_some());
    }

    #[test]
    fn a_job_on_the_helper_may_split_again() {
        use core::sync::atomic::AtomicUsize;
        let count = AtomicUsize::new(0);
        let add = || {
            count.fetch_add(1, Ordering::Relaxed);
        };
        join(&|| join(&add, add), || join(&add, add));
        assert_eq!(count.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn a_split_product_equals_the_whole_one_bit_for_bit() {
        for (m, k, n, beta) in [
            (64, 256, 300, 1.0),
            (64, 256, 300, 0.0),
            (70, 700, 133, 0.0),
        ] {
            a_split_product_equals_the_whole_one((m, k, n), beta);
        }
        assert!(depth_split((70, 700, 133), true).is_some());
    }

    fn a_split_product_equals_the_whole_one((m, k, n): (usize, usize, usize), beta: f32) {
        use std::vec::Vec;
        assert!(split((m, k, n)).is_some());
        // Values whose sums round, so a different order of additions would show.
        let a: Vec<f32> = (0..m * k)
            .map(|i| (i * 37 % 101) as f32 * 0.0137 - 0.6)
            .collect();
        let b: Vec<f32> = (0..k * n)
            .map(|i| (i * 53 % 97) as f32 * 0.0211 - 1.0)
            .collect();
        let (mut split_c, mut whole) = (std::vec![1.0f32; m * n], std::vec![1.0f32; m * n]);
        for _ in 0..3 {
            super::super::sgemm((m, k, n), &a, m, &b, (1, k), beta, &mut split_c, m);
        }
        for _ in 0..3 {
            super::super::sgemm_serial((m, k, n), &a, m, &b, (1, k), beta, &mut whole, m);
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&split_c),
            bits(&whole),
            "m={m} k={k} n={n} beta={beta}"
        );
    }
}
