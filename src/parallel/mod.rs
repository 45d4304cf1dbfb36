//! The `parallel` feature: where and whether work is split between this thread and a persistent
//! helper thread. Every rule is here (`rules.rs`); the kernels call them, layers do not.
//!
//! The machine decides whether there is a helper: with fewer than two threads
//! (`std::thread::available_parallelism`) nothing is ever split and no thread is started.
//! Splits are in two, tuned on a two-core machine; further cores stay free.
//!
//! - A large product is split by columns of `C`, each half a product of its own on the same
//!   `A`; one deeper than wide that overwrites `C` (a dense layer's forward `W·x`) is split by
//!   depth instead, as a pipeline ([`depth_split`]).
//! - Adam splits a kernel at the same column as its products, and only where the step split
//!   them ([`adam_split`]), so each thread updates the weights whose gradient it computed and
//!   which it reads next.
//! - Passes over a batch column by column (activations, dropout) always split it at the same
//!   column ([`by_columns`]), so the columns one pass leaves in a core's cache are the ones the
//!   next pass on that core reads.
//! - A dense layer's two backward products, when too small to split, run at the same time.
//! - Passes over whole samples (a convolution's whole pipeline of chunks, both ways, and
//!   pooling) split the batch at that same column ([`by_samples`]), each thread running the
//!   pass on its samples; a convolution's kernel and bias gradients are summed per thread (the
//!   second thread's in a spare copy in the tape) and added at the end
//!   ([`by_samples_summed`]). A product inside a half of a split is not split again.
//!
//! A hand-off to the spinning helper costs about a microsecond, so products from a million
//! multiply-adds ([`MIN_WORK`]) are split: the seed network's first layer at batch 32 (3.2 M)
//! and 128 (12.8 M) is, its second layer (0.16 M at batch 128) is not. What moves between the
//! cores' caches costs more than the hand-off, so each split keeps a thread on the weights it
//! last touched (Adam's halves, a depth-split forward product). The README's Speed section has
//! the measurements.

#[cfg(feature = "parallel")]
mod helper;
#[cfg(feature = "parallel")]
mod rules;

mod columns;
mod samples;

pub(crate) use columns::by_columns;
pub(crate) use samples::{by_samples, by_samples_summed};

/// Copies of a layer's parameter gradient that a pass split by samples sums its second half
/// into (`by_samples_summed`): one with the `parallel` feature, none without. A layer's tape
/// holds them, so they are allocated with the tape.
pub const SPARES: usize = if cfg!(feature = "parallel") { 1 } else { 0 };

/// The threads the machine runs at once, `std::thread::available_parallelism`, read once; 1
/// when it cannot be told.
#[cfg(feature = "parallel")]
pub(crate) fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
#[cfg(feature = "parallel")]
pub(crate) use helper::{both, inside, join, wait_a_little};
#[cfg(feature = "parallel")]
pub(crate) use rules::*;
