//! The int8 product in plain loops, as a microcontroller runs it: per row, blocks of eight
//! outputs in `i32` accumulators, each group's four unsigned inputs times each output's four
//! weights. A group of four zeros (a ReLU's zeros, an image's background) is skipped.

use super::{Operands, Requantize};

/// Outputs per block of accumulators.
const BLOCK: usize = 8;

/// The product of `ops` requantised by `q` into `out`; the caller has checked the operands.
pub(super) fn gemm(ops: &Operands<'_>, q: &Requantize<'_>, out: &mut [i8], out_stride: usize) {
    each_block(ops, |r, o0, acc| {
        let y = &mut out[r * out_stride + o0..][..acc.len()];
        for (j, (y, &acc)) in y.iter_mut().zip(acc).enumerate() {
            *y = q.one(o0 + j, acc);
        }
    });
}

/// The product of `ops` requantised by `q` and max-pooled over windows of `window` rows into
/// `out`: each output the largest of its window's requantised ones; the caller has checked
/// the operands.
pub(super) fn gemm_max_pool(
    ops: &Operands<'_>,
    q: &Requantize<'_>,
    window: usize,
    out: &mut [i8],
    out_stride: usize,
) {
    each_block(ops, |r, o0, acc| {
        let (p, first) = (r / window, r % window == 0);
        let y = &mut out[p * out_stride + o0..][..acc.len()];
        for (j, (y, &acc)) in y.iter_mut().zip(acc).enumerate() {
            let v = q.one(o0 + j, acc);
            *y = if first { v } else { v.max(*y) };
        }
    });
}

/// Calls `done(r, o0, acc)` with the accumulators of outputs `o0 .. o0 + acc.len()` of each
/// row `r`, block by block.
#[inline(always)]
fn each_block(ops: &Operands<'_>, mut done: impl FnMut(usize, usize, &[i32])) {
    let o = ops.outputs;
    let (run, per) = (ops.run(), ops.run().div_ceil(4));
    for r in 0..ops.rows {
        let start = ops.start(r);
        for o0 in (0..o).step_by(BLOCK) {
            let n = BLOCK.min(o - o0);
            let mut acc = [0i32; BLOCK];
            acc[..n].copy_from_slice(&ops.bias[o0..o0 + n]);
            for t in 0..ops.taps {
                let x = &ops.x[start + t * ops.pitch..][..run];
                // The last group may hold fewer than four inputs: zeros stand for the rest.
                for (c, four) in x.chunks(4).enumerate() {
                    let u = unsigned(four, ops.flip());
                    if u == [0; 4] {
                        continue;
                    }
                    let w = &ops.kernel[(t * per + c) * o + o0..][..n];
                    for (acc, w) in acc.iter_mut().zip(w) {
                        *acc = acc.wrapping_add(dot(&u, w));
                    }
                }
            }
            done(r, o0, &acc[..n]);
        }
    }
}

/// A group's (up to four) inputs as unsigned bytes, each XORed with `flip`
/// ([`Operands::flip`]), zeros past the inputs.
#[inline]
fn unsigned(x: &[i8], flip: u8) -> [u8; 4] {
    let mut u = [0; 4];
    for (u, &x) in u.iter_mut().zip(x) {
        *u = x as u8 ^ flip;
    }
    u
}

/// `Σ u[j]·w[j]` over a group: at most `4·2^15`, no overflow.
#[inline]
fn dot(u: &[u8; 4], w: &[i8; 4]) -> i32 {
    u.iter().zip(w).map(|(&u, &w)| u as i32 * w as i32).sum()
}
