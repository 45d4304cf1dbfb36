//! The portable body against the definition in `i64` arithmetic, and the SIMD bodies against
//! the portable one, bit for bit: random shapes around every tile and mask, strides beyond `K`,
//! extreme inputs, weights, biases and every shift.

use std::format;
use std::vec;
use std::vec::Vec;

use super::{portable, Operands, Pool, Requantize};
use crate::quant::{Multiplier, Rounding};

/// splitmix64: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo ..= hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    /// An `i8`, often one of the extremes.
    fn byte(&mut self) -> i8 {
        match self.next() % 8 {
            0 => -128,
            1 => 127,
            _ => self.next() as i8,
        }
    }
}

/// Runs of -128 (zero once made unsigned) of 1 to 40 inputs over most of `x`, as a ReLU's
/// zeros or an image's background lie: groups of four zeros, aligned or not, for the products
/// that skip them.
fn zero_runs(r: &mut Rng, x: &mut [i8]) {
    let (mut i, len) = (0, x.len());
    while i < len {
        let run = r.range(1, 40) as usize;
        if !r.next().is_multiple_of(4) {
            x[i..(i + run).min(len)].fill(-128);
        }
        i += run;
    }
}

/// A product's owned operands.
struct Case {
    x: Vec<i8>,
    rows: usize,
    row_stride: usize,
    k: usize,
    kernel: Vec<[i8; 4]>,
    o: usize,
    bias: Vec<i32>,
    multiplier: Vec<i32>,
    shift: Vec<i8>,
    zero_point: i32,
    min: i8,
    max: i8,
    rounding: Rounding,
    out_stride: usize,
}

impl Case {
    /// A random case of these sizes; the kernel's entries past `K` are not zero, to show
    /// that no body reads them as weights.
    fn random(r: &mut Rng, rows: usize, k: usize, o: usize) -> Case {
        let row_stride = k + r.range(0, 5) as usize;
        let out_stride = o + r.range(0, 3) as usize;
        let mut x: Vec<i8> = (0..(rows - 1) * row_stride + k).map(|_| r.byte()).collect();
        if r.next().is_multiple_of(2) {
            zero_runs(r, &mut x);
        }
        let kernel = (0..k.div_ceil(4) * o)
            .map(|_| [r.byte(), r.byte(), r.byte(), r.byte()])
            .collect();
        let bias = (0..o)
            .map(|_| match r.next() % 4 {
                0 => r.range(-(1 << 30) - 1000, -(1 << 30) + 1000) as i32,
                1 => r.range((1 << 30) - 1000, (1 << 30) + 1000) as i32,
                _ => r.range(-100_000, 100_000) as i32,
            })
            .collect();
        let multiplier = (0..o)
            .map(|_| match r.next() % 8 {
                0 => 0,
                1 => i32::MAX,
                2 => 1 << 30,
                _ => r.range(1 << 30, i32::MAX as i64) as i32,
            })
            .collect();
        // Half the cases with the shifts of real layers (multipliers below one: no left shift).
        let most = if r.next().is_multiple_of(2) { 30 } else { 0 };
        let shift = (0..o).map(|_| r.range(-31, most) as i8).collect();
        let (a, b) = (r.byte(), r.byte());
        Case {
            x,
            rows,
            row_stride,
            k,
            kernel,
            o,
            bias,
            multiplier,
            shift,
            zero_point: r.range(-128, 127) as i32,
            min: a.min(b),
            max: a.max(b),
            // Half the cases round once, as dense layers do.
            rounding: if r.next().is_multiple_of(2) {
                Rounding::Once
            } else {
                Rounding::Twice
            },
            out_stride,
        }
    }

    fn requantize(&self) -> Requantize<'_> {
        Requantize {
            bias: &self.bias,
            multiplier: &self.multiplier,
            shift: &self.shift,
            zero_point: self.zero_point,
            min: self.min,
            max: self.max,
            rounding: self.rounding,
        }
    }

    fn operands(&self) -> Operands<'_> {
        Operands {
            x: &self.x,
            unsigned: false,
            rows: self.rows,
            row_stride: self.row_stride,
            starts: None,
            taps: 1,
            pitch: 0,
            k: self.k,
            kernel: &self.kernel,
            outputs: self.o,
            bias: &self.bias,
        }
    }

    /// Runs `body` on the case into an output filled with 0x55 between and after the rows.
    fn run(&self, body: impl FnOnce(&Operands<'_>, &Requantize<'_>, &mut [i8], usize)) -> Vec<i8> {
        let (q, ops) = (self.requantize(), self.operands());
        let mut out = vec![0x55; self.rows * self.out_stride + 7];
        q.check(self.o);
        ops.check(out.len(), self.out_stride);
        body(&ops, &q, &mut out, self.out_stride);
        out
    }

    /// The definition: the sum in `i64`, taken modulo `2^32`, [`Multiplier::apply_with`], and the
    /// zero point and clamp in `i64`.
    fn reference(&self) -> Vec<i8> {
        let mut out = vec![0x55; self.rows * self.out_stride + 7];
        for r in 0..self.rows {
            for o in 0..self.o {
                let mut acc = self.bias[o] as i64;
                for k in 0..self.k {
                    let w = self.kernel[(k / 4) * self.o + o][k % 4];
                    acc += (self.x[r * self.row_stride + k] as i64 + 128) * w as i64;
                }
                let m = Multiplier {
                    multiplier: self.multiplier[o],
                    shift: self.shift[o] as i32,
                };
                let y = self.zero_point as i64 + m.apply_with(acc as i32, self.rounding) as i64;
                out[r * self.out_stride + o] = y.max(self.min as i64).min(self.max as i64) as i8;
            }
        }
        out
    }
}

/// Random cases: rows 1 to 9, `K` 0 to 40 (every remainder by 4), `O` 1 to 140 (around 8, 16,
/// 32 and 128).
fn cases() -> impl Iterator<Item = Case> {
    let mut r = Rng(13);
    (0..400).map(move |i| {
        let rows = 1 + i % 9;
        let k = r.range(0, 40) as usize;
        let o = match i % 5 {
            0 => r.range(1, 140),
            _ => r.range(1, 40),
        } as usize;
        Case::random(&mut r, rows, k, o)
    })
}

#[test]
fn portable_matches_the_definition() {
    for case in cases() {
        let got = case.run(portable::gemm);
        assert_eq!(
            got,
            case.reference(),
            "rows {} k {} o {}",
            case.rows,
            case.k,
            case.o
        );
    }
}

/// The SIMD bodies (those this processor runs) and the dispatching entry point agree with the
/// portable body bit for bit, and write nothing outside the rows' outputs.
#[cfg(target_arch = "x86_64")]
#[test]
fn simd_bodies_match_the_portable_one() {
    let (vnni, avx2) = (super::vnni_available(), super::super::x86::available());
    let big = [
        (1, 784, 128),
        (256, 784, 128),
        (2, 128, 10),
        (13, 9, 32),
        (9, 288, 64),
        (1, 1600, 10),
        (2, 1601, 10),
        (1, 259, 70),
        (2, 262, 40),
        (2, 784, 128),
    ];
    let mut r = Rng(17);
    // Each twice: as random, and with most of its inputs zero.
    let large = big.into_iter().flat_map(|(rows, k, o)| {
        let (a, mut b) = (
            Case::random(&mut r, rows, k, o),
            Case::random(&mut r, rows, k, o),
        );
        zero_runs(&mut r, &mut b.x);
        [a, b]
    });
    for case in cases().chain(large) {
        let want = case.run(portable::gemm);
        let what = format!("rows {} k {} o {}", case.rows, case.k, case.o);
        if vnni {
            // Safety: the processor runs AVX-512 VNNI; `run` checks the operands.
            let got = case.run(|ops, q, out, s| unsafe { super::vnni::gemm(ops, q, out, s) });
            assert_eq!(got, want, "vnni: {what}");
        }
        if avx2 {
            // Safety: the processor runs AVX2; `run` checks the operands.
            let got = case.run(|ops, q, out, s| unsafe { super::avx2::gemm(ops, q, out, s) });
            assert_eq!(got, want, "avx2: {what}");
        }
        let got = case.run(|ops, q, out, s| {
            super::gemm(
                ops.x,
                ops.rows,
                ops.row_stride,
                ops.k,
                ops.kernel,
                ops.outputs,
                q,
                out,
                s,
            )
        });
        assert_eq!(got, want, "gemm: {what}");
    }
}

/// With `K = 0` the accumulator is the bias: every shift, the extreme accumulators and zero
/// points, multipliers 0, `2^30` and `2^31 - 1`, through every body.
#[test]
fn requantisation_is_bit_exact_for_every_shift() {
    let mut r = Rng(19);
    let accs = [
        i32::MIN,
        i32::MIN + 1,
        -(1 << 30),
        -65_537,
        -2,
        -1,
        0,
        1,
        2,
        3,
        1 << 30,
        i32::MAX,
    ];
    for (shift, rounding) in (-31..=30).flat_map(|s| [(s, Rounding::Twice), (s, Rounding::Once)]) {
        for zero_point in [-128, -1, 0, 5, 127] {
            let mut case = Case::random(&mut r, 3, 0, 37);
            case.zero_point = zero_point;
            case.rounding = rounding;
            (case.min, case.max) = (-128, 127);
            for (o, ((b, m), s)) in case
                .bias
                .iter_mut()
                .zip(&mut case.multiplier)
                .zip(&mut case.shift)
                .enumerate()
            {
                *s = shift;
                *b = if o < accs.len() {
                    accs[o]
                } else {
                    r.next() as i32
                };
                *m = [
                    0,
                    1 << 30,
                    i32::MAX,
                    r.range(1 << 30, i32::MAX as i64) as i32,
                ][o % 4];
            }
            let want = case.reference();
            assert_eq!(case.run(portable::gemm), want, "shift {shift}");
            #[cfg(target_arch = "x86_64")]
            {
                if super::vnni_available() {
                    // Safety: the processor runs AVX-512 VNNI; `run` checks the operands.
                    let got =
                        case.run(|ops, q, out, s| unsafe { super::vnni::gemm(ops, q, out, s) });
                    assert_eq!(
                        got, want,
                        "vnni: shift {shift} zp {zero_point} {rounding:?}"
                    );
                }
                if super::super::x86::available() {
                    // Safety: the processor runs AVX2; `run` checks the operands.
                    let got =
                        case.run(|ops, q, out, s| unsafe { super::avx2::gemm(ops, q, out, s) });
                    assert_eq!(
                        got, want,
                        "avx2: shift {shift} zp {zero_point} {rounding:?}"
                    );
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "shift outside [-31, 30]")]
fn a_shift_out_of_range_is_refused() {
    let mut case = Case::random(&mut Rng(23), 1, 4, 3);
    case.shift[2] = 31;
    case.run(portable::gemm);
}

#[test]
#[should_panic(expected = "x out of bounds")]
fn a_short_input_is_refused() {
    let mut case = Case::random(&mut Rng(29), 2, 5, 3);
    case.x.pop();
    case.run(portable::gemm);
}

impl Case {
    /// The pooled definition: the case's inputs read as `u8`, each row's product requantised as
    /// in [`Case::reference`], and the maximum of each window of `window` rows.
    fn pooled_reference(&self, window: usize) -> Vec<i8> {
        let windows = self.rows / window;
        let mut out = vec![0x55; windows * self.out_stride + 7];
        let q = self.requantize();
        for p in 0..windows {
            for o in 0..self.o {
                let row = |r: usize| {
                    let mut acc = self.bias[o] as i64;
                    for k in 0..self.k {
                        let w = self.kernel[(k / 4) * self.o + o][k % 4];
                        acc += self.x[r * self.row_stride + k] as u8 as i64 * w as i64;
                    }
                    q.one(o, acc as i32)
                };
                let best = (0..window).map(|t| row(p * window + t)).max();
                out[p * self.out_stride + o] = best.unwrap_or(0x55);
            }
        }
        out
    }

    /// Runs `body`, a pooled product of the case's inputs read as `u8`, into an output filled
    /// with 0x55 between and after the windows' rows.
    fn run_pooled(
        &self,
        window: usize,
        body: impl FnOnce(&Operands<'_>, &Requantize<'_>, Pool, &mut [i8], usize),
    ) -> Vec<i8> {
        let (q, mut ops) = (self.requantize(), self.operands());
        ops.unsigned = true;
        let windows = self.rows / window;
        let mut out = vec![0x55; windows * self.out_stride + 7];
        q.check(self.o);
        ops.check_out(windows, out.len(), self.out_stride);
        let pool = Pool {
            window,
            monotone: q.monotone(self.o),
        };
        body(&ops, &q, pool, &mut out, self.out_stride);
        out
    }
}

/// Pooled products (the portable body against the definition; the SIMD bodies this processor
/// runs and the entry point against the portable body): windows of 1 to 9 rows, 1 to 5 of them,
/// monotone and wrapping requantisations, windows of zeros, and the convnet's shapes.
#[test]
fn pooled_products_match_the_definition() {
    let mut r = Rng(41);
    let mut cases: Vec<(Case, usize)> = (0..300)
        .map(|i| {
            let window = 1 + i % 9;
            let windows = 1 + r.range(0, 4) as usize;
            let k = r.range(0, 40) as usize;
            let o = match i % 4 {
                0 => r.range(1, 70),
                _ => r.range(1, 20),
            } as usize;
            (Case::random(&mut r, windows * window, k, o), window)
        })
        .collect();
    for (rows, window, k, o) in [
        (676, 4, 12, 32),
        (100, 4, 288, 64),
        (2, 2, 8, 40),
        (1, 1, 9, 130),
    ] {
        cases.push((Case::random(&mut r, rows, k, o), window));
    }
    // A third of the windows of every other case all zeros, as a background's: their largest
    // sums are the bias.
    for (case, window) in cases.iter_mut().step_by(2) {
        for p in 0..case.rows / *window {
            if r.next().is_multiple_of(3) {
                for row in p * *window..(p + 1) * *window {
                    case.x[row * case.row_stride..][..case.k].fill(0);
                }
            }
        }
    }
    for (case, window) in &cases {
        let window = *window;
        let want = case.pooled_reference(window);
        let what = format!(
            "rows {} window {window} k {} o {}",
            case.rows, case.k, case.o
        );
        let got = case.run_pooled(window, |ops, q, p, out, s| {
            portable::gemm_max_pool(ops, q, p.window, out, s)
        });
        assert_eq!(got, want, "portable: {what}");
        #[cfg(target_arch = "x86_64")]
        {
            if super::vnni_available() {
                // Safety: the processor runs AVX-512 VNNI; `run_pooled` checks the operands.
                let got = case.run_pooled(window, |ops, q, p, out, s| unsafe {
                    super::vnni::gemm_max_pool(ops, q, p, out, s)
                });
                assert_eq!(got, want, "vnni: {what}");
            }
            if super::super::x86::available() {
                // Safety: the processor runs AVX2; `run_pooled` checks the operands.
                let got = case.run_pooled(window, |ops, q, p, out, s| unsafe {
                    super::avx2::gemm_max_pool(ops, q, p, out, s)
                });
                assert_eq!(got, want, "avx2: {what}");
            }
        }
        let got = case.run_pooled(window, |ops, q, p, out, s| {
            // Safety: `u8` and `i8` have the same layout.
            let x = unsafe { core::slice::from_raw_parts(ops.x.as_ptr().cast(), ops.x.len()) };
            let windows = ops.rows / p.window;
            let (k, kernel, o) = (ops.k, ops.kernel, ops.outputs);
            super::gemm_max_pool(
                x,
                windows,
                p.window,
                ops.row_stride,
                k,
                kernel,
                o,
                q,
                out,
                s,
            )
        });
        assert_eq!(got, want, "gemm_max_pool: {what}");
    }
}

#[test]
#[should_panic(expected = "a window of no rows")]
fn a_window_of_no_rows_is_refused() {
    let case = Case::random(&mut Rng(47), 2, 4, 3);
    let q = case.requantize();
    let x = vec![0u8; 8];
    super::gemm_max_pool(&x, 0, 0, 4, 4, &case.kernel, 3, &q, &mut [0; 3], 3);
}

/// Pooled products of rows read in place (a convolution without patches): random row starts,
/// one to three runs per row `pitch` apart, every body and the entry point against the
/// definition.
#[test]
fn in_place_products_match_the_definition() {
    let mut r = Rng(53);
    for i in 0..300 {
        let (taps, per) = (1 + i % 3, 1 + r.range(0, 5) as usize);
        let (k, window) = (4 * taps * per, 1 + r.range(0, 5) as usize);
        let windows = 1 + r.range(0, 4) as usize;
        let rows = windows * window;
        let o = match i % 4 {
            0 => r.range(1, 70),
            _ => r.range(1, 20),
        } as usize;
        let pitch = r.range(0, 3 * k as i64) as usize;
        let mut case = Case::random(&mut r, 1, k, o);
        let extent = (taps - 1) * pitch + 4 * per;
        case.x = (0..extent + 50).map(|_| r.byte()).collect();
        case.rows = rows;
        let starts: Vec<u32> = (0..rows).map(|_| r.range(0, 50) as u32).collect();
        let q = case.requantize();
        let mut want = vec![0x55i8; windows * case.out_stride + 7];
        for p in 0..windows {
            for oo in 0..o {
                let row = |row: usize| {
                    let mut acc = case.bias[oo] as i64;
                    for t in 0..taps {
                        for j in 0..4 * per {
                            let x = case.x[starts[row] as usize + t * pitch + j] as u8 as i64;
                            let w = case.kernel[(t * per + j / 4) * o + oo][j % 4] as i64;
                            acc += x * w;
                        }
                    }
                    q.one(oo, acc as i32)
                };
                let best = (0..window).map(|t| row(p * window + t)).max();
                want[p * case.out_stride + oo] = best.unwrap_or(0x55);
            }
        }
        let ops = Operands {
            unsigned: true,
            starts: Some(&starts),
            taps,
            pitch,
            ..case.operands()
        };
        ops.check_out(windows, want.len(), case.out_stride);
        let pool = Pool {
            window,
            monotone: q.monotone(o),
        };
        let what = format!("taps {taps} per {per} pitch {pitch} window {window} o {o}");
        let run = |body: &dyn Fn(&mut [i8])| {
            let mut out = vec![0x55i8; want.len()];
            body(&mut out);
            out
        };
        let got = run(&|out| portable::gemm_max_pool(&ops, &q, window, out, case.out_stride));
        assert_eq!(got, want, "portable: {what}");
        #[cfg(target_arch = "x86_64")]
        {
            if super::vnni_available() {
                // Safety: the processor runs AVX-512 VNNI; the operands are checked above.
                let got = run(&|out| unsafe {
                    super::vnni::gemm_max_pool(&ops, &q, pool, out, case.out_stride)
                });
                assert_eq!(got, want, "vnni: {what}");
            }
            if super::super::x86::available() {
                // Safety: the processor runs AVX2; the operands are checked above.
                let got = run(&|out| unsafe {
                    super::avx2::gemm_max_pool(&ops, &q, pool, out, case.out_stride)
                });
                assert_eq!(got, want, "avx2: {what}");
            }
        }
        let x: Vec<u8> = case.x.iter().map(|&v| v as u8).collect();
        let got = run(&|out| {
            let (kernel, s) = (&case.kernel, case.out_stride);
            super::conv_max_pool(&x, &starts, window, [taps, pitch], k, kernel, o, &q, out, s)
        });
        assert_eq!(got, want, "conv_max_pool: {what}");
    }
}

#[test]
#[should_panic(expected = "x out of bounds")]
fn a_row_start_past_the_inputs_is_refused() {
    let case = Case::random(&mut Rng(59), 1, 8, 3);
    let q = case.requantize();
    let x = vec![0u8; 20];
    super::conv_max_pool(
        &x,
        &[0, 13],
        1,
        [2, 4],
        8,
        &case.kernel,
        3,
        &q,
        &mut [0; 6],
        3,
    );
}
