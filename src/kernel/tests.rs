//! Both kernels against the textbook triple loop, over shapes that hit every tile and mask.

use std::vec;
use std::vec::Vec;

use super::gemm::{dgemm, sgemm};
use super::portable;
#[cfg(target_arch = "x86_64")]
use super::{avx512, x86};

/// The two entry points behind one name, for generic tests.
trait Gemm: Sized {
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        dims: (usize, usize, usize),
        a: &[Self],
        lda: usize,
        b: &[Self],
        b_strides: (usize, usize),
        beta: Self,
        c: &mut [Self],
        ldc: usize,
    );
}

impl Gemm for f32 {
    fn gemm(
        d: (usize, usize, usize),
        a: &[f32],
        lda: usize,
        b: &[f32],
        s: (usize, usize),
        beta: f32,
        c: &mut [f32],
        ldc: usize,
    ) {
        sgemm(d, a, lda, b, s, beta, c, ldc)
    }
}

impl Gemm for f64 {
    fn gemm(
        d: (usize, usize, usize),
        a: &[f64],
        lda: usize,
        b: &[f64],
        s: (usize, usize),
        beta: f64,
        c: &mut [f64],
        ldc: usize,
    ) {
        dgemm(d, a, lda, b, s, beta, c, ldc)
    }
}

/// `C = A·B + beta·C` by the definition, in `f64`.
#[allow(clippy::too_many_arguments)]
fn reference(
    (m, k, n): (usize, usize, usize),
    a: &[f64],
    lda: usize,
    b: &[f64],
    (rsb, csb): (usize, usize),
    beta: f64,
    c: &mut [f64],
    ldc: usize,
) {
    for i in 0..m {
        for j in 0..n {
            let sum: f64 = (0..k).map(|p| a[i + p * lda] * b[p * rsb + j * csb]).sum();
            let old = if beta == 0.0 {
                0.0
            } else {
                beta * c[i + j * ldc]
            };
            c[i + j * ldc] = sum + old;
        }
    }
}

fn values(len: usize, seed: usize) -> Vec<f64> {
    (0..len)
        .map(|i| (((i * 7919 + seed * 104_729) % 1000) as f64 / 500.0) - 1.0)
        .collect()
}

/// Every shape with `m`, `n` around the tile sizes, both layouts of `B`, three betas.
fn shapes() -> impl Iterator<Item = ((usize, usize, usize), bool, f64)> {
    let ms = [1, 7, 8, 9, 10, 15, 16, 17, 32, 33, 64, 70, 128];
    let ns = [1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 27];
    let ks = [0, 1, 5, 32];
    ms.into_iter().flat_map(move |m| {
        ns.into_iter().flat_map(move |n| {
            ks.into_iter().flat_map(move |k| {
                [(false, 0.0), (true, 1.0), (false, 0.5)]
                    .into_iter()
                    .map(move |(t, beta)| ((m, k, n), t, beta))
            })
        })
    })
}

fn check<T: Gemm + Copy + Into<f64>>(of: impl Fn(f64) -> T, tolerance: f64) {
    for ((m, k, n), transposed, beta) in shapes() {
        let (lda, ldc) = (m + 3, m + 1);
        let b_strides = if transposed { (n, 1) } else { (1, k.max(1)) };
        let a = values(lda * k.max(1), 1);
        let b = values(k.max(1) * n, 2);
        // NaN in C must not leak through β = 0.
        let mut c: Vec<f64> = values(ldc * n, 3);
        if beta == 0.0 {
            c.iter_mut().for_each(|c| *c = f64::NAN);
        }
        let mut got: Vec<T> = c.iter().map(|&v| of(v)).collect();
        let (at, bt): (Vec<T>, Vec<T>) = (
            a.iter().map(|&v| of(v)).collect(),
            b.iter().map(|&v| of(v)).collect(),
        );
        T::gemm((m, k, n), &at, lda, &bt, b_strides, of(beta), &mut got, ldc);
        reference((m, k, n), &a, lda, &b, b_strides, beta, &mut c, ldc);
        for j in 0..n {
            for i in 0..m {
                let (g, w) = (got[i + j * ldc].into(), c[i + j * ldc]);
                assert!(
                    (g - w).abs() <= tolerance * (1.0 + w.abs()),
                    "m={m} k={k} n={n} t={transposed} beta={beta} at ({i},{j}): {g} vs {w}"
                );
            }
        }
    }
}

#[test]
fn f32_kernel_matches_the_definition() {
    check::<f32>(|v| v as f32, 1e-5);
}

#[test]
fn f64_kernel_matches_the_definition() {
    check::<f64>(|v| v, 1e-12);
}

#[test]
fn portable_f32_kernel_matches_the_simd_one() {
    let (m, k, n) = (37, 19, 11);
    let a: Vec<f32> = values(m * k, 4).iter().map(|&v| v as f32).collect();
    let b: Vec<f32> = values(k * n, 5).iter().map(|&v| v as f32).collect();
    let (mut simd, mut plain) = (vec![0.0f32; m * n], vec![0.0f32; m * n]);
    f32::gemm((m, k, n), &a, m, &b, (1, k), 0.0, &mut simd, m);
    portable::gemm((m, k, n), &a, m, &b, (1, k), 0.0, &mut plain, m);
    for (s, p) in simd.iter().zip(&plain) {
        assert!((s - p).abs() <= 1e-5 * (1.0 + p.abs()), "{s} vs {p}");
    }
}

/// The AVX-512 and AVX2 kernels compute the same chain of fused multiply-adds per element, so
/// a machine gives the same bits whichever its detection picks (and `no_std` builds agree).
#[cfg(target_arch = "x86_64")]
#[test]
fn avx512_and_avx2_kernels_agree_bit_for_bit() {
    if !(x86::available() && x86::avx512()) {
        return;
    }
    for ((m, k, n), transposed, beta) in shapes() {
        let (lda, ldc) = (m + 3, m + 1);
        let (rsb, csb) = if transposed { (n, 1) } else { (1, k.max(1)) };
        let a: Vec<f32> = values(lda * k.max(1), 6)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let b: Vec<f32> = values(k.max(1) * n, 7).iter().map(|&v| v as f32).collect();
        let c0: Vec<f32> = values(ldc * n, 8).iter().map(|&v| v as f32).collect();
        let (mut wide, mut narrow) = (c0.clone(), c0);
        let ops = |c: &mut Vec<f32>| x86::Operands {
            a: a.as_ptr(),
            lda,
            b: b.as_ptr(),
            rsb,
            csb,
            beta: beta as f32,
            c: c.as_mut_ptr(),
            ldc,
            resume: false,
        };
        // Safety: both instruction sets were detected above; the operands are sized for the
        // product (as `check` sizes them) and `c` is a separate vector.
        unsafe {
            avx512::gemm(m, k, n, ops(&mut wide));
            x86::gemm(m, k, n, ops(&mut narrow));
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&wide),
            bits(&narrow),
            "m={m} k={k} n={n} t={transposed}"
        );
    }
}

/// Empty products touch nothing outside their (possibly empty) slices, whatever the leading
/// dimensions and strides: `m = 0` or `n = 0` writes nothing, `k = 0` gives `C = β·C`.
#[test]
fn zero_sizes_are_safe_with_any_strides() {
    let far = usize::MAX;
    // Every operand empty.
    for (m, k, n) in [(0, 5, 0), (3, 0, 0), (0, 0, 0), (0, 0, 7)] {
        let mut c: [f32; 0] = [];
        f32::gemm((m, k, n), &[], far, &[], (far, far), 0.5, &mut c, far);
        let mut c: [f64; 0] = [];
        f64::gemm((m, k, n), &[], far, &[], (far, far), 0.5, &mut c, far);
    }
    // No rows: A and C empty, B a real 5×4.
    let b = [1.0f32; 20];
    f32::gemm((0, 5, 4), &[], far, &b, (1, 5), 0.5, &mut [], far);
    // k = 0 with empty A and B: C = β·C, or 0 for β = 0 (a NaN in C not read).
    for beta in [0.5f32, 0.0] {
        let (m, n) = (17, 7);
        let mut c = vec![f32::NAN; m * n];
        if beta != 0.0 {
            c.iter_mut().enumerate().for_each(|(i, c)| *c = i as f32);
        }
        f32::gemm((m, 0, n), &[], far, &[], (far, far), beta, &mut c, m);
        for (i, &c) in c.iter().enumerate() {
            assert_eq!(c, beta * i as f32, "beta={beta} at {i}");
        }
    }
}

#[test]
#[should_panic(expected = "B out of bounds")]
fn out_of_bounds_operands_panic() {
    let (a, b, mut c) = ([0.0f32; 4], [0.0f32; 3], [0.0f32; 4]);
    f32::gemm((2, 2, 2), &a, 2, &b, (1, 2), 0.0, &mut c, 2);
}

#[cfg(feature = "parallel")]
mod parallel {
    #[test]
    fn a_split_product_equals_the_whole_one_bit_for_bit() {
        for (m, k, n, beta) in [
            (64, 256, 300, 1.0),
            (64, 256, 300, 0.0),
            (70, 700, 133, 0.0),
            (130, 700, 20, 0.0),
        ] {
            assert!(crate::parallel::split((m, k, n)).is_some());
            a_split_product_equals_the_whole_one((m, k, n), beta);
        }
        assert!(crate::parallel::depth_split((70, 700, 133), true).is_some());
        assert!(crate::parallel::depth_split((130, 700, 20), true).is_some());
    }

    #[test]
    fn a_depth_split_product_inside_a_join_runs_whole_with_the_same_bits() {
        // Nested in a join's half, a product is not split again (a depth split's pipeline
        // would wait forever for a helper that is busy or is this very thread).
        let nested = || {
            assert!(crate::parallel::depth_split((70, 700, 133), true).is_none());
            a_split_product_equals_the_whole_one((70, 700, 133), 0.0)
        };
        crate::parallel::join(&nested, nested);
    }

    fn a_split_product_equals_the_whole_one((m, k, n): (usize, usize, usize), beta: f32) {
        use std::vec::Vec;
        // Values whose sums round, so a different order of additions would show.
        let a: Vec<f32> = (0..m * k)
            .map(|i| (i * 37 % 101) as f32 * 0.0137 - 0.6)
            .collect();
        let b: Vec<f32> = (0..k * n)
            .map(|i| (i * 53 % 97) as f32 * 0.0211 - 1.0)
            .collect();
        let (mut split_c, mut whole) = (std::vec![1.0f32; m * n], std::vec![1.0f32; m * n]);
        for _ in 0..3 {
            crate::kernel::gemm::sgemm((m, k, n), &a, m, &b, (1, k), beta, &mut split_c, m);
        }
        for _ in 0..3 {
            crate::kernel::gemm::sgemm_serial((m, k, n), &a, m, &b, (1, k), beta, &mut whole, m);
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&split_c),
            bits(&whole),
            "m={m} k={k} n={n} beta={beta}"
        );
    }
}
