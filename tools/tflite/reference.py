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
Max-pooling takes the largest int8 of each window, flatten reorders nothing.

The softmax (`softmax`) is TFLite's reference int8 softmax (reference_ops::Softmax, beta 1,
gemmlowp fixed point), its parameters from the logits' scale as `PreprocessSoftmaxScaling` and
`CalculateInputRadius` compute them; int32 arithmetic is emulated on int64 arrays.

The sums are exact in float64 (|x - zp| <= 255, |w| <= 127, K <= 1600: below 2^26), so the
products go through BLAS and all 10,000 digits take seconds.
"""
import math

import graph
import numpy as np

I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


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


def high_mul(a, b):
    """gemmlowp's SaturatingRoundingDoublingHighMul: round(a·b / 2^31), saturating MIN·MIN."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    ab = a * b
    s = ab + np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    # C's division truncates towards zero.
    high = np.sign(s) * (np.abs(s) >> 31)
    return np.where((a == I32_MIN) & (b == I32_MIN), I32_MAX, high)


def divide_pot(x, exponent):
    """gemmlowp's RoundingDivideByPOT: x / 2^exponent, halves away from zero."""
    x, exponent = np.asarray(x, np.int64), np.asarray(exponent, np.int64)
    mask = (np.int64(1) << exponent) - 1
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + ((x & mask) > threshold)


def multiply_pot(x, exponent):
    """gemmlowp's SaturatingRoundingMultiplyByPOT for exponent > 0: x·2^exponent, saturated."""
    threshold = (1 << (31 - exponent)) - 1
    return np.where(x > threshold, I32_MAX, np.where(x < -threshold, I32_MIN, x << exponent))


def multiply(acc, multiplier, shift):
    """TFLite's MultiplyByQuantizedMultiplier (double rounding), per channel, on int64 arrays."""
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    a = acc * (np.int64(1) << left)
    if np.any(np.abs(a) >= 1 << 31):
        raise SystemExit("an accumulator overflows int32 before the multiplier")
    return divide_pot(high_mul(a, multiplier), right)


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


def _exp_quarter(a):
    """gemmlowp's exp_on_interval_between_negative_one_quarter_and_0_excl, Q0.31 raw values.

    The Taylor series around -1/8: with x = a + 1/8,
    exp(a) = e^(-1/8) (1 + x + x^2/2 + x^3/6 + x^4/24).
    """
    e_eighth, third = 1895147668, 715827883  # e^(-1/8), 1/3 in Q0.31
    x = a + (1 << 28)
    x2 = high_mul(x, x)
    x3 = high_mul(x2, x)
    x4 = high_mul(x2, x2)
    rest = divide_pot(high_mul(divide_pot(x4, 2) + x3, third) + x2, 1)
    return e_eighth + high_mul(e_eighth, x + rest)


# gemmlowp's exp barrel shifter: exp(-2^k) in Q0.31 for k = -2 ..= 4.
EXP_STEPS = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
             (2, 39332535), (3, 720401), (4, 242))


def exp_on_negative_values(a):
    """gemmlowp's exp_on_negative_values: Q5.26 raw a <= 0 to exp(a) as Q0.31 raw.

    a = (a mod 1/4 - 1/4) - r: the series on the first part, then one factor exp(-2^k) for
    each bit k of the remainder r.
    """
    quarter = 1 << 24
    low = (a & (quarter - 1)) - quarter
    result = _exp_quarter(multiply_pot(low, 5))
    remainder = low - a
    for k, factor in EXP_STEPS:
        result = np.where(remainder & (1 << (26 + k)), high_mul(result, factor), result)
    return np.where(a == 0, I32_MAX, result)


def one_over_one_plus_x(a):
    """gemmlowp's one_over_one_plus_x_for_x_in_0_1: Q0.31 raw a to 1/(1 + a) as Q0.31 raw.

    Three Newton-Raphson steps on the half denominator d = (1 + a)/2 in Q2.29, from
    48/17 - 32/17 d.
    """
    s = a + I32_MAX
    s = s + np.where(s >= 0, 1, -1)
    half = np.sign(s) * (np.abs(s) >> 1)  # RoundingHalfSum(a, One), truncating division
    x = 1515870810 + high_mul(half, -1010580540)  # 48/17, -32/17 in Q2.29
    for _ in range(3):
        x = x + multiply_pot(high_mul(x, (1 << 29) - high_mul(half, x)), 2)
    return multiply_pot(x, 1)


def softmax(logits, scale):
    """TFLite's reference int8 softmax of int8 `logits` [N, depth] of `scale`, beta 1.

    Output scale 1/256, zero point -128. Per row: d = logits - max; entries with d below
    -CalculateInputRadius(5, shift) give -128; the others d·2^shift·multiplier
    (PreprocessSoftmaxScaling: QuantizeMultiplier(min(scale·2^26, 2^31 - 1))) as Q5.26, exp in
    Q0.31, the sum of exps in Q12.19, its reciprocal by GetReciprocal, and
    out = RoundingDivideByPOT(reciprocal·exp, bits over unit + 23) - 128, clamped.
    """
    multiplier, shift = quantize_multiplier(min(float(scale) * (1 << 26), (1 << 31) - 1.0))
    if shift < 0:
        raise SystemExit("softmax: the input multiplier is below one")
    diff_min = -math.floor(31.0 * (1 << 26) / (1 << shift))
    diff = logits.astype(np.int64) - logits.max(axis=1, keepdims=True)
    kept = diff >= diff_min
    exp = exp_on_negative_values(high_mul(np.where(kept, diff, 0) << shift, multiplier))
    total = np.where(kept, divide_pot(exp, 12), 0).sum(axis=1)
    # GetReciprocal: headroom = leading zeros of the 32-bit sum (positive: the max's exp is 1).
    headroom = 32 - np.frexp(total.astype(np.float64))[1].astype(np.int64)
    bits_over_unit = 12 - headroom
    shifted_minus_one = (total << headroom) - (1 << 31)
    reciprocal = one_over_one_plus_x(shifted_minus_one)
    out = divide_pot(high_mul(reciprocal[:, None], exp), (bits_over_unit + 23)[:, None]) - 128
    return np.where(kept, np.clip(out, -128, 127), -128).astype(np.int8)
