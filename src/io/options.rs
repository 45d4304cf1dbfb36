//! How to read a file that was not written by liandan for this very network.

/// How a file lays out its kernels (biases are one-dimensional in both).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// Keras' `(in, out)`, row-major: liandan's own layout, read byte for byte.
    #[default]
    Keras,
    /// PyTorch's `nn.Linear.weight`, `(out, in)`, and `nn.Conv2d.weight`, `(F, C, KH, KW)`,
    /// row-major: the axes reordered while loading, or while saving with
    /// [`save_weights_with`](crate::io::save_weights_with).
    PyTorch,
}

/// Options of a load; the default is strict: Keras layout, the network's own element type, and
/// finite values only.
///
/// ```
/// use liandan::io::{Layout, LoadOptions};
/// let options = LoadOptions::default().layout(Layout::PyTorch).converting();
/// assert!(options.convert && !options.allow_non_finite);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The layout of the file's kernels.
    pub layout: Layout,
    /// Whether an `f64` file may be rounded into an `f32` network (or an `f32` file widened into
    /// an `f64` one). Off by default, so a precision change is never silent. A finite `f64`
    /// beyond `f32`'s range is refused either way, rather than made infinite.
    pub convert: bool,
    /// Whether NaN and infinite values are loaded (bit for bit) rather than refused. Off by
    /// default: see [the module docs](crate::io#non-finite-values) for why.
    pub allow_non_finite: bool,
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

    /// The same options, loading NaN and infinite values as they are instead of refusing them:
    /// for inspecting a run that diverged, say.
    pub fn allowing_non_finite(self) -> Self {
        LoadOptions {
            allow_non_finite: true,
            ..self
        }
    }
}
