//! Padding, and the geometry of a window sliding over an image: what [`Conv2D`] and the pooling
//! layers share.
//!
//! Along each axis a window of `size` values moves by `stride` over `input` values. With
//! [`Valid`] padding it stays inside: `output = ⌊(input − size) / stride⌋ + 1` positions. With
//! [`Same`] padding, as TensorFlow and Keras pad, `output = ⌈input / stride⌉`, and the input is
//! padded with `total = max((output − 1)·stride + size − input, 0)` values, `⌊total / 2⌋` before
//! and the rest after (one more after than before when `total` is odd). Window `o` covers the
//! input positions `o·stride − before + t` for `t` in `0..size`; those outside the input are the
//! padding.
//!
//! [`Conv2D`]: crate::layers::Conv2D

use crate::shape::Text;

/// How a sliding window treats the image's border: [`Valid`] or [`Same`], as Keras' `padding`.
pub trait Padding: Copy + Default + core::fmt::Debug + Send + Sync + 'static {
    /// Keras' name for it: `"valid"` or `"same"`.
    const NAME: &'static str;
    /// Whether the input is padded so that `output = ⌈input / stride⌉`.
    const SAME: bool;
}

/// No padding: every window lies inside the image (Keras' `padding="valid"`, the default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Valid;

impl Padding for Valid {
    const NAME: &'static str = "valid";
    const SAME: bool = false;
}

/// Zero padding so that `output = ⌈input / stride⌉`, split as TensorFlow does (Keras'
/// `padding="same"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Same;

impl Padding for Same {
    const NAME: &'static str = "same";
    const SAME: bool = true;
}

/// The generics of a pooling layer (`MaxPooling2D`, `AveragePooling2D`: `T, H, W, C, PH, PW,
/// OH, OW, P, SH, SW`) that each of its impls repeats: `pooling!(impl Float; Forward for ..)`,
/// `pooling!(zeroed MaxPooling2D)` (it is a `PhantomData`), `pooling!(no_params MaxPooling2D)`.
macro_rules! pooling {
    (impl $($bound:path)? ; $($rest:tt)*) => {
        impl<
                T $(: $bound)?,
                const H: usize,
                const W: usize,
                const C: usize,
                const PH: usize,
                const PW: usize,
                const OH: usize,
                const OW: usize,
                P: $crate::layers::Padding,
                const SH: usize,
                const SW: usize,
            > $($rest)*
    };
    (zeroed $layer:ident) => {
        // Safety: a PhantomData has no bytes.
        unsafe impl<
                T,
                const H: usize,
                const W: usize,
                const C: usize,
                const PH: usize,
                const PW: usize,
                const OH: usize,
                const OW: usize,
                P,
                const SH: usize,
                const SW: usize,
            > $crate::Zeroed for $layer<T, H, W, C, PH, PW, OH, OW, P, SH, SW>
        {
        }
    };
    (no_params $layer:ident) => {
        $crate::layer::no_params!([
            T,
            const H: usize,
            const W: usize,
            const C: usize,
            const PH: usize,
            const PW: usize,
            const OH: usize,
            const OW: usize,
            P,
            const SH: usize,
            const SW: usize
        ] $layer<T, H, W, C, PH, PW, OH, OW, P, SH, SW>);
    };
}
pub(crate) use pooling;

/// One axis of a sliding window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Axis {
    /// Input positions.
    pub input: usize,
    /// Window positions: the output's length.
    pub output: usize,
    /// The window's length.
    pub size: usize,
    /// How far the window moves per output position.
    pub stride: usize,
    /// Padding positions before the input.
    pub before: usize,
}

impl Axis {
    /// The axis of a `size` window moving by `stride` over `input` positions; the output is
    /// 0 if a valid window does not fit, or if `size` or `stride` is 0.
    pub const fn new(input: usize, size: usize, stride: usize, same: bool) -> Axis {
        let output = match (size, stride, same) {
            (0, _, _) | (_, 0, _) => 0,
            (_, _, true) => input.div_ceil(stride),
            _ if input < size => 0,
            _ => (input - size) / stride + 1,
        };
        let before = match (same, output) {
            (true, 1..) => ((output - 1) * stride + size).saturating_sub(input) / 2,
            _ => 0,
        };
        Axis {
            input,
            output,
            size,
            stride,
            before,
        }
    }

    /// The window's taps at output position `o` that fall inside the input, `t0..t1`; tap `t`
    /// reads input position `o·stride + t − before`.
    #[inline]
    pub fn taps(&self, o: usize) -> (usize, usize) {
        let start = o * self.stride;
        let t0 = self.before.saturating_sub(start);
        let t1 = (self.input + self.before)
            .saturating_sub(start)
            .min(self.size);
        (t0, t1.max(t0))
    }

    /// The input position of tap `t` at output position `o`, which [`taps`](Axis::taps) says
    /// is inside.
    #[inline]
    pub fn position(&self, o: usize, t: usize) -> usize {
        o * self.stride + t - self.before
    }
}

/// A window over the rows and columns of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    /// Along the rows (the image's height).
    pub rows: Axis,
    /// Along the columns (its width).
    pub cols: Axis,
}

impl Window {
    /// The window of `[size_h, size_w]` moving by `[stride_h, stride_w]` over an `[h, w]`
    /// image.
    pub const fn new(input: [usize; 2], size: [usize; 2], stride: [usize; 2], same: bool) -> Self {
        Window {
            rows: Axis::new(input[0], size[0], stride[0], same),
            cols: Axis::new(input[1], size[1], stride[1], same),
        }
    }

    /// Output positions: rows × columns.
    pub const fn outputs(&self) -> usize {
        self.rows.output * self.cols.output
    }

    /// The rule of a layer with this window, checked where the layer is used: the sizes are
    /// positive and the stated output is the window's, e.g. `` `Conv2D` of `[28, 28, 1]` with
    /// a 3×3 window, strides 1×1 and valid padding gives 26×26, not 25×26 ``.
    pub const fn check(&self, layer: &str, padding: &str, stated: [usize; 2]) {
        let (r, c) = (self.rows, self.cols);
        let text = Text::new().str("`").str(layer).str("` of ");
        let text = text.num(r.input).str("×").num(c.input);
        let text = text.str(" with a ").num(r.size).str("×").num(c.size);
        let text = text
            .str(" window, strides ")
            .num(r.stride)
            .str("×")
            .num(c.stride);
        let text = text.str(" and ").str(padding).str(" padding");
        if r.size == 0 || c.size == 0 || r.stride == 0 || c.stride == 0 {
            panic!(
                "{}",
                text.str(": a window and a stride are at least 1").as_str()
            );
        }
        if r.output == 0 || c.output == 0 {
            panic!(
                "{}",
                text.str(": the window is larger than the image").as_str()
            );
        }
        if r.output != stated[0] || c.output != stated[1] {
            let text = text.str(" gives ").num(r.output).str("×").num(c.output);
            let text = text.str(", not ").num(stated[0]).str("×").num(stated[1]);
            panic!("{}", text.as_str());
        }
    }
}

impl Window {
    /// The pixels of the input that window `pixel` covers (the padding left out), as indices
    /// `row·W + col` in row-major window order: the order in which a max-pool's ties are
    /// broken.
    #[inline]
    pub fn inputs(&self, pixel: usize, mut f: impl FnMut(usize)) {
        let (rows, cols) = (self.rows, self.cols);
        let (oh, ow) = (pixel / cols.output, pixel % cols.output);
        let ((r0, r1), (c0, c1)) = (rows.taps(oh), cols.taps(ow));
        for t in r0..r1 {
            let row = rows.position(oh, t) * cols.input;
            for u in c0..c1 {
                f(row + cols.position(ow, u));
            }
        }
    }

    /// How many input pixels window `pixel` covers: at least one for every window of a
    /// [`Valid`] or [`Same`] axis, since the padding before is less than the window.
    #[inline]
    pub fn count(&self, pixel: usize) -> usize {
        let (rows, cols) = (self.rows, self.cols);
        let ((r0, r1), (c0, c1)) = (
            rows.taps(pixel / cols.output),
            cols.taps(pixel % cols.output),
        );
        (r1 - r0) * (c1 - c0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_windows_stay_inside() {
        let a = Axis::new(28, 3, 1, false);
        assert_eq!((a.output, a.before), (26, 0));
        assert_eq!(Axis::new(13, 3, 1, false).output, 11);
        assert_eq!(Axis::new(26, 2, 2, false).output, 13);
        assert_eq!(Axis::new(11, 2, 2, false).output, 5); // the last row is dropped
        assert_eq!(Axis::new(6, 3, 2, false).output, 2);
        assert_eq!(Axis::new(2, 3, 1, false).output, 0);
        assert_eq!(a.taps(0), (0, 3));
        assert_eq!(a.taps(25), (0, 3));
    }

    #[test]
    fn same_padding_splits_as_tensorflow() {
        // out = ceil(in / stride); total = (out - 1)·stride + size - in; before = total / 2.
        let a = Axis::new(5, 3, 1, true);
        assert_eq!((a.output, a.before), (5, 1));
        assert_eq!((a.taps(0), a.taps(4)), ((1, 3), (0, 2)));
        let even = Axis::new(4, 2, 1, true); // total 1: nothing before, one after
        assert_eq!((even.output, even.before), (4, 0));
        assert_eq!(even.taps(3), (0, 1));
        let strided = Axis::new(5, 3, 2, true); // out 3, total 2
        assert_eq!((strided.output, strided.before), (3, 1));
        assert_eq!(strided.taps(2), (0, 2));
        assert_eq!(strided.position(2, 1), 4);
        let wide = Axis::new(6, 3, 2, true); // out 3, total 1: one after only
        assert_eq!((wide.output, wide.before), (3, 0));
        assert_eq!(wide.taps(2), (0, 2));
        let stride_past = Axis::new(5, 1, 3, true); // out 2, total 0
        assert_eq!((stride_past.output, stride_past.before), (2, 0));
    }

    #[test]
    fn windows_list_their_inputs_in_row_major_order() {
        let w = Window::new([3, 4], [2, 2], [2, 2], true); // 2×2 windows, one padded column
        let mut seen = std::vec::Vec::new();
        w.inputs(0, |p| seen.push(p));
        assert_eq!(seen, [0, 1, 4, 5]);
        seen.clear();
        w.inputs(3, |p| seen.push(p)); // row 1, col 1: input rows 2 (and padding), cols 2–3
        assert_eq!(seen, [10, 11]);
        assert_eq!((w.count(0), w.count(3)), (4, 2));
    }

    #[test]
    fn a_window_larger_than_its_padding_has_taps_on_both_sides_cut() {
        let a = Axis::new(2, 5, 1, true); // out 2, total 5: 2 before, 3 after
        assert_eq!((a.output, a.before), (2, 2));
        assert_eq!(a.taps(0), (2, 4));
        assert_eq!(a.taps(1), (1, 3));
    }
}
