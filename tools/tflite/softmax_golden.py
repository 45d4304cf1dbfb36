"""Golden values for liandan's int8 softmax (`liandan::quant::Softmax`), from TFLite itself.

For each case (a logits length n and an input range), a Keras model `Input(n) -> Softmax` is
converted to a full-integer TFLite model (int8 input and output, the input scale set by a
representative dataset spanning [-range, range]); the converted model is a lone int8 SOFTMAX op.
Its int8 rows are run through the LiteRT interpreter with the *reference* kernels
(`OpResolverType.BUILTIN_REF`), and the scale TFLite chose, the rows and TFLite's outputs are
written to `tests/fixtures/int8/softmax.safetensors`:

    case{k}.input_scale  F32 [1]     the SOFTMAX input's scale, as the model stores it
    case{k}.logits       I8  [rows, n]
    case{k}.softmax      I8  [rows, n]   reference kernel's output (scale 1/256, zero point -128)

Rows: edge rows (all equal at -128, 0 and 127; one max over -128; two tied maxima; -128/127
alternating; differences at diff_min and diff_min - 1, where the kernel's cut-off lies), then
random rows, half uniform over int8 and half clustered below their maximum so that the
differences span the exp's useful range for the case's scale, then up to 8 rows, found among
40,000 more random ones, on which the default (optimized) resolver's kernel differs from the
reference kernel: it agrees on almost every row, and these show which kernel a port matches.

It prints, per case, how many of the kept outputs the optimized kernel gets differently.

Run with the venv that has tensorflow and ai-edge-litert (see tools/tflite/README.md):
    python tools/tflite/softmax_golden.py [--out tests/fixtures/int8/softmax.safetensors]
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import ai_edge_litert  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

# (n, range): input scales from about 0.01 (range 1.275) to 0.5 (range 63.75).
RANGES = [1.275, 3.0, 8.0, 12.75, 32.0, 63.75]
LENGTHS = [(3, 160), (10, 160), (100, 48)]  # (n, random rows)
POOL_ROWS = 40_000  # random rows searched for ones where the optimized kernel differs
MAX_DISAGREEING = 8  # of those, how many each case keeps
SEED = 13


def convert(n, rng_range):
    """A lone int8 SOFTMAX over n logits whose input scale comes from [-range, range]."""
    inp = tf.keras.Input((n,))
    model = tf.keras.Model(inp, tf.keras.layers.Softmax()(inp))

    def representative():
        rng = np.random.default_rng(0)
        for _ in range(16):
            x = rng.uniform(-rng_range, rng_range, (1, n)).astype(np.float32)
            x[0, 0], x[0, -1] = rng_range, -rng_range
            yield [x]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def diff_min(scale):
    """TFLite's -CalculateInputRadius(5, left_shift) for beta = 1 (double rounding)."""
    real = min(float(np.float32(scale)) * (1 << 26), (1 << 31) - 1.0)
    _, shift = np.frexp(real)
    q = real / 2.0**shift
    if np.round(q * 2**31) == 2**31:  # QuantizeMultiplier's carry
        shift += 1
    return -((31 << 26) >> int(shift))


def edge_rows(n, scale):
    rows = [np.full(n, v) for v in (-128, 0, 127)]
    one = np.full(n, -128)
    one[n // 2] = 127
    rows.append(one)
    two = np.full(n, -100)
    two[0] = two[-1] = 50
    rows.append(two)
    rows.append(np.where(np.arange(n) % 2 == 0, -128, 127))
    d = diff_min(scale)
    for top in (127, 0):
        for gap in (d, d - 1, d + 1):
            row = np.full(n, top)
            row[1:] = max(top + gap, -128)
            rows.append(row)
    return [r.astype(np.int8) for r in rows]


def random_rows(rng, n, count, scale):
    uniform = rng.integers(-128, 128, (count // 2, n))
    top = rng.integers(-60, 128, (count - count // 2, 1))
    spread = max(1.0, 4.0 / scale)  # differences up to a few units of real logit
    clustered = np.clip(top - np.abs(rng.normal(0, spread, (count - count // 2, n))), -128, 127)
    return np.concatenate([uniform, np.round(clustered)]).astype(np.int8)


def run(model, rows, resolver):
    """The model's input scale and its outputs for `rows`, all rows in one invocation (the
    kernel loops over the rows one by one)."""
    interpreter = Interpreter(model_content=model, experimental_op_resolver_type=resolver)
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], list(rows.shape))
    interpreter.allocate_tensors()
    out = interpreter.get_output_details()[0]
    assert out["quantization"] == (1.0 / 256.0, -128), out["quantization"]
    interpreter.set_tensor(inp["index"], rows)
    interpreter.invoke()
    return inp["quantization"][0], interpreter.get_tensor(out["index"]).copy()


def disagreeing_rows(rng, model, n, scale):
    """Random rows on which the optimized kernel and the reference kernel differ (rare)."""
    pool = random_rows(rng, n, POOL_ROWS, scale)
    _, reference = run(model, pool, OpResolverType.BUILTIN_REF)
    _, optimized = run(model, pool, OpResolverType.BUILTIN)
    differ = np.flatnonzero((reference != optimized).any(axis=1))
    return list(pool[differ[:MAX_DISAGREEING]])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="tests/fixtures/int8/softmax.safetensors")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    tensors = {}
    k = 0
    for n, count in LENGTHS:
        for rng_range in RANGES:
            model = convert(n, rng_range)
            ops = [op["op_name"] for op in Interpreter(model_content=model)._get_ops_details()]
            assert ops == ["SOFTMAX"], ops
            scale = Interpreter(model_content=model).get_input_details()[0]["quantization"][0]
            rows = np.stack(
                edge_rows(n, scale)
                + list(random_rows(rng, n, count, scale))
                + disagreeing_rows(rng, model, n, scale)
            )
            scale, reference = run(model, rows, OpResolverType.BUILTIN_REF)
            _, optimized = run(model, rows, OpResolverType.BUILTIN)
            differ = int((reference != optimized).sum())
            print(
                f"case{k}: n={n} scale={scale:.9g} diff_min={diff_min(scale)} rows={len(rows)} "
                f"optimized differs in {differ} of {reference.size} outputs "
                f"(max |diff| {int(np.abs(reference.astype(int) - optimized).max())})"
            )
            tensors[f"case{k}.input_scale"] = np.array([scale], np.float32)
            tensors[f"case{k}.logits"] = rows
            tensors[f"case{k}.softmax"] = reference
            k += 1
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    metadata = {
        "source": "tools/tflite/softmax_golden.py",
        "tensorflow": tf.__version__,
        "ai_edge_litert": getattr(ai_edge_litert, "__version__", "unknown"),
        "resolver": "BUILTIN_REF",
    }
    save_file(tensors, args.out, metadata=metadata)
    print(f"{args.out}: {k} cases, {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
