//! What `network!` generates on top of the layer traits: the declared architecture,
//! construction, prediction and a Keras-style summary.

#[cfg(feature = "alloc")]
use alloc::boxed::Box;
use core::fmt;

use rand::RngCore;

use crate::layer::{Buffers, Forward, Out, Scratch, Train};
use crate::shape::{Sample, Shape};
use crate::Zeroed;
#[cfg(feature = "alloc")]
use crate::{optim::Optimizer, Trainer};

/// One layer of a declared network, as `summary()` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    /// The field name in the generated struct, Keras-style: `dense_1`, `dropout_1`, ...
    pub name: &'static str,
    /// The layer as declared, with its sizes resolved: `Dense<784 -> 128, Relu>`.
    pub kind: &'static str,
    /// The shape of one output sample.
    pub output: &'static [usize],
    /// The number of trainable parameters.
    pub params: usize,
    /// The number of values of its non-trainable buffers.
    pub buffers: usize,
}

/// A network declared with `network!`: a layer that also knows its architecture.
///
/// Inference needs only [`Forward`]; construction from a generator, a [`Trainer`] and the
/// training conveniences need the network to [`Train`] too.
pub trait Network: Forward + Buffers + Zeroed {
    /// The declared name (`"Mnist"`).
    const NAME: &'static str;
    /// The layers, in order.
    const LAYERS: &'static [LayerInfo];

    /// Zeroes `self`, then initialises it as Keras would: glorot-uniform kernels and zero
    /// biases. (Dropout rates are part of the type, so every construction has them.)
    fn reset<R: RngCore + ?Sized>(&mut self, rng: &mut R)
    where
        Self: Train,
    {
        self.set_zero();
        self.init(rng);
    }

    /// A freshly initialised network on the stack: for small networks and embedded targets.
    fn new<R: RngCore + ?Sized>(rng: &mut R) -> Self
    where
        Self: Train,
    {
        let mut net = Self::zeroed();
        net.init(rng);
        net
    }

    /// A freshly initialised network built in place on the heap, whatever its size.
    #[cfg(feature = "alloc")]
    fn new_boxed<R: RngCore + ?Sized>(rng: &mut R) -> Box<Self>
    where
        Self: Train,
    {
        let mut net = Self::boxed();
        net.init(rng);
        net
    }

    /// A [`Trainer`] for batches of `B` samples, built in place on the heap.
    #[cfg(feature = "alloc")]
    fn trainer<Opt: Optimizer<Self::Element>, const B: usize>(
        optimizer: Opt,
    ) -> Box<Trainer<Self, Opt, B>>
    where
        Self: Train,
    {
        Trainer::boxed(optimizer)
    }

    /// The network's output for one sample (dropout off).
    ///
    /// The scratch for that one sample ([`Scratch<Self, 1>`](crate::layer::Scratch): the
    /// intermediate activations of one sample) is made on the stack, which suits small
    /// networks. For a large network or a batch, call [`forward`](Forward::forward) with a
    /// scratch made once, on the heap (`Zeroed::boxed()`) or in a `static`; or
    /// [`Trainer::predict`], which works in the trainer's buffers.
    ///
    /// ```
    /// use liandan::prelude::*;
    ///
    /// network! {
    ///     struct Iris { input: [4], Dense<16, Tanh>, Dense<3, Softmax> }
    /// }
    ///
    /// let net = Iris::<f32>::new(&mut liandan::rng::SplitMix64::new(7));
    /// let p: SVector<f32, 3> = net.predict(&SVector::<f32, 4>::new(5.1, 3.5, 1.4, 0.2));
    /// assert!((p.sum() - 1.0).abs() < 1e-6); // softmax: probabilities
    /// let (class, _) = p.argmax(); // the predicted class
    /// assert!(class < 3);
    /// ```
    fn predict(
        &self,
        x: &Sample<Self::Element, Self::Input>,
    ) -> Sample<Self::Element, Self::Output> {
        let mut y = Out::<Self, 1>::zeroed();
        // Zeroed in place rather than returned by `Zeroed::zeroed` (which an unoptimised build
        // copies through several frames): the stack holds the scratch once.
        let mut scratch = core::mem::MaybeUninit::<Scratch<Self, 1>>::uninit();
        // Safety: all-zero bytes are a valid `Scratch` (`Zeroed`), and the pointer is to a
        // place of one.
        let scratch = unsafe {
            scratch.as_mut_ptr().write_bytes(0, 1);
            scratch.assume_init_mut()
        };
        self.forward(x, &mut y, scratch);
        y
    }

    /// The number of trainable parameters.
    fn param_count() -> usize {
        Self::LAYERS.iter().map(|l| l.params).sum()
    }

    /// A Keras-style table of the layers, their output shapes and parameter counts.
    ///
    /// ```
    /// use liandan::prelude::*;
    ///
    /// network! {
    ///     struct Xor { input: [2], Dense<8, Tanh>, Dense<1, Sigmoid> }
    /// }
    ///
    /// let table = Xor::<f32>::summary().to_string();
    /// assert!(table.starts_with("Model: \"Xor\""));
    /// assert!(table.contains("dense_1 (Dense)                     (None, 8)                   24"));
    /// assert!(table.contains(" Total params: 33 (132.00 B)"));
    /// ```
    fn summary() -> Summary {
        Summary {
            name: Self::NAME,
            input: <Self::Input as Shape>::DIMS,
            layers: Self::LAYERS,
            params: Self::param_count(),
            param_bytes: Self::param_count() * core::mem::size_of::<Self::Element>(),
            buffers: Self::BUFFER_VALUES,
            buffer_bytes: Self::BUFFER_BYTES,
        }
    }
}

/// A network's summary; print it with `{}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    name: &'static str,
    input: &'static [usize],
    layers: &'static [LayerInfo],
    params: usize,
    param_bytes: usize,
    buffers: usize,
    buffer_bytes: usize,
}

impl Summary {
    /// The shape of one input sample.
    pub fn input(&self) -> &'static [usize] {
        self.input
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const RULE: &str = "──────────────────────────────────────────────────────────────────";
        writeln!(f, "Model: \"{}\"", self.name)?;
        writeln!(f, "{RULE}")?;
        writeln!(
            f,
            "{:<36}{:<18}{:>12}",
            "Layer (type)", "Output Shape", "Param #"
        )?;
        writeln!(f, "{RULE}")?;
        for layer in self.layers {
            let kind = layer.kind.split('<').next().unwrap_or(layer.kind);
            let name = Padded(&[layer.name, " (", kind, ")"], 36);
            writeln!(
                f,
                "{name}{}{:>12}",
                OutputShape(layer.output),
                Grouped(layer.params + layer.buffers)
            )?;
        }
        writeln!(f, "{RULE}")?;
        let total = self.params + self.buffers;
        let total_bytes = self.param_bytes + self.buffer_bytes;
        writeln!(
            f,
            " Total params: {} ({})",
            Grouped(total),
            Bytes(total_bytes)
        )?;
        writeln!(
            f,
            " Trainable params: {} ({})",
            Grouped(self.params),
            Bytes(self.param_bytes)
        )?;
        writeln!(
            f,
            " Non-trainable params: {} ({})",
            Grouped(self.buffers),
            Bytes(self.buffer_bytes)
        )
    }
}

/// Pieces of text written one after another and padded to a width.
struct Padded<'a>(&'a [&'a str], usize);

impl fmt::Display for Padded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut len = 0;
        for part in self.0 {
            f.write_str(part)?;
            len += part.chars().count();
        }
        (len..self.1).try_for_each(|_| f.write_str(" "))
    }
}

/// An output shape as Keras prints it, `(None, 128)`, padded to 18 columns.
struct OutputShape(&'static [usize]);

impl fmt::Display for OutputShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = heapless_text::Text::<32>::new();
        let _ = fmt::write(&mut text, format_args!("(None"));
        for d in self.0 {
            let _ = fmt::write(&mut text, format_args!(", {d}"));
        }
        let _ = fmt::write(&mut text, format_args!(")"));
        write!(f, "{:<18}", text.as_str())
    }
}

/// A count with thousands separators: `101,770`.
struct Grouped(usize);

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = heapless_text::Text::<32>::new();
        let digits = {
            let mut d = heapless_text::Text::<24>::new();
            let _ = fmt::write(&mut d, format_args!("{}", self.0));
            d
        };
        let s = digits.as_str();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                let _ = fmt::write(&mut text, format_args!(","));
            }
            let _ = fmt::write(&mut text, format_args!("{c}"));
        }
        f.pad(text.as_str())
    }
}

/// A byte count as Keras prints it: `397.54 KB`.
struct Bytes(usize);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0 as f64;
        match self.0 {
            0..1024 => write!(f, "{:.2} B", b),
            1024..1_048_576 => write!(f, "{:.2} KB", b / 1024.0),
            _ => write!(f, "{:.2} MB", b / 1_048_576.0),
        }
    }
}

/// A small fixed-capacity text buffer, so formatting with widths needs no heap.
mod heapless_text {
    use core::fmt;

    pub struct Text<const N: usize> {
        bytes: [u8; N],
        len: usize,
    }

    impl<const N: usize> Text<N> {
        pub fn new() -> Self {
            Text {
                bytes: [0; N],
                len: 0,
            }
        }

        pub fn as_str(&self) -> &str {
            // Only whole `&str`s are ever appended, so the bytes are valid UTF-8.
            core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
        }
    }

    impl<const N: usize> fmt::Write for Text<N> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = self.len + s.len();
            if end > N {
                return Err(fmt::Error);
            }
            self.bytes[self.len..end].copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
}
