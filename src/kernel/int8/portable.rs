//! The int8 product in plain loops, as a microcontroller runs it: per row, blocks of eight
//! outputs in `i32` accumulators, each group's four inputs times each output's four weights.

use super::Operands;

/// Outputs per block of accumulators.
const BLOCK: usize = 8;

/// The product of `ops` into `out`; the caller has checked the operands.
pub(super) fn gemm(ops: &Operands<'_>, out: &mut [i8], out_stride: usize) {
    let o = ops.outputs;
    for r in 0..ops.rows {
        let x = &ops.x[r * ops.row_stride..][..ops.k];
        let y = &mut out[r * out_stride..][..o];
        for o0 in (0..o).step_by(BLOCK) {
            let n = BLOCK.min(o - o0);
            let mut acc = [0i32; BLOCK];
            acc[..n].copy_from_slice(&ops.q.bias[o0..o0 + n]);
            // The last group may hold fewer than four inputs: `zip` stops at them.
            for (g, four) in x.chunks(4).enumerate() {
                let w = &ops.kernel[g * o + o0..][..n];
                for (acc, w) in acc.iter_mut().zip(w) {
                    *acc = acc.wrapping_add(dot(four, w));
                }
            }
            for (j, (y, &acc)) in y[o0..o0 + n].iter_mut().zip(&acc).enumerate() {
                *y = ops.q.one(o0 + j, acc);
            }
        }
    }
}

/// `Σ x[j]·w[j]` over the (up to four) inputs of a group; at most `4·2^14`, no overflow.
#[inline]
fn dot(x: &[i8], w: &[i8; 4]) -> i32 {
    x.iter().zip(w).map(|(&x, &w)| x as i32 * w as i32).sum()
}
