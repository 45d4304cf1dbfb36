//! A training step allocates nothing: `fit` allocates per epoch (logs, the shuffle order) but
//! never per step. Counted with a global allocator, in a test binary of its own so that no
//! other test's allocations are counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use liandan::data::Dataset;
use liandan::prelude::*;
use liandan::rng::SplitMix64;

/// The system allocator, counting the allocations of the thread that asked to be counted: the
/// test harness allocates in threads of its own, at moments of its own, which made a global
/// count differ between runs (47 or 51 for the same `fit`).
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: the allocator also runs while a thread's locals are being torn down.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// Safety: every call is forwarded unchanged to `System`; counting touches no heap memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // Safety: the caller upholds `GlobalAlloc::alloc`'s contract, which we forward.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // Safety: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // Safety: as in `alloc`; `ptr` came from this allocator, that is from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Safety: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

network! {
    struct Net { input: [3], Dense<8, Relu>, Dropout<0.1>, Dense<2, Softmax> }
}

/// The allocations of one silent 2-epoch `fit` on `n` samples, batch 4.
fn allocations_of_fit(n: usize) -> usize {
    let x: Vec<[f32; 3]> = (0..n).map(|i| [i as f32 / n as f32, 0.5, -0.5]).collect();
    let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
    let data = Dataset::classification(&x, &labels, 2).unwrap();
    let net = Net::new_boxed(&mut SplitMix64::new(1));
    let mut model: Model<f32, Net, _, _, 3, 2, 4> = Model::compile(
        net,
        Adam::default(),
        SparseCategoricalCrossentropy::default(),
        &[Metric::Accuracy, Metric::MeanSquaredError],
    );
    let options = FitOptions::new(2)
        .validation_data(&data)
        .verbosity(Verbosity::Silent);
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    let result = model.fit(&data, options);
    COUNTING.with(|c| c.set(false));
    result.unwrap();
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn fit_allocates_per_epoch_not_per_step() {
    // 10 steps an epoch or 100: the same number of allocations.
    let few = allocations_of_fit(40);
    let many = allocations_of_fit(400);
    assert_eq!(few, many);
    assert!(few > 0, "the counter counts");
}
