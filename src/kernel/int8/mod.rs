//! The int8 matrix product with fused requantisation: `rows` rows of `K` inputs times an int8
//! kernel of `K × O`, summed exactly in `i32`, then scaled back to int8 per output channel as
//! TFLite's integer kernels do it.
//!
//! Every product multiplies unsigned inputs: a byte `x` of a row is read as `u = x + 128` (its
//! sign bit flipped) unless the bytes are `u8` already (a convolution's patches). For each row
//! `r < rows` and output `o < O`:
//!
//! `acc = bias[o] + Σ_{k<K} u[r·row_stride + k]·w[k][o]` (wrapping `i32`),
//! `out[r·out_stride + o] = min(max(zero_point + M[o].apply(acc), min), max)`
//!
//! with `M[o] = Multiplier { multiplier: multiplier[o], shift: shift[o] }` (TFLite's
//! `MultiplyByQuantizedMultiplier`, [`Multiplier::apply`]) and the addition of the zero point
//! exact (it saturates before the clamp, which gives the same result). A layer whose inputs have
//! zero point `zp` folds `-(zp + 128)·Σ_k w[k][o]` into the bias, so that `acc` is
//! `b[o] + Σ_k (x[k] - zp)·w[k][o]`. Unsigned inputs are what `vpdpbusd` multiplies, and their
//! zero is the real zero of an input with zero point -128 (a ReLU's output, an image's
//! background): a group of four such zeros adds nothing, and the products of one or two rows
//! skip it.
//!
//! [`gemm_max_pool`] keeps the largest output of each window of consecutive rows: a convolution
//! and the max pooling after it.
//!
//! The kernel is packed by groups of four inputs: `w[k][o] = kernel[(k/4)·O + o][k%4]`, with
//! `G = ceil(K/4)` groups whose entries past `K` are zero. One group of one output is the four
//! bytes an `i32` lane holds, so sixteen outputs of a group are one 64-byte vector.
//!
//! Three bodies, chosen at run time and bit-identical: AVX-512 VNNI (`vnni.rs`, with BW and
//! VL; `vpdpbusd`: four products and their sum per lane per instruction), AVX2 (`avx2.rs`,
//! inputs and weights widened to `i16` and multiplied with `vpmaddwd`, exact for every `u8`
//! and `i8`), and plain loops (`portable.rs`, what a microcontroller runs). The SIMD ones
//! vectorise the requantisation bit for bit; see `requantize.rs` for its lane arithmetic.

#[cfg(target_arch = "x86_64")]
mod avx2;
mod portable;
#[cfg(target_arch = "x86_64")]
mod requantize;
#[cfg(test)]
mod tests;
#[cfg(target_arch = "x86_64")]
mod vnni;

use crate::quant::{Multiplier, Rounding};

/// Four sign bits: `x ⊕ FLIP` is `x + 128` of each of four `i8`, as a `u8`.
#[cfg(target_arch = "x86_64")]
const FLIP: i32 = 0x8080_8080_u32 as i32;

/// A layer's requantisation: per output channel its folded bias and fixed-point multiplier,
/// then the output's zero point and the activation's clamp.
#[derive(Clone, Copy, Debug)]
pub struct Requantize<'a> {
    /// `bias[o]` in the accumulator's scale, with the input's zero point and the inputs'
    /// offset of 128 folded in (`b[o] - (zp_in + 128)·Σ_k w[k][o]`), `O` values.
    pub bias: &'a [i32],
    /// `multiplier[o]`: the significand of `M[o]`, in `[2^30, 2^31)` or 0, `O` values.
    pub multiplier: &'a [i32],
    /// `shift[o]`: the power of two of `M[o]`, in `[-31, 30]`, `O` values.
    pub shift: &'a [i8],
    /// The output's zero point.
    pub zero_point: i32,
    /// The smallest output (the activation's clamp).
    pub min: i8,
    /// The largest output.
    pub max: i8,
    /// How `M[o]` rounds: twice (`Multiplier::apply`, TFLite's convolutions) or once
    /// (`Multiplier::apply_once`, its dense layers).
    pub rounding: Rounding,
}

impl Requantize<'_> {
    /// Output `o` of an accumulator: `min(max(zero_point + M[o].apply(acc), min), max)`, with
    /// `apply_once` when the rounding is [`Rounding::Once`].
    #[inline]
    pub(crate) fn one(&self, o: usize, acc: i32) -> i8 {
        let m = Multiplier {
            multiplier: self.multiplier[o],
            shift: self.shift[o] as i32,
        };
        let y = self
            .zero_point
            .saturating_add(m.apply_with(acc, self.rounding));
        y.max(self.min as i32).min(self.max as i32) as i8
    }
}

/// One product's inputs: `rows` rows of `x` (row `r` from `r·row_stride`, `k` values), the
/// packed kernel of `outputs` channels, and their bias, which starts each accumulator. The
/// bytes of `x` are `u8` values if `unsigned` (a pooled product's patches), else `i8` ones
/// read as `x + 128`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Operands<'a> {
    pub x: &'a [i8],
    pub unsigned: bool,
    pub rows: usize,
    pub row_stride: usize,
    /// Where each row starts in `x`, if not at `r·row_stride`.
    pub starts: Option<&'a [u32]>,
    /// The rows' `K` values lie in `taps` runs of `K / taps`, each `pitch` after the one
    /// before (a convolution read in place: one run per kernel row); 1 for contiguous rows.
    pub taps: usize,
    pub pitch: usize,
    pub k: usize,
    pub kernel: &'a [[i8; 4]],
    pub outputs: usize,
    pub bias: &'a [i32],
}

impl Operands<'_> {
    /// Groups of four inputs, `ceil(K/4)`.
    pub(super) const fn groups(&self) -> usize {
        self.k.div_ceil(4)
    }

    /// Groups of four inputs that lie wholly below `K`.
    pub(super) const fn whole_groups(&self) -> usize {
        self.k / 4
    }

    /// The operands of a pooled product of `rows` rows of unsigned inputs `x`, contiguous
    /// (`row_stride` 0 until the caller sets it) and in one run.
    fn unsigned<'a>(
        x: &'a [u8],
        rows: usize,
        k: usize,
        kernel: &'a [[i8; 4]],
        outputs: usize,
        bias: &'a [i32],
    ) -> Operands<'a> {
        // Safety: `u8` and `i8` have the same size and alignment, and every bit pattern is both.
        let x = unsafe { core::slice::from_raw_parts(x.as_ptr().cast::<i8>(), x.len()) };
        Operands {
            x,
            unsigned: true,
            rows,
            row_stride: 0,
            starts: None,
            taps: 1,
            pitch: 0,
            k,
            kernel,
            outputs,
            bias,
        }
    }

    /// Where row `r`'s first value is in `x`.
    #[inline]
    pub(super) fn start(&self, r: usize) -> usize {
        match self.starts {
            Some(starts) => starts[r] as usize,
            None => r * self.row_stride,
        }
    }

    /// Values per run of a row (see [`taps`](Self::taps)).
    pub(super) const fn run(&self) -> usize {
        self.k / self.taps
    }

    /// The values of `x` a row spans: its runs, `pitch` apart.
    const fn extent(&self) -> Option<usize> {
        match (self.taps - 1).checked_mul(self.pitch) {
            Some(n) => n.checked_add(self.run()),
            None => None,
        }
    }

    /// What makes a byte of `x` unsigned, XORed with it: the sign bit of an `i8`, nothing of a
    /// `u8`.
    #[inline]
    pub(super) const fn flip(&self) -> u8 {
        if self.unsigned {
            0
        } else {
            0x80
        }
    }

    /// The last group's inputs of row `row` as unsigned bytes, zeros past `K`, as the `i32`
    /// lane they fill: `x` is never read past the row's `K` values.
    #[inline]
    pub(super) fn last_group(&self, row: usize) -> i32 {
        let start = self.start(row) + self.whole_groups() * 4;
        // At most three inputs, read one by one (a copy of variable length is a call).
        let rest = &self.x[start..self.start(row) + self.k];
        let byte = |i: usize| rest.get(i).map_or(0, |&v| v as u8 ^ self.flip());
        i32::from_le_bytes([byte(0), byte(1), byte(2), 0])
    }

    /// Panics unless every value the product reads lies in its slice, and every value it
    /// writes (`rows` rows of `outputs` spaced by `out_stride`) in `out_len`, without overlap.
    fn check(&self, out_len: usize, out_stride: usize) {
        self.check_out(self.rows, out_len, out_stride)
    }

    /// [`check`](Self::check) for a product that writes `out_rows` rows.
    fn check_out(&self, out_rows: usize, out_len: usize, out_stride: usize) {
        let o = self.outputs;
        let kernel = self.groups().checked_mul(o);
        assert!(
            kernel.is_some_and(|n| n <= self.kernel.len()),
            "kernel out of bounds"
        );
        assert!(self.bias.len() >= o, "bias out of bounds");
        assert!(
            self.taps == 1 || (self.taps > 1 && self.k.is_multiple_of(4 * self.taps)),
            "runs of whole groups"
        );
        if self.rows == 0 {
            return;
        }
        let extent = self.extent().unwrap_or(usize::MAX);
        let last = match self.starts {
            Some(starts) => {
                assert!(starts.len() >= self.rows, "row starts out of bounds");
                // A fold without branches, which the compiler vectorises.
                let first = starts[..self.rows].iter().fold(0, |m, &s| m.max(s)) as usize;
                first.saturating_add(extent)
            }
            None => span(self.rows, self.row_stride, extent),
        };
        assert!(last <= self.x.len(), "x out of bounds");
        if out_rows == 0 {
            return;
        }
        assert!(out_rows == 1 || out_stride >= o, "output rows overlap");
        assert!(
            span(out_rows, out_stride, o) <= out_len,
            "out out of bounds"
        );
    }
}

impl Requantize<'_> {
    /// Whether the requantisation of each of the first `o` outputs is monotone non-decreasing
    /// in the accumulator: no left shift (TFLite's wraps) and no negative multiplier.
    fn monotone(&self, o: usize) -> bool {
        let shifts = self.shift[..o].iter().all(|&s| s <= 0);
        shifts && self.multiplier[..o].iter().all(|&m| m >= 0)
    }

    /// Panics unless the multipliers and shifts of `o` outputs lie in their slices and every
    /// shift in `[-31, 30]` (the bias is the product's operand, checked with it).
    fn check(&self, o: usize) {
        assert!(
            self.multiplier.len() >= o && self.shift.len() >= o,
            "requantisation out of bounds"
        );
        assert!(
            self.shift[..o].iter().all(|s| (-31..=30).contains(s)),
            "shift outside [-31, 30]"
        );
    }
}

/// The values `rows` rows of `len` spaced by `stride` span, or `usize::MAX` if that overflows.
fn span(rows: usize, stride: usize, len: usize) -> usize {
    (rows - 1)
        .checked_mul(stride)
        .and_then(|n| n.checked_add(len))
        .unwrap_or(usize::MAX)
}

/// For each row `r < rows` and output `o < O`:
/// `out[r·out_stride + o] = min(max(zero_point + M[o].apply(bias[o] + Σ_{k<K} (x[r·row_stride + k] + 128)·w[k][o]), min), max)`,
/// with `w[k][o] = kernel[(k/4)·O + o][k%4]` (see the module documentation). Reads `x` only
/// inside each row's `K` values and writes `out` only inside each row's `O` values.
///
/// Panics if an operand does not fit in its slice, if rows of `out` overlap, or if a shift lies
/// outside `[-31, 30]`.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    x: &[i8],
    rows: usize,
    row_stride: usize,
    k: usize,
    kernel: &[[i8; 4]],
    o: usize,
    q: &Requantize<'_>,
    out: &mut [i8],
    out_stride: usize,
) {
    let ops = Operands {
        x,
        unsigned: false,
        rows,
        row_stride,
        starts: None,
        taps: 1,
        pitch: 0,
        k,
        kernel,
        outputs: o,
        bias: q.bias,
    };
    q.check(o);
    ops.check(out.len(), out_stride);
    if rows == 0 || o == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if vnni_available() {
            // Safety: the processor runs AVX-512F, BW, VL and VNNI, and the operands are checked.
            return unsafe { vnni::gemm(&ops, q, out, out_stride) };
        }
        if super::x86::available() {
            // Safety: the processor runs AVX2, and the operands are checked.
            return unsafe { avx2::gemm(&ops, q, out, out_stride) };
        }
    }
    portable::gemm(&ops, q, out, out_stride)
}

/// The product of unsigned inputs, requantised and max-pooled over windows of consecutive rows:
/// for each window `p < windows` and output `o < O`,
/// `out[p·out_stride + o] = max_{t<window} requant_o(bias[o] + Σ_{k<K} x[r·row_stride + k]·w[k][o])`
/// with `r = p·window + t`, `requant_o` as [`gemm`]'s, `bias = q.bias` and `x` read as `u8`.
/// A convolution's patches made unsigned (`x + 128`), with `128·Σ_k w[k][o]` taken from the
/// bias, give the convolution of the signed inputs, and ordered window by window its max
/// pooling.
///
/// Where every channel's requantisation is monotone (shift at most 0, multiplier at least 0),
/// the SIMD bodies pool the accumulators and requantise each window once; the result is the
/// same, since the largest accumulator then gives the largest output.
///
/// Panics if `window` is 0, if an operand does not fit in its slice, if rows of `out` overlap,
/// or if a shift lies outside `[-31, 30]`.
#[allow(clippy::too_many_arguments)]
pub fn gemm_max_pool(
    x: &[u8],
    windows: usize,
    window: usize,
    row_stride: usize,
    k: usize,
    kernel: &[[i8; 4]],
    o: usize,
    q: &Requantize<'_>,
    out: &mut [i8],
    out_stride: usize,
) {
    assert!(window > 0, "a window of no rows");
    let rows = windows.checked_mul(window).expect("rows overflow");
    let ops = Operands {
        row_stride,
        ..Operands::unsigned(x, rows, k, kernel, o, q.bias)
    };
    pooled(&ops, window, q, out, out_stride)
}

/// [`gemm_max_pool`] of rows read in place: row `r` starts at `x[starts[r]]` and its `K`
/// values are `taps` runs of `K / taps`, each `pitch` after the one before. A convolution's
/// image (made unsigned and padded) read this way needs no patches: `starts` are the output
/// pixels' window corners, one run per kernel row, with the kernel packed per kernel row.
///
/// The windows are the whole windows in `starts`. Panics as [`gemm_max_pool`] does, if a row
/// reads past `x`, or if `K` is not `taps` runs of whole groups.
#[allow(clippy::too_many_arguments)]
pub fn conv_max_pool(
    x: &[u8],
    starts: &[u32],
    window: usize,
    [taps, pitch]: [usize; 2],
    k: usize,
    kernel: &[[i8; 4]],
    o: usize,
    q: &Requantize<'_>,
    out: &mut [i8],
    out_stride: usize,
) {
    assert!(window > 0, "a window of no rows");
    let rows = starts.len() / window * window;
    let ops = Operands {
        starts: Some(starts),
        taps: taps.max(1),
        pitch,
        ..Operands::unsigned(x, rows, k, kernel, o, q.bias)
    };
    pooled(&ops, window, q, out, out_stride)
}

/// The pooled product of `ops` (unsigned inputs), windows of `window` rows, into `out`.
fn pooled(
    ops: &Operands<'_>,
    window: usize,
    q: &Requantize<'_>,
    out: &mut [i8],
    out_stride: usize,
) {
    let (o, windows) = (ops.outputs, ops.rows / window);
    q.check(o);
    ops.check_out(windows, out.len(), out_stride);
    if windows == 0 || o == 0 {
        return;
    }
    let pool = Pool {
        window,
        monotone: q.monotone(o),
    };
    #[cfg(target_arch = "x86_64")]
    {
        if vnni_available() {
            // Safety: the processor runs AVX-512F, BW, VL and VNNI, and the operands are checked.
            return unsafe { vnni::gemm_max_pool(ops, q, pool, out, out_stride) };
        }
        if super::x86::available() {
            // Safety: the processor runs AVX2, and the operands are checked.
            return unsafe { avx2::gemm_max_pool(ops, q, pool, out, out_stride) };
        }
    }
    portable::gemm_max_pool(ops, q, window, out, out_stride)
}

/// How [`gemm_max_pool`] pools: windows of `window` consecutive rows, and whether the
/// requantisation is monotone (then the accumulators are pooled, else the outputs).
#[derive(Clone, Copy, Debug)]
pub(super) struct Pool {
    pub window: usize,
    pub monotone: bool,
}

/// Whether this processor (and its operating system) runs AVX-512F, BW, VL and VNNI, detected once
/// with CPUID as the `f32` kernels' features are.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(super) fn vnni_available() -> bool {
    use core::sync::atomic::{AtomicU8, Ordering};
    static DETECTED: AtomicU8 = AtomicU8::new(0);
    match DETECTED.load(Ordering::Relaxed) {
        0 => {
            let found = super::x86::avx512() && vnni_in_cpuid();
            DETECTED.store(1 + found as u8, Ordering::Relaxed);
            found
        }
        level => level == 2,
    }
}

/// CPUID leaf 7: AVX-512BW (EBX bit 30), AVX-512VL (EBX bit 31) and AVX512_VNNI (ECX bit 11).
/// The caller has checked AVX-512F and that the operating system saves the ZMM registers, so leaf 7 exists.
#[cfg(target_arch = "x86_64")]
#[allow(unused_unsafe)]
fn vnni_in_cpuid() -> bool {
    const BW_VL: u32 = 3 << 30;
    const VNNI: u32 = 1 << 11;
    // Safety: CPUID exists on every x86-64 processor, and leaf 7 on one with AVX-512F.
    let leaf7 = unsafe { core::arch::x86_64::__cpuid_count(7, 0) };
    leaf7.ebx & BW_VL == BW_VL && leaf7.ecx & VNNI != 0
}

/// The requantisation of `N` consecutive outputs (one vector's lanes) as `i32` lanes, zeros
/// past `O`: what the AVX2 body loads once per strip of outputs.
#[cfg(target_arch = "x86_64")]
pub(super) struct Channels<const N: usize> {
    pub multiplier: [i32; N],
    /// `max(shift, 0)`: the left shift before the product.
    pub left: [i32; N],
    /// `max(-shift, 0)`: the rounding right shift after it.
    pub right: [i32; N],
    /// `31 - shift`: the one right shift of a product rounded once.
    pub total: [i32; N],
    /// The shifts themselves.
    pub shift: [i8; N],
}

#[cfg(target_arch = "x86_64")]
impl<const N: usize> Channels<N> {
    /// The channels `o0 .. o0 + n` of `q` (`n ≤ N`).
    pub(super) fn of(q: &Requantize<'_>, o0: usize, n: usize) -> Channels<N> {
        let mut c = Channels {
            multiplier: [0; N],
            left: [0; N],
            right: [0; N],
            total: [31; N],
            shift: [0; N],
        };
        for j in 0..n {
            let shift = q.shift[o0 + j] as i32;
            c.multiplier[j] = q.multiplier[o0 + j];
            c.left[j] = shift.max(0);
            c.right[j] = (-shift).max(0);
            c.total[j] = 31 - shift;
            c.shift[j] = q.shift[o0 + j];
        }
        c
    }
}
