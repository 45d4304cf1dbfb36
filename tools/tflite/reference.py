"""The int8 file's arithmetic in numpy, to prove the file holds what TFLite computes with.

A forward pass from liandan's int8 file alone (INT8.md), written from TFLite's reference
integer kernels rather than run through them. Per output channel o, with the accumulator
`acc[o] = bias[o] + sum_k (x[k] - zp_in) w[k][o]` and `s[o] = double(s_in) * double(s_w[o]) /
double(s_out)` (the order TFLite's `PopulateConvolutionQuantizationParams` uses):

- CONV_2D (reference_integer_ops::ConvPerChannel), fixed point:
  `y[o] = zp_out + MultiplyByQuantizedMultiplier(acc[o], QuantizeMultiplier(s[o]))`, the
  multiplier's double rounding (SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT);
- FULLY_CONNECTED (reference_integer_ops::FullyConnectedPerChannel, the overload the
  interpreter's reference kernel calls, which takes the float scales): in double precision,
  `y[o] = zp_out + (int32) std::round(double(acc[o]) * s[o])`, halves away from zero;

then `clamp(y, act_min, 127)` with act_min = max(-128, zp_out) after ReLU, else -128.
Max-pooling takes the largest int8 of each window, flatten reorders nothing. The softmax is not
redone here (its outputs are the expected file's `outputs`).

The sums are exact in float64 (|x - zp| <= 255, |w| <= 127, K <= 1600: below 2^26), so the
products go through BLAS and all 10,000 digits take seconds.
"""
import math

import graph
import numpy as np


def quantize_multiplier(m):
    """TFLite's QuantizeMultiplier: (q31 multiplier, shift) with m = q * 2^(shift - 31)."""
    if m == 0:
        return 0, 0
    q, shift = math.frexp(m)
    # std::round: halves away from zero; q * 2^31 is exact in a double.
    fixed = int(math.floor(q * (1 << 31) + 0.5))
    if fixed == 1 << 31:
        fixed, shift = fixed // 2, shift + 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        return (1 << 31) - 1, 30
    return fixed, shift


def multiply(acc, multiplier, shift):
    """TFLite's MultiplyByQuantizedMultiplier (double rounding), per channel, on int64 arrays."""
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    a = acc * (np.int64(1) << left)
    if np.any(np.abs(a) >= 1 << 31):
        raise SystemExit("an accumulator overflows int32 before the multiplier")
    # SaturatingRoundingDoublingHighMul: (a*b + nudge) / 2^31, C's division truncating to zero.
    ab = a * multiplier
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    s = ab + nudge
    high = np.sign(s) * (np.abs(s) >> 31)
    # RoundingDivideByPOT(high, right).
    mask = (np.int64(1) << right) - 1
    remainder = high & mask
    threshold = (mask >> 1) + (high < 0)
    return (high >> right) + (remainder > threshold)


def round_half_away(v):
    """std::round on float64: halves away from zero (np.round rounds them to even)."""
    whole = np.trunc(v)
    return whole + np.sign(v) * (np.abs(v - whole) >= 0.5)


def requantize(acc, field, tensors, s_in, relu, fixed_point):
    """A layer's int8 output from its int64 accumulators (last axis: channels).

    `fixed_point`: CONV_2D's QuantizeMultiplier arithmetic; otherwise FULLY_CONNECTED's double.
    """
    s_w = tensors[f"{field}.kernel_scale"]
    s_out = float(tensors[f"{field}.output_scale"][0])
    zp_out = int(tensors[f"{field}.output_zero_point"][0])
    scales = [float(s_in) * float(w) / s_out for w in s_w]
    acc = acc + tensors[f"{field}.bias"].astype(np.int64)
    if fixed_point:
        pairs = [quantize_multiplier(s) for s in scales]
        multiplier = np.array([p[0] for p in pairs], np.int64)
        shift = np.array([p[1] for p in pairs], np.int64)
        y = zp_out + multiply(acc, multiplier, shift)
    else:
        y = zp_out + round_half_away(acc.astype(np.float64) * np.array(scales)).astype(np.int64)
    low = max(-128, zp_out) if relu else -128
    return np.clip(y, low, 127).astype(np.int8), s_out, zp_out


def accumulate(x, zp, kernel):
    """sum_k (x[..., k] - zp) kernel[k, o], exact, as int64."""
    acc = (x.astype(np.float64) - zp) @ kernel.astype(np.float64)
    return np.rint(acc).astype(np.int64)


def conv2d(x, zp, kernel):
    """A VALID, stride-1 convolution's accumulators; x [N, H, W, C], kernel [KH, KW, C, F]."""
    kh, kw, c, f = kernel.shape
    patches = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    patches = patches.transpose(0, 1, 2, 4, 5, 3)  # [N, H', W', KH, KW, C]
    rows = patches.reshape(patches.shape[:3] + (kh * kw * c,))
    return accumulate(rows, zp, kernel.reshape(-1, f))


def max_pool(x):
    """A 2x2, stride-2, VALID max-pooling of [N, H, W, C]."""
    n, h, w, c = x.shape
    x = x[:, : h // 2 * 2, : w // 2 * 2]
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def forward(tensors, architecture, q, dense_fixed_point=False):
    """Each layer's int8 output (a softmax Dense's logits) for the int8 inputs `q`, by field.

    `dense_fixed_point`: Dense layers with CONV_2D's fixed-point arithmetic (as TFLite Micro's
    FULLY_CONNECTED computes), not the interpreter's reference kernel's double precision.
    """
    x = q
    s, zp = float(tensors["input.scale"][0]), int(tensors["input.zero_point"][0])
    out = {}
    for field, kind, spec in graph.layers(architecture):
        relu = kind in ("Dense", "Conv2D") and graph.activation(spec) == "relu"
        if kind == "Dense":
            acc = accumulate(x, zp, tensors[f"{field}.kernel"])
            x, s, zp = requantize(acc, field, tensors, s, relu, dense_fixed_point)
        elif kind == "Conv2D":
            acc = conv2d(x, zp, tensors[f"{field}.kernel"])
            x, s, zp = requantize(acc, field, tensors, s, relu, True)
        elif kind == "MaxPooling2D":
            x = max_pool(x)
        elif kind == "Flatten":
            x = x.reshape(len(x), -1)
        out[field] = x
    return out
