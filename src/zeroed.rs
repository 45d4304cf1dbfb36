//! Building large values in place.
//!
//! The seed MNIST network's kernel alone is 128×784 `f32`s (392 KiB); with its gradient, Adam's
//! two moments and a batch-32 tape, a training set-up is well over the 2 MiB a test thread gets.
//! Moving such a value through the stack overflows it (nalgebra issues #732, #1252), so every
//! large liandan type is [`Zeroed`]: all-zero bytes are a valid value, and [`Zeroed::boxed`]
//! allocates it zeroed, directly on the heap.

#[cfg(feature = "alloc")]
use alloc::boxed::Box;
use core::marker::PhantomData;

use nalgebra::{ArrayStorage, Matrix};

/// A type for which the all-zero bit pattern is a valid value.
///
/// # Safety
/// Implement it only for types whose every field is itself `Zeroed` (or is a float, an integer
/// or a `PhantomData`): no references, no `NonZero`, no enums without a zero discriminant.
pub unsafe trait Zeroed: Sized {
    /// The all-zero value, built on the stack. For small values only.
    #[inline]
    fn zeroed() -> Self {
        // Safety: the trait's contract says all-zero bytes are a valid `Self`.
        unsafe { core::mem::zeroed() }
    }

    /// The all-zero value, allocated zeroed on the heap without touching the stack.
    #[cfg(feature = "alloc")]
    fn boxed() -> Box<Self> {
        // Safety: zeroed memory is a valid `Self` by the trait's contract.
        unsafe { Box::<Self>::new_zeroed().assume_init() }
    }

    /// Resets `self` to all zeros in place.
    #[inline]
    fn set_zero(&mut self) {
        // Safety: `self` is a valid, exclusive place of `size_of::<Self>()` bytes, and all-zero
        // bytes are a valid `Self`. The old value holds no resources (no `Drop` fields can be
        // `Zeroed`-safe without owning memory, which the contract rules out).
        unsafe { core::ptr::write_bytes(self as *mut Self, 0, 1) }
    }
}

/// The all-zero value of `Z`, in a `const` context: for `static` buffers, which then cost no
/// flash (they go to `.bss`).
///
/// ```
/// use liandan::prelude::*;
/// static SCRATCH: SMatrix<f32, 128, 32> = liandan::zeroed();
/// assert_eq!(SCRATCH.sum(), 0.0);
/// ```
pub const fn zeroed<Z: Zeroed>() -> Z {
    // Safety: the trait's contract says all-zero bytes are a valid `Z`.
    unsafe { core::mem::zeroed() }
}

macro_rules! zeroed_primitives {
    ($($t:ty),*) => { $(
        // Safety: zero is a valid value of every primitive number.
        unsafe impl Zeroed for $t {}
    )* };
}
zeroed_primitives!(f32, f64, i8, u8, u16, u32, u64, usize, i32, i64);

// Safety: a PhantomData has no bytes.
unsafe impl<T> Zeroed for PhantomData<T> {}
// Safety: the unit type has no bytes.
unsafe impl Zeroed for () {}
// Safety: an array of zeroed values is zeroed.
unsafe impl<T: Zeroed, const N: usize> Zeroed for [T; N] {}
// Safety: an `SMatrix` is an `ArrayStorage` (an array of arrays of `T`) and a `PhantomData`.
unsafe impl<T: Zeroed, const R: usize, const C: usize> Zeroed
    for Matrix<T, nalgebra::Const<R>, nalgebra::Const<C>, ArrayStorage<T, R, C>>
{
}
