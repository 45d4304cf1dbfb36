//! The contract's inference half on its own: an integer layer implements `Forward` (and
//! `Buffers`, for its weights) with no backward pass, chains with `Flatten` of `i8`, and a
//! network of such layers gets `predict` and `summary` from `Network` without training.

use liandan::layer::{BufferMut, BufferRef};
use liandan::layers::{Chain, Flatten};
use liandan::prelude::*;
use liandan::{Accepts, Buffers, LayerInfo, TensorInfo};

/// A small integer dense layer: `y = clamp((W·x + b) >> shift, -128, 127)`, accumulating in
/// `i32`, its weights non-trainable buffers.
#[derive(Clone, Debug, PartialEq)]
struct DenseI8<const I: usize, const O: usize> {
    kernel: SMatrix<i8, O, I>,
    bias: SVector<i32, O>,
    shift: u32,
}

// Safety: matrices of integers and an integer.
unsafe impl<const I: usize, const O: usize> Zeroed for DenseI8<I, O> {}

impl<const I: usize, const O: usize> Forward for DenseI8<I, O> {
    type Element = i8;
    type Input = Flat<I>;
    type Output = Flat<O>;
    type Scratch<const B: usize> = ();

    fn forward<const B: usize>(
        &self,
        x: &SMatrix<i8, I, B>,
        y: &mut SMatrix<i8, O, B>,
        _: &mut (),
    ) {
        for j in 0..B {
            for o in 0..O {
                let dot: i32 = (0..I)
                    .map(|i| i32::from(self.kernel[(o, i)]) * i32::from(x[(i, j)]))
                    .sum();
                let scaled = (dot + self.bias[o]) >> self.shift;
                y[(o, j)] = scaled.clamp(-128, 127) as i8;
            }
        }
    }
}

impl<const I: usize, const O: usize> Accepts<Flat<I>> for DenseI8<I, O> {}

impl<const I: usize, const O: usize> Buffers for DenseI8<I, O> {
    const BUFFERS: usize = 2;
    const BUFFER_VALUES: usize = I * O + O;
    const BUFFER_BYTES: usize = I * O + 4 * O;

    fn buffer(&self, i: usize) -> Option<BufferRef<'_>> {
        match i {
            0 => Some(BufferRef::I8(self.kernel.as_slice())),
            1 => Some(BufferRef::I32(self.bias.as_slice())),
            _ => None,
        }
    }

    fn buffer_mut(&mut self, i: usize) -> Option<BufferMut<'_>> {
        match i {
            0 => Some(BufferMut::I8(self.kernel.as_mut_slice())),
            1 => Some(BufferMut::I32(self.bias.as_mut_slice())),
            _ => None,
        }
    }

    fn buffer_info(i: usize) -> Option<TensorInfo> {
        match i {
            0 => Some(TensorInfo::new("kernel", const { &[I, O] }).torch(&[1, 0])),
            1 => Some(TensorInfo::new("bias", const { &[O] })),
            _ => None,
        }
    }
}

/// `Flatten` of 2×2 `i8` images, then the integer layer: a network by hand, inference only.
type Tiny8 = Chain<Flatten<i8, Hw<2, 2>, 4>, DenseI8<4, 2>>;

/// What `network!` would say of it.
struct Named(Tiny8);

// Safety: a chain of `Zeroed` layers.
unsafe impl Zeroed for Named {}

impl Forward for Named {
    type Element = i8;
    type Input = Hw<2, 2>;
    type Output = Flat<2>;
    type Scratch<const B: usize> = Scratch<Tiny8, B>;

    fn forward<const B: usize>(
        &self,
        x: &Batch<i8, Hw<2, 2>, B>,
        y: &mut Batch<i8, Flat<2>, B>,
        scratch: &mut Scratch<Tiny8, B>,
    ) {
        self.0.forward(x, y, scratch)
    }
}

impl Buffers for Named {
    const BUFFERS: usize = <Tiny8 as Buffers>::BUFFERS;
    const BUFFER_VALUES: usize = <Tiny8 as Buffers>::BUFFER_VALUES;
    const BUFFER_BYTES: usize = <Tiny8 as Buffers>::BUFFER_BYTES;

    fn buffer(&self, i: usize) -> Option<BufferRef<'_>> {
        self.0.buffer(i)
    }

    fn buffer_mut(&mut self, i: usize) -> Option<BufferMut<'_>> {
        self.0.buffer_mut(i)
    }

    fn buffer_info(i: usize) -> Option<TensorInfo> {
        <Tiny8 as Buffers>::buffer_info(i).map(|t| t.in_layer("dense_1"))
    }
}

impl Network for Named {
    const NAME: &'static str = "Tiny8";
    const LAYERS: &'static [LayerInfo] = &[
        LayerInfo {
            name: "flatten_1",
            kind: "Flatten<[2, 2]>",
            output: &[4],
            params: 0,
            buffers: 0,
        },
        LayerInfo {
            name: "dense_1",
            kind: "DenseI8<4 -> 2>",
            output: &[2],
            params: 0,
            buffers: 10,
        },
    ];
}

fn tiny() -> Named {
    let mut net = Named(Tiny8::zeroed());
    let dense = &mut net.0.second;
    dense.kernel = SMatrix::<i8, 2, 4>::from_row_slice(&[1, 2, 3, 4, -1, -1, -1, -1]);
    dense.bias = SVector::<i32, 2>::new(2, 0);
    dense.shift = 1;
    net
}

#[test]
fn an_integer_network_predicts_without_a_backward_pass() {
    let net = tiny();
    // The image [[10, 20], [30, 40]] flattened row-major: [10, 20, 30, 40].
    let image = Sample::<i8, Hw<2, 2>>::from_slice(&[10, 20, 30, 40]);
    let y = net.predict(&image);
    // (10 + 40 + 90 + 160 + 2) >> 1 = 151 saturates at 127; -100 >> 1 = -50.
    assert_eq!(y, SVector::<i8, 2>::new(127, -50));
    let mut batch = Batch::<i8, Flat<2>, 2>::zeroed();
    let images = Batch::<i8, Hw<2, 2>, 2>::from_slice(&[10, 20, 30, 40, 0, 0, 0, 2]);
    net.forward(&images, &mut batch, &mut Zeroed::zeroed());
    assert_eq!(batch.sample_values(1), [5, -1]);
}

#[test]
fn its_summary_counts_the_buffers_as_non_trainable() {
    let text = Named::summary().to_string();
    assert!(
        text.contains("dense_1 (DenseI8)                   (None, 2)                   10"),
        "{text}"
    );
    assert!(text.contains(" Total params: 10 (16.00 B)"), "{text}");
    assert!(text.contains(" Trainable params: 0 (0.00 B)"), "{text}");
    assert!(
        text.contains(" Non-trainable params: 10 (16.00 B)"),
        "{text}"
    );
    assert_eq!(
        Named::buffer_info(1).map(|t| (t.layer, t.name)),
        Some(("dense_1", "bias"))
    );
    assert_eq!(tiny().buffer(1), Some(BufferRef::I32(&[2, 0])));
}
