//! The sizes and memory figures of a network as inherent consts, computed from the layers'
//! shapes (the tests compare them with `size_of` of the real types).

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;
use crate::ir::Layer;
use crate::shape::n;

impl Gen<'_> {
    /// Sizes as inherent consts, usable in types: `SVector<f32, { Mnist::<f32>::INPUT }>`, and
    /// the memory figures, computed from the widths (the tests compare them with `size_of`).
    pub(super) fn inherent(&self) -> TokenStream {
        let (k, name, net) = (self.k, &self.net.name, self.net);
        let (i, o) = (n(net.input_width()), n(net.output_width()));
        let params = n(net.layers.iter().map(Layer::param_count).sum());
        let (largest, inference) = (n(net.largest_width()), n(net.inference_width()));
        let tape = net.tape_width();
        let tape_scalars = n(tape);
        let spare = n(net.tape_spare());
        let scratch = net.scratch_width();
        let scratch_scalars = n(scratch);
        let (scratch_fixed, tape_fixed) = (n(net.scratch_fixed()), n(net.tape_fixed()));
        let (per, samples) = if net.depth_first() {
            (
                quote!(1),
                "of the one sample inference works on at a time, whatever `batch`",
            )
        } else {
            (quote!(batch), "per sample")
        };
        let scratch_doc = format!(
            "The bytes of [`{name}Scratch<T, B>`]({name}Scratch) for `batch` samples: {scratch} \
             scalars {samples} (the output of every layer that computes at inference but the \
             last, and each such layer's own scratch; Flatten and Dropout copy nothing then), \
             and {} more whatever the batch (a convolution's transformed kernel).",
            net.scratch_fixed()
        );
        let tape_doc = format!(
            "The bytes of [`{name}Tape<T, B>`]({name}Tape) for `batch` samples: {tape} scalars \
             per sample (each dense layer's pre-activation and each dropout's mask, and for every \
             training layer but the last its output and output gradient), and {} more whatever \
             the batch (a convolution's scratch, and for a network that infers one sample at \
             a time its scratch of one sample, for inference in the tape), and with the \
             `parallel` feature {spares} more (each convolution's spare kernel and bias \
             gradient).",
            net.tape_fixed(),
            spares = net.tape_spare()
        );
        quote! {
            impl<T: #k::Float> #name<T> {
                /// Features per input sample (the input shape, flattened row-major).
                pub const INPUT: usize = #i;
                /// Features per output sample.
                pub const OUTPUT: usize = #o;
                /// Trainable parameters.
                pub const PARAMS: usize = #params;
                /// The bytes of the parameters, `PARAMS · size_of::<T>()`: a weight file's data,
                /// the flash compiled-in weights take, and the size of the gradient.
                pub const PARAM_BYTES: usize = #params * ::core::mem::size_of::<T>();
                /// The bytes of the widest activation of one sample, the input included.
                pub const ACTIVATION_BYTES: usize = #largest * ::core::mem::size_of::<T>();
                /// The bytes one sample's inference holds at once: the input, the output and
                /// the scratch, `scratch_bytes(1)`, which holds the intermediate activations.
                pub const INFERENCE_BYTES: usize = #inference * ::core::mem::size_of::<T>();

                #[doc = #scratch_doc]
                pub const fn scratch_bytes(batch: usize) -> usize {
                    (#scratch_scalars * #per + #scratch_fixed) * ::core::mem::size_of::<T>()
                }

                #[doc = #tape_doc]
                pub const fn tape_bytes(batch: usize) -> usize {
                    let spares = #k::__private::SPARES * #spare;
                    (#tape_scalars * batch + #tape_fixed + spares) * ::core::mem::size_of::<T>()
                }

                /// The bytes a training step at batch size `batch` needs besides the network,
                /// the input batch and the targets: the tape, the output and its gradient
                /// (`2 · OUTPUT · batch` scalars), the parameter gradient (`PARAM_BYTES`) and
                /// the optimizer's state (`STATE_SLOTS · PARAM_BYTES + STATE_EXTRA_BYTES`).
                /// A [`Trainer`](#k::Trainer) is this plus the optimizer's hyperparameters and
                /// its dropout switch, up to padding.
                pub const fn training_bytes<Opt: #k::optim::Optimizer<T>>(batch: usize) -> usize {
                    let scalar = ::core::mem::size_of::<T>();
                    Self::tape_bytes(batch)
                        + 2 * #o * batch * scalar
                        + (1 + Opt::STATE_SLOTS) * Self::PARAM_BYTES
                        + Opt::STATE_EXTRA_BYTES
                }
            }
        }
    }
}
