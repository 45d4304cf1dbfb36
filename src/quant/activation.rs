//! What an int8 layer does after requantising: clamp to its activation's range, and for a
//! softmax head, the integer softmax over each sample's logits.

use crate::activation::{Identity, Relu, Softmax};

/// An activation an int8 layer can end with: folded into the output's clamp (identity, ReLU)
/// or computed on the int8 logits (softmax).
pub trait Int8Activation: crate::activation::Activation {
    /// Whether the requantised outputs are logits that a softmax turns into probabilities.
    const SOFTMAX: bool = false;

    /// The clamp of a requantised output whose zero point is `zero_point`: ReLU's floor is the
    /// integer that stands for 0, as TFLite's `CalculateActivationRangeQuantized` has it.
    fn range(zero_point: i32) -> (i8, i8);
}

impl Int8Activation for Identity {
    fn range(_: i32) -> (i8, i8) {
        (i8::MIN, i8::MAX)
    }
}

impl Int8Activation for Relu {
    fn range(zero_point: i32) -> (i8, i8) {
        (zero_point.clamp(-128, 127) as i8, i8::MAX)
    }
}

impl Int8Activation for Softmax {
    const SOFTMAX: bool = true;

    /// The logits are not clamped.
    fn range(_: i32) -> (i8, i8) {
        (i8::MIN, i8::MAX)
    }
}
