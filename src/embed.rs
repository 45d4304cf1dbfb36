//! Weights compiled into the binary: little-endian bytes decoded into matrices at compile time.
//!
//! `network!`'s `weights: "file.safetensors"` entry checks the file when the crate compiles,
//! then expands to a `const` network whose kernels and biases are decoded by these `const fn`s
//! from `include_bytes!` of the file at the byte offsets it found. Nothing is parsed at run
//! time: the network is an ordinary value, and a `static` of it lives in read-only memory.
//!
//! Decoding in `const` rather than emitting one literal per weight keeps the expansion a few
//! lines long whatever the network's size (the seed MNIST network has 101,770 weights).
//!
//! ```
//! use liandan::embed::f32_matrix;
//! use nalgebra::SMatrix;
//!
//! // Column-major, as safetensors' row-major `[in, out]` kernel is: (0,0), (1,0), (0,1), (1,1).
//! const BYTES: [u8; 16] = *b"\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40";
//! const M: SMatrix<f32, 2, 2> = f32_matrix(&BYTES, 0);
//! assert_eq!(M, SMatrix::<f32, 2, 2>::new(1.0, 3.0, 2.0, 4.0));
//! ```

use nalgebra::{ArrayStorage, SMatrix, SVector};

use crate::layers::Kernel;
use crate::Float;

/// The `R×C` matrix of `f32`s stored column-major, little-endian, at `bytes[start..]`.
///
/// The element `(r, c)` is read from `start + 4·(c·R + r)`: a Keras `[in, out]` kernel read
/// row-major is liandan's `out × in` kernel read column-major. Reading past the end of `bytes`
/// is a compile error when called in a `const` (the macro checks the lengths first).
pub const fn f32_matrix<const R: usize, const C: usize>(
    bytes: &[u8],
    start: usize,
) -> SMatrix<f32, R, C> {
    let mut data = [[0.0f32; R]; C];
    let mut c = 0;
    while c < C {
        let mut r = 0;
        while r < R {
            let at = start + 4 * (c * R + r);
            let word = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
            data[c][r] = f32::from_bits(u32::from_le_bytes(word));
            r += 1;
        }
        c += 1;
    }
    SMatrix::from_array_storage(ArrayStorage(data))
}

/// The `R×C` matrix of `f64`s stored column-major, little-endian, at `bytes[start..]`; see
/// [`f32_matrix`].
pub const fn f64_matrix<const R: usize, const C: usize>(
    bytes: &[u8],
    start: usize,
) -> SMatrix<f64, R, C> {
    let mut data = [[0.0f64; R]; C];
    let mut c = 0;
    while c < C {
        let mut r = 0;
        while r < R {
            let at = start + 8 * (c * R + r);
            let mut word = [0u8; 8];
            let mut k = 0;
            while k < 8 {
                word[k] = bytes[at + k];
                k += 1;
            }
            data[c][r] = f64::from_bits(u64::from_le_bytes(word));
            r += 1;
        }
        c += 1;
    }
    SMatrix::from_array_storage(ArrayStorage(data))
}

/// The little-endian `i64` at `bytes[start..]` (a count kept beside statistics).
pub const fn i64_value(bytes: &[u8], start: usize) -> i64 {
    let mut word = [0u8; 8];
    let mut k = 0;
    while k < 8 {
        word[k] = bytes[start + k];
        k += 1;
    }
    i64::from_le_bytes(word)
}

/// A convolution's kernel from its decoded matrix: Keras' row-major `(KH, KW, C, F)` kernel
/// read column-major is the `F × KH·KW·C` matrix `m`, which has the same values in the same
/// order as the array `[kh][kw][c][f]`.
pub const fn kernel<
    T: Float,
    const F: usize,
    const TAPS: usize,
    const KH: usize,
    const KW: usize,
    const C: usize,
>(
    m: SMatrix<T, F, TAPS>,
) -> Kernel<T, KH, KW, C, F> {
    assert!(TAPS == KH * KW * C, "a kernel of KH·KW·C taps");
    /// The two views of the same `F·TAPS` values.
    union Values<
        T: Copy,
        const F: usize,
        const TAPS: usize,
        const KH: usize,
        const KW: usize,
        const C: usize,
    > {
        matrix: SMatrix<T, F, TAPS>,
        kernel: Kernel<T, KH, KW, C, F>,
    }
    // Safety: both are `F·TAPS` values of `T` in the same order with no padding (an
    // `SMatrix` is its `[[T; F]; TAPS]` array, `repr(C)`), and every bit pattern of a float
    // is a float.
    unsafe { Values { matrix: m }.kernel }
}

/// `N` zeros: the bias of a layer without one.
pub const fn zeros<T: Float, const N: usize>() -> SVector<T, N> {
    // Safety: all-zero bits are the float 0.0, and an `SVector` is an array of floats.
    unsafe { core::mem::zeroed() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bits_exactly_and_column_major() {
        let values = [1.5f64, -0.0, f64::MIN_POSITIVE, 3.0e-300, 7.25, -2.0];
        let mut bytes = std::vec![0xAAu8; 3];
        values.iter().for_each(|v| bytes.extend(v.to_le_bytes()));
        let m: SMatrix<f64, 2, 3> = f64_matrix(&bytes, 3);
        assert_eq!(m.as_slice(), values);
        assert_eq!(m[(1, 2)], -2.0);
        let narrow: std::vec::Vec<u8> = values
            .iter()
            .flat_map(|v| (*v as f32).to_le_bytes())
            .collect();
        let m: SMatrix<f32, 3, 2> = f32_matrix(&narrow, 0);
        assert!(m
            .iter()
            .zip(values)
            .all(|(a, b)| a.to_bits() == (b as f32).to_bits()));
    }

    #[test]
    fn a_kernel_matrix_is_the_keras_array() {
        const M: SMatrix<f32, 2, 6> = SMatrix::from_array_storage(ArrayStorage([
            [0.0, 1.0],
            [2.0, 3.0],
            [4.0, 5.0],
            [6.0, 7.0],
            [8.0, 9.0],
            [10.0, 11.0],
        ]));
        const K: Kernel<f32, 1, 3, 2, 2> = kernel(M);
        // [kh][kw][c][f] = (kw·2 + c)·2 + f
        assert_eq!(K[0][2][1], [10.0, 11.0]);
        assert_eq!(K[0][1][0], [4.0, 5.0]);
        const Z: SVector<f64, 3> = zeros();
        assert_eq!(Z, SVector::<f64, 3>::zeros());
    }
}
