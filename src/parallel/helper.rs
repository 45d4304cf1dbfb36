//! The one helper thread and the hand-off of work to it.

use core::cell::Cell;
use std::boxed::Box;

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

/// Runs `a` on the helper thread and `b` on this one, and returns when both are done: what
/// `std::thread::scope` with one spawn does, without starting a thread each time. Callers on
/// different threads take turns at the single helper. A join inside a half of another (on the
/// helper, or in `b`) runs `a`, then `b`, on its own thread: waiting for the helper there
/// would wait forever, and a depth-split product's `b` waits for its `a`.
///
/// The hand-off is an atomic: the helper spins for a while after each job (`SPIN`) and only
/// then sleeps on a condition variable. Waking a sleeping thread costs 30-60 us on the 2-core
/// machine this was measured on, as much as half a product: with a sleeping helper, splitting
/// made a batch-128 step only 1.16x faster and Adam twice slower.
///
/// A panic in either half reaches the caller once both halves are done, with its message.
pub(crate) fn join(a: &(dyn Fn() + Sync), b: impl FnOnce()) {
    if INSIDE.with(Cell::get) {
        a();
        return b();
    }
    let guard = helper();
    let helper: &Helper = &guard;
    let _inside = Inside::enter();
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
    let remote = (!ok).then(|| {
        helper
            .payload
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    });
    helper.state.store(IDLE, Ordering::Relaxed);
    drop(guard);
    if let Err(payload) = local {
        std::panic::resume_unwind(payload);
    }
    if let Some(payload) = remote {
        std::panic::resume_unwind(payload.unwrap_or_else(|| Box::new("a parallel half panicked")));
    }
}

/// Whether this thread is running a half of a join (or is the helper): a split there would
/// run its halves one after the other.
pub(crate) fn inside() -> bool {
    INSIDE.with(Cell::get)
}

std::thread_local! {
    /// Whether this thread is inside a join: the helper always, a caller until its join ends.
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread inside a join until dropped (unwinding included).
struct Inside;

impl Inside {
    fn enter() -> Self {
        INSIDE.with(|inside| inside.set(true));
        Inside
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        INSIDE.with(|inside| inside.set(false));
    }
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
    /// What the last job panicked with.
    payload: std::sync::Mutex<Option<Box<dyn core::any::Any + Send>>>,
    sleeping: std::sync::Mutex<bool>,
    wake: std::sync::Condvar,
}

// Safety: `job` is written only by the caller holding the callers' lock while the helper is
// `IDLE`, and read only by the helper after it observes `JOB` (release/acquire on `state`).
unsafe impl Sync for Helper {}

/// The one helper thread, started on first use; callers take turns through the mutex.
fn helper() -> std::sync::MutexGuard<'static, &'static Helper> {
    static HELPER: std::sync::OnceLock<std::sync::Mutex<&'static Helper>> =
        std::sync::OnceLock::new();
    HELPER
        .get_or_init(|| {
            let helper: &'static Helper = Box::leak(Box::new(Helper {
                state: AtomicU8::new(IDLE),
                job: core::cell::UnsafeCell::new(None),
                payload: std::sync::Mutex::new(None),
                sleeping: std::sync::Mutex::new(false),
                wake: std::sync::Condvar::new(),
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

/// The helper's loop: wait for a job (spinning, then sleeping), run it, report.
fn work(helper: &'static Helper) {
    INSIDE.with(|inside| inside.set(true));
    loop {
        wait_for_job(helper);
        // Safety: `JOB` was observed with acquire ordering, so the slot holds the caller's
        // job, which outlives its use (the caller waits for `DONE`).
        let job = unsafe { (*helper.job.get()).take() };
        let done = match job.map(|job| std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)))
        {
            Some(Err(payload)) => {
                *helper.payload.lock().unwrap_or_else(|e| e.into_inner()) = Some(payload);
                PANICKED
            }
            _ => DONE,
        };
        helper.state.store(done, Ordering::Release);
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
    use core::sync::atomic::AtomicUsize;

    #[test]
    fn a_job_on_the_helper_may_split_again() {
        let count = AtomicUsize::new(0);
        let add = || {
            count.fetch_add(1, Ordering::Relaxed);
        };
        join(&|| join(&add, add), || join(&add, add));
        assert_eq!(count.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn a_nested_join_runs_its_first_half_first() {
        // A depth-split product's second half waits for its first; nested, both run here.
        let first_done = AtomicUsize::new(0);
        let nested = || {
            join(
                &|| {
                    first_done.store(1, Ordering::Release);
                },
                || assert_eq!(first_done.load(Ordering::Acquire), 1),
            )
        };
        join(&nested, nested);
    }

    #[test]
    fn a_panic_on_the_helper_reaches_the_caller_with_its_message() {
        let caught = std::panic::catch_unwind(|| join(&|| panic!("helper half"), || ()));
        let payload = caught.expect_err("the helper's panic must reach the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"helper half"));
        // The helper is usable afterwards.
        let count = AtomicUsize::new(0);
        join(
            &|| {
                count.fetch_add(1, Ordering::Relaxed);
            },
            || {
                count.fetch_add(1, Ordering::Relaxed);
            },
        );
        assert_eq!(count.load(Ordering::Relaxed), 2);
    }
}
