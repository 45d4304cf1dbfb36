//! The properties liandan's file loaders must have, checked on any bytes.
//!
//! Each `check` function takes a file's bytes, runs liandan's loaders on it and panics, with a
//! message saying which property broke, if any of these fails:
//!
//! - a file liandan accepts reads as an independent reader reads it (a parser written here from
//!   the IDX format's description, the `csv` crate, the `safetensors` crate itself);
//! - a file that reader accepts, and that fits, liandan accepts too;
//! - every loaded number is finite and in range for the type it is loaded into;
//! - a failed load leaves the network (or optimizer state) bit for bit as it was;
//! - an error says where: the line and column of a CSV cell hold the text it quotes, an IDX
//!   error's byte offsets are the file's.
//!
//! A panic inside liandan (an overflow in a debug build, say) is a failure too. The fuzz
//! targets in `fuzz_targets/` call these functions; so does `tests/fuzz_corpus.rs` in the main
//! crate, which replays the committed corpus (it includes this file by path, so there is one
//! copy of every property).

pub mod csv;
pub mod idx;
pub mod int8;
pub mod optimizer;
pub mod seeds;
pub mod weights;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use liandan::prelude::*;

network! {
    /// The network the weight-file properties load into: four tensors, two layers.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Tiny {
        input: [4],
        Dense<5, Relu>,
        Dense<3, Softmax>,
    }
}

/// `Tiny`'s tensors in `Params` order: the name in a file and the Keras shape (`[in, out]`
/// for a kernel, `[out]` for a bias), written out here rather than asked of liandan.
pub const TINY_TENSORS: [(&str, &[usize]); 4] = [
    ("dense_1.kernel", &[4, 5]),
    ("dense_1.bias", &[5]),
    ("dense_2.kernel", &[5, 3]),
    ("dense_2.bias", &[3]),
];

network! {
    /// The convolutional network the weight-file properties load into: a 4-D kernel whose four
    /// axes all differ in size, so a file read with two of them swapped cannot pass.
    #[derive(Clone, Debug, PartialEq)]
    pub struct TinyConv {
        input: [3, 4, 4],
        Conv2D<5, 2x3, Relu>,
        Flatten,
        Dense<2, Softmax>,
    }
}

/// `TinyConv`'s tensors as [`TINY_TENSORS`] lists `Tiny`'s: the kernel `(KH, KW, C, F)`, the
/// dense kernel over the flattened 2×2×5 map.
pub const TINY_CONV_TENSORS: [(&str, &[usize]); 4] = [
    ("conv2d_1.kernel", &[2, 3, 4, 5]),
    ("conv2d_1.bias", &[5]),
    ("dense_1.kernel", &[20, 2]),
    ("dense_1.bias", &[2]),
];

network! {
    /// The network whose int8 form (`TinyQuantInt8`) the int8-file property loads: six inputs,
    /// so the first layer's kernel ends with a partial group of four, and a hidden ReLU layer
    /// whose output quantisation is the second layer's input.
    #[derive(Clone, Debug, PartialEq)]
    pub struct TinyQuant {
        input: [6],
        Dense<5, Relu>,
        Dense<3, Softmax>,
    }
}

/// A file in the system's temporary directory, removed when dropped.
///
/// The name holds the process id and a counter, so fuzzing processes and the replay test's
/// threads never share one.
pub struct TempFile(PathBuf);

impl TempFile {
    /// A new file holding `bytes`; `name` ends the file's name (`table.csv`).
    pub fn new(name: &str, bytes: &[u8]) -> TempFile {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let file = format!("liandan-fuzz-{}-{n}-{name}", std::process::id());
        let path = std::env::temp_dir().join(file);
        std::fs::write(&path, bytes).expect("cannot write a temporary file");
        TempFile(path)
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A scalar's bits, so comparisons tell `-0.0` from `0.0` and see every NaN payload.
pub trait Bits: Copy {
    /// The bits, widened to 64.
    fn bits(self) -> u64;
}

impl Bits for f32 {
    fn bits(self) -> u64 {
        self.to_bits().into()
    }
}

impl Bits for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

/// Every scalar of every tensor of `p`, as bits.
pub fn bits<T: Float + Bits, P: Params<T>>(p: &P) -> Vec<u64> {
    (0..P::TENSORS)
        .flat_map(|i| p.tensor(i).iter().map(|x| x.bits()))
        .collect()
}

/// Fills every tensor of `p` with distinct small values (none zero), so a load that copies
/// anything, or a failed one that changes anything, shows.
pub fn seeded<T: Float, P: Params<T>>(p: &mut P, salt: usize) {
    for i in 0..P::TENSORS {
        for (j, x) in p.tensor_mut(i).iter_mut().enumerate() {
            *x = T::of(((i * 31 + j * 7 + salt) % 17) as f64 / 16.0 - 0.53);
        }
    }
}
