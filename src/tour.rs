#![doc = include_str!("../docs/tour/00-index.md")]
//!
//! The chapters are Markdown files in `docs/tour/`, included here so that `cargo test --doc`
//! runs every snippet; the modules themselves are empty.

/// The text of a chapter file: `chapter!("05-model.md")`.
macro_rules! chapter {
    ($file:literal) => {
        include_str!(concat!("../docs/tour/", $file))
    };
}

#[doc = chapter!("01-sample.md")]
pub mod sample {}

#[doc = chapter!("02-label.md")]
pub mod label {}

#[doc = chapter!("03-dataset.md")]
pub mod dataset {}

#[doc = chapter!("04-splits.md")]
pub mod splits {}

#[doc = chapter!("05-model.md")]
pub mod model {}

#[doc = chapter!("06-prediction.md")]
pub mod prediction {}

#[doc = chapter!("07-loss.md")]
pub mod loss {}

#[doc = chapter!("08-forward.md")]
pub mod forward {}

#[doc = chapter!("09-backward.md")]
pub mod backward {}

#[doc = chapter!("10-learning-rate.md")]
pub mod learning_rate {}

#[doc = chapter!("11-batch-and-epoch.md")]
pub mod batch_and_epoch {}

#[doc = chapter!("12-activations.md")]
pub mod activations {}

#[doc = chapter!("13-optimizer.md")]
pub mod optimizer {}

#[doc = chapter!("14-convergence.md")]
pub mod convergence {}

#[doc = chapter!("15-evaluation.md")]
pub mod evaluation {}

#[doc = chapter!("16-inference.md")]
pub mod inference {}

#[doc = chapter!("17-deployment.md")]
pub mod deployment {}

#[doc = chapter!("18-generated.md")]
pub mod generated {
    crate::network! {
        /// The seed's MNIST classifier, declared here so that these docs show what `network!`
        /// generates: open a field to see its layer, and the `Forward`, `Train` and `Network`
        /// implementations below.
        pub struct Mnist {
            input: [28, 28],
            Flatten,
            Dense<128, Relu>,
            Dropout<0.2>,
            Dense<10, Softmax>,
        }
    }
}

#[doc = chapter!("21-quantisation.md")]
pub mod quantisation {}

#[doc = chapter!("20-convolution.md")]
pub mod convolution {}

/// One compile-fail case of `tests/ui/`: a heading, the explanation, the source as written and
/// the compiler's output, each read from the files the `ui` test compiles and compares.
macro_rules! mistake {
    ($case:literal, $explanation:literal) => {
        concat!(
            "### `",
            $case,
            "`\n\n",
            $explanation,
            "\n\n```text\n",
            include_str!(concat!("../tests/ui/", $case, ".rs")),
            "```\n\n```text\n",
            include_str!(concat!("../tests/ui/", $case, ".stderr")),
            "```\n\n"
        )
    };
}

/// The shapes chapter: its introduction, then every compile-fail case, grouped.
macro_rules! shapes_chapter {
    () => {
        concat!(
            chapter!("19-shapes.md"),
            "## Sizes that do not fit\n\n",
            mistake!(
                "stated-input-mismatch",
                "`Dense<784 -> 10>` states that the layer expects 784 inputs. The layer before \
                 outputs 128 (dropout keeps the width of the `Dense<128>` before it), so the \
                 statement is wrong: write `Dense<10, Softmax>` and let the macro fill in 128."
            ),
            mistake!(
                "dense-needs-flat-input",
                "A `Dense` layer reads a flat vector of features, but the input is a 28×28 \
                 image. `Flatten` turns it into 784 features, row by row."
            ),
            mistake!(
                "output-mismatch",
                "`output: [12]` is a check you write at the end: the network must give 12 \
                 outputs. Its last layer gives 10, so either the check or the layer is wrong."
            ),
            mistake!(
                "wrong-input-size",
                "The network reads 28×28 images (`Hw<28, 28>`), so `predict` takes a sample of \
                 that shape. An image of 28×27 is another type, and the compiler says which \
                 size it expected (`28`) and which it found (`27`)."
            ),
            mistake!(
                "dataset-width-mismatch",
                "A `Model` of the network of 28×28 images reads datasets of that shape; these \
                 samples are 64 flat features. `fit`, `evaluate`, `predict` and \
                 `confusion_matrix` all say so in these words, naming the network and both \
                 shapes."
            ),
            mistake!(
                "hand-written-chain-mismatch",
                "Without the macro, `Chain::new` joins two layers and requires the second to \
                 take the shape the first gives. The first line of the error says it in those \
                 terms: this dense layer does not take inputs of shape `Flat<128>` (its type \
                 says it takes 127)."
            ),
            mistake!(
                "hand-written-chain-used-as-layer",
                "The same chain built as a struct literal skips `Chain::new`'s check, so the \
                 mistake shows where the chain is used as a layer, in the same words."
            ),
            mistake!(
                "hand-written-image-mismatch",
                "`Flatten` turns 26×26 images of 32 channels into 26 · 26 · 32 = 21632 \
                 features, but the dense layer after it takes 5408 (13 · 13 · 32, the size after \
                 a pooling layer that is not there). `Chain::new` names both shapes."
            ),
            mistake!(
                "flatten-wrong-size",
                "Written by hand, `Flatten` states its output width, and the width must be the \
                 product of the input's dimensions; the error does the multiplication. \
                 (`network!` fills the width in itself.)"
            ),
            "## Images that do not fit\n\n\
             A convolution or a pooling window slides over an image `[height, width, \
             channels]`; the macro computes each layer's output size, `⌊(input − window) / \
             stride⌋ + 1` with `Valid` padding and `⌈input / stride⌉` with `Same`, and says \
             where a window no longer fits.\n\n",
            mistake!(
                "conv-kernel-larger-than-input",
                "Each convolution without padding shrinks the image by its kernel less one, and \
                 each pooling halves it: 20 → 18 → 9 → 8 → 4. A 5×5 kernel does not fit in 4×4. \
                 Padding (`padding = Same`) or a smaller kernel keeps it inside."
            ),
            mistake!(
                "conv-zero-sizes",
                "Zero filters, a kernel side of zero, a stride of zero and a pool of zero: each \
                 is a size that must be at least 1, and all four are reported at once."
            ),
            mistake!(
                "dense-after-image",
                "A dense layer reads flat features; after the convolution and the pooling the \
                 sample is still a 13×13 image of 32 channels. `Flatten` makes it 5408 \
                 features."
            ),
            mistake!(
                "conv-after-flat",
                "`Flatten` has already turned the image into 784 features, and a convolution \
                 needs the rows, columns and channels back. Convolve first, flatten last."
            ),
            mistake!(
                "conv-needs-channels",
                "A convolution's kernel spans the channels too, so the image needs a channel \
                 axis even when there is one: MNIST's grey digits are `[28, 28, 1]`, as in \
                 Keras."
            ),
            mistake!(
                "conv-stated-channels",
                "`Conv2D<3 -> 32, 3x3>` states that the layer reads 3 channels (colour); the \
                 image has 1. Drop the statement, or fix the input."
            ),
            mistake!(
                "conv-unknown-keyword",
                "Keras' keyword names: `strides` (not `stride`), and `padding` is `Valid` or \
                 `Same`. Both mistakes are reported together."
            ),
            mistake!(
                "hand-written-conv-chain-mismatch",
                "Written by hand, every size is in the types: the convolution gives 26×26×32 \
                 (`Hwc<26, 26, 32>`), and a pooling layer written for 28×28 images does not \
                 take it."
            ),
            mistake!(
                "zero-width",
                "A layer of zero units, or an input with a zero dimension, has nothing to \
                 compute; every size must be at least 1."
            ),
            mistake!(
                "softmax-over-one-unit",
                "A softmax shares 1 among its units, so over a single unit it outputs 1 \
                 whatever the input, and nothing can be learnt from it. One yes/no output is \
                 a sigmoid unit (trained with binary cross-entropy); classes take a softmax over \
                 one unit each. A separate `Activation<Softmax>` after one output is the same \
                 mistake."
            ),
            mistake!(
                "empty-input",
                "`input: []` gives no shape at all: a sample must have at least one feature."
            ),
            mistake!(
                "input-rank",
                "A sample has at most three dimensions: height, width and channels."
            ),
            mistake!(
                "input-too-large",
                "Every size is a `usize`, in the types and in the counts of parameters and \
                 bytes. One sample of this input has 10^22 values, more than a `usize` holds \
                 on a 64-bit machine, so the macro refuses it before computing anything with it."
            ),
            "## Other mistakes in a declaration\n\n",
            mistake!(
                "missing-input",
                "Without `input`, the macro cannot know the first layer's input size, nor any \
                 size after it: `input` comes first."
            ),
            mistake!(
                "no-layers",
                "A network needs at least one layer to compute anything."
            ),
            mistake!(
                "dropout-rate",
                "A dropout rate is the share of units switched off in each training step: at \
                 least 0 and below 1 (a rate of 1 would switch off every unit)."
            ),
            mistake!(
                "unknown-activation",
                "A misspelt activation; the message lists the ones that exist."
            ),
            mistake!(
                "unknown-layer",
                "A layer liandan does not have; the message lists the layers it has."
            ),
            mistake!(
                "misspelt-layer",
                "Layer names are spelt as Keras and liandan's types spell them: `Conv2D`, not \
                 `Conv2d` (PyTorch's spelling)."
            ),
            mistake!(
                "unknown-key",
                "The key is `input`, not `inputs`. The second error follows from the first: \
                 with the key not understood, the network has no input."
            ),
            "## Weight files that do not fit the declaration\n\n\
             `weights: \"file.safetensors\"` compiles trained weights into the program. The \
             file is read while compiling, so a file that does not fit the network is a \
             compile error too, naming the file, the tensor and both shapes.\n\n",
            mistake!(
                "weights-shape-mismatch",
                "The file's first kernel is 4×5 (four inputs, five units), but the layer \
                 declared here has three units, so it needs 4×3: the file was trained for \
                 another network."
            ),
            mistake!(
                "weights-missing-tensor",
                "Every parameter must come from the file; this one lacks the last bias."
            ),
            mistake!(
                "weights-extra-tensor",
                "A tensor the network has no place for: the file holds a third layer, so it \
                 belongs to a deeper network."
            ),
            mistake!(
                "weights-architecture",
                "The file records the network it was saved from. Here the layers match, but \
                 the name differs, and liandan refuses rather than guess."
            ),
            mistake!(
                "weights-element-type",
                "Half-precision (`F16`) numbers: compiled-in weights are `f32` or `f64`."
            ),
            mistake!(
                "weights-buffer-element-type",
                "A layer's non-trainable tensors keep their own element type: `Normalization` \
                 counts its samples in an `i64`, and this file holds the count as a float."
            ),
            mistake!(
                "weights-missing-file",
                "The path is relative to the crate's `Cargo.toml`, and nothing is there."
            ),
            mistake!(
                "weights-not-safetensors",
                "The file exists but is not a safetensors file."
            ),
            mistake!("weights-path-key", "The key is `weights`, not `weight`."),
            mistake!(
                "weights-shape-key",
                "A weight file given where the input shape belongs: `input` must be a list of \
                 sizes, so the network has no input."
            ),
            mistake!("weights-twice", "One network, one weight file."),
            "## int8 files that do not fit the declaration\n\n\
             A file whose `liandan.format` is `int8` (what `Calibration::save` writes, see \
             [the quantisation chapter](crate::tour::quantisation)) makes the declaration the \
             integer network. Every tensor, scale and zero point is checked when the crate \
             compiles, so a file the integer arithmetic cannot run is a compile error.\n\n",
            mistake!(
                "weights-int8-shape-mismatch",
                "The file's first kernel has 5 outputs; the declaration's `Dense<3>` has 3."
            ),
            mistake!(
                "weights-int8-dtype-mismatch",
                "An int8 bias is an `i32` at scale `input_scale · kernel_scale`, not a float: \
                 the file is not what calibration writes."
            ),
            mistake!(
                "weights-int8-missing-tensor",
                "The second layer's bias is not in the file."
            ),
            mistake!(
                "weights-int8-extra-tensor",
                "The file holds a third layer the declaration does not have."
            ),
            mistake!(
                "weights-int8-kernel-minus-128",
                "TFLite's kernels are symmetric, `[-127, 127]` with zero point 0, so that \
                 negating a weight never overflows; -128 is out of the scheme."
            ),
            mistake!(
                "weights-int8-bad-scale",
                "A scale of 0 would map every real number to the zero point, and the \
                 requantisation multiplier divides by it."
            ),
            mistake!(
                "weights-int8-bad-zero-point",
                "A zero point is an int8 value: the real 0 must be representable."
            ),
            mistake!(
                "weights-int8-no-int8-form",
                "Integer inference folds ReLU into the output range and has TFLite's integer \
                 softmax; `Tanh` has no int8 form here, so the network cannot be integer."
            ),
            "## Several mistakes at once\n\n",
            mistake!(
                "all-errors-together",
                "Independent mistakes are all reported in one compilation. After the size \
                 mismatch in layer 2, the sizes that follow are treated as unknown, so one \
                 mistake gives one message and layer 3 is not blamed for it."
            ),
        )
    };
}

#[doc = shapes_chapter!()]
pub mod shapes {}

#[cfg(test)]
mod tests {
    use std::string::String;
    use std::vec::Vec;

    /// Every compile-fail case appears in the shapes chapter, so a new case cannot be left out
    /// of the gallery.
    #[test]
    fn the_shapes_chapter_shows_every_compile_fail_case() {
        let chapter = shapes_chapter!();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui");
        let cases: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter_map(|name| name.strip_suffix(".rs").map(String::from))
            .collect();
        assert!(cases.len() >= 15, "{cases:?}");
        for case in cases {
            let heading = std::format!("### `{case}`");
            assert!(
                chapter.contains(&heading),
                "{case} is missing from tour::shapes"
            );
        }
    }

    /// The snapshots are included verbatim: the first line of a message is in the chapter.
    #[test]
    fn the_shapes_chapter_quotes_the_compiler() {
        let chapter = shapes_chapter!();
        assert!(chapter.contains(
            "error: layer 4 `Dense<784 -> 10, Softmax>` expects 784 inputs, but layer 3 \
             `Dropout<0.2>` outputs 128\n"
        ));
        assert!(chapter.contains("expected `28`, found `27`"));
        assert!(chapter.contains("does not take inputs of shape `Flat<128>`"));
    }
}
