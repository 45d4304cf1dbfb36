//! The int8 matrix product with its requantisation (portable only, for now).

use crate::quant::{Multiplier, Rounding};

/// What turns a row's `i32` sums into int8 outputs, per output channel.
pub(crate) struct Requantize<'a> {
    pub bias: &'a [i32],
    pub multiplier: &'a [i32],
    pub shift: &'a [i8],
    pub zero_point: i32,
    pub min: i8,
    pub max: i8,
    pub rounding: Rounding,
}

/// `out[r][o] = clamp(zp + M[o]·(bias[o] + Σ_k x[r][k]·w[k][o]))` for `rows` rows of `k`
/// values, the kernel in groups of four inputs (`kernel[g·O + o][j] = w[4g + j][o]`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
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
    for r in 0..rows {
        let row = &x[r * row_stride..r * row_stride + k];
        let y = &mut out[r * out_stride..r * out_stride + o];
        for (c, y) in y.iter_mut().enumerate() {
            let mut acc = q.bias[c];
            for (i, &v) in row.iter().enumerate() {
                acc = acc.wrapping_add(i32::from(v) * i32::from(kernel[(i / 4) * o + c][i % 4]));
            }
            let m = Multiplier {
                multiplier: q.multiplier[c],
                shift: i32::from(q.shift[c]),
            };
            let v = q.zero_point.wrapping_add(m.apply_with(acc, q.rounding));
            *y = v.clamp(i32::from(q.min), i32::from(q.max)) as i8;
        }
    }
}
