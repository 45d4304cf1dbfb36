//! The `parallel` feature: a large product is split by columns of `C` between this thread and
//! one scoped thread (the machine this was tuned on has two cores), each half a product of its
//! own on the same `A`.
//!
//! A scoped thread costs tens of microseconds to start and join here, so only products worth
//! several of those are split: the seed network's first layer at batch 128 (12.8 M multiply-adds,
//! about 130 us) is, its second layer (0.16 M) is not.

/// Multiply-adds below which a product stays on one thread.
pub(crate) const MIN_WORK: usize = 4 << 20;

/// Where to split the `n` columns of an `m×k` by `k×n` product, or `None` to keep it whole.
///
/// The first part is a multiple of the kernel's 6-column tile, so neither half gets a narrow,
/// slower remainder tile it would not have had.
pub(crate) fn split((m, k, n): (usize, usize, usize)) -> Option<usize> {
    if m.saturating_mul(k).saturating_mul(n) < MIN_WORK || n < 12 {
        return None;
    }
    Some((n / 2).div_ceil(6) * 6).filter(|&s| s < n)
}

/// Splits a slice length for the optimizer: two halves, or `None` below `min` elements.
pub(crate) fn halves(len: usize, min: usize) -> Option<usize> {
    (len >= min).then_some(len / 2)
}

/// Runs `a` on the helper thread and `b` on this one, and returns when both are done (callers
/// take turns at the single helper): what
/// `std::thread::scope` with one spawn does, without starting a thread each time (a thread
/// start and join costs about 120 us on the loaded 2-core machine this was measured on, more
/// than the products it would split).
pub(crate) fn join(a: &(dyn Fn() + Sync), b: impl FnOnce()) {
    let guard = helper();
    let helper: &Helper = &guard;
    let erased: &'static (dyn Fn() + Sync) = {
        // Safety: the reference is only used by the helper until it reports the job done,
        // and this function does not return before that (below), so `a` outlives every use.
        unsafe { core::mem::transmute::<&(dyn Fn() + Sync), &'static (dyn Fn() + Sync)>(a) }
    };
    {
        let mut slot = helper.slot.lock().unwrap_or_else(|e| e.into_inner());
        *slot = State::Job(erased);
    }
    helper.wake.notify_one();
    // `b` must not unwind past this frame while the helper may still be using `a`: catch it,
    // wait for the helper, then resume.
    let local = std::panic::catch_unwind(std::panic::AssertUnwindSafe(b));
    let mut slot = helper.slot.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        match *slot {
            State::Done(ok) => {
                *slot = State::Idle;
                drop(slot);
                if let Err(payload) = local {
                    std::panic::resume_unwind(payload);
                }
                assert!(ok, "a parallel half panicked");
                return;
            }
            _ => slot = helper.done.wait(slot).unwrap_or_else(|e| e.into_inner()),
        }
    }
}

enum State {
    Idle,
    Job(&'static (dyn Fn() + Sync)),
    Done(bool),
}

struct Helper {
    slot: std::sync::Mutex<State>,
    wake: std::sync::Condvar,
    done: std::sync::Condvar,
}

/// The one helper thread, started on first use; callers take turns through `LOCK`.
fn helper() -> std::sync::MutexGuard<'static, &'static Helper> {
    static HELPER: std::sync::OnceLock<std::sync::Mutex<&'static Helper>> =
        std::sync::OnceLock::new();
    HELPER
        .get_or_init(|| {
            let helper: &'static Helper = std::boxed::Box::leak(std::boxed::Box::new(Helper {
                slot: std::sync::Mutex::new(State::Idle),
                wake: std::sync::Condvar::new(),
                done: std::sync::Condvar::new(),
            }));
            std::thread::Builder::new()
                .name("liandan-helper".into())
                .spawn(move || work(helper))
                .expect("cannot start liandan's helper thread");
            std::sync::Mutex::new(helper)
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The helper's loop: wait for a job, run it, report.
fn work(helper: &'static Helper) {
    let mut slot = helper.slot.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let State::Job(job) = *slot {
            drop(slot);
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_ok();
            slot = helper.slot.lock().unwrap_or_else(|e| e.into_inner());
            *slot = State::Done(ok);
            helper.done.notify_one();
        }
        slot = helper.wake.wait(slot).unwrap_or_else(|e| e.into_inner());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_only_large_products_on_tile_boundaries() {
        assert_eq!(split((128, 784, 32)), None);
        assert_eq!(split((128, 784, 128)), Some(66));
        assert_eq!(split((128, 128, 784)), Some(396));
        assert_eq!(split((10, 128, 128)), None);
        assert_eq!(halves(100_352, 1 << 16), Some(50_176));
        assert_eq!(halves(128, 1 << 16), None);
    }

    #[test]
    fn a_split_product_equals_the_whole_one_bit_for_bit() {
        use std::vec::Vec;
        let (m, k, n) = (64, 256, 300);
        assert!(split((m, k, n)).is_some());
        let a: Vec<f32> = (0..m * k).map(|i| (i % 13) as f32 - 6.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 7) as f32 * 0.5).collect();
        let (mut split_c, mut whole) = (std::vec![1.0f32; m * n], std::vec![1.0f32; m * n]);
        for _ in 0..3 {
            super::super::sgemm((m, k, n), &a, m, &b, (1, k), 1.0, &mut split_c, m);
        }
        for _ in 0..3 {
            super::super::sgemm_serial((m, k, n), &a, m, &b, (1, k), 1.0, &mut whole, m);
        }
        assert_eq!(split_c, whole);
    }
}
