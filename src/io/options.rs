//! How to read a file that was not written by liandan for this very network.

/// How a file lays out its kernels (biases are one-dimensional in both).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// Keras' `(in, out)`, row-major: liandan's own layout, read byte for byte.
    #[default]
    Keras,
    /// PyTorch's `nn.Linear.weight`, `(out, in)` row-major: transposed while loading.
    PyTorch,
}

/// Options of a load; the default is strict: Keras layout and the network's own element type.
///
/// ```
/// use liandan::io::{Layout, LoadOptions};
/// let options = LoadOptions::default().layout(Layout::PyTorch).converting();
/// assert!(options.convert);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The layout of the file's kernels.
    pub layout: Layout,
    /// Whether an `f64` file may be rounded into an `f32` network (or an `f32` file widened into
    /// an `f64` one). Off by default, so a precision change is never silent.
    pub convert: bool,
}

impl LoadOptions {
    /// The same options, reading kernels in `layout`.
    pub fn layout(self, layout: Layout) -> Self {
        LoadOptions { layout, ..self }
    }

    /// The same options, converting between `f32` and `f64` (rounding to nearest).
    pub fn converting(self) -> Self {
        LoadOptions {
            convert: true,
            ..self
        }
    }
}
