"""TFLite's full-integer conversion of liandan's two trained networks, and its reference outputs.

    bash tools/tflite/run.sh convert.py [mnist|convnet ...]

For each network (common.py: the seed MLP `mnist` and the convnet `convnet`, both from the
repository's f32 weight files):

1. builds it in Keras 3 and checks its float accuracy on the 10,000 bundled digits;
2. converts it with `tf.lite.TFLiteConverter.from_keras_model`, full-integer quantisation
   (`Optimize.DEFAULT`, the first 1,000 digits as the representative dataset,
   `TFLITE_BUILTINS_INT8`, int8 input and output), to target/tflite/<model>.int8.tflite (not
   committed);
3. runs it in the interpreter with TFLite's reference kernels (`OpResolverType.BUILTIN_REF`, one
   thread) on every digit, one at a time, the input quantised as liandan does (common.quantize);
4. runs it with the default kernels (XNNPACK) and with the optimised built-in kernels without
   XNNPACK, and prints how many digits' outputs agree bit for bit with the reference (printed
   only: nothing depends on it);
5. prints whether reference.py's numpy pass from the int8 file alone gives the reference's
   logits and outputs on every digit and every layer on the first digits (see
   `check_arithmetic`);
6. writes tests/fixtures/int8/<model>.tflite.safetensors: the int8 weights and quantisation
   parameters in liandan's int8 format (see `int8_file`), and
   tests/fixtures/int8/<model>.expected.safetensors: the reference outputs (see `expected_file`).

It stops, naming what differs, unless the graph is the network liandan describes (graph.py),
every kernel is symmetric int8 in [-127, 127] with one scale per output channel, every
dequantised kernel and bias is the f32 weight within half a step, max-pooling and flatten keep
their input's quantisation, and the softmax output is (1/256, -128).
"""
import sys
from importlib.metadata import version

import common
import graph
import reference
import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter, OpResolverType
from safetensors import safe_open

# Intermediate tensors kept for the first digits; the convnet's are larger (26x26x32 bytes
# after the first convolution), so it keeps fewer to keep the fixtures small.
DEBUG_DIGITS = {"mnist": 16, "convnet": 4}
SOFTMAX_OUTPUT = (np.float32(1 / 256), -128)
REFERENCE = (
    f"TFLite reference kernels (ai-edge-litert {version('ai-edge-litert')}, BUILTIN_REF), "
    f"model converted by tensorflow {tf.__version__}"
)


def convert(net, x):
    """The Keras model `net` as full-integer TFLite, calibrated on the first digits of `x`."""
    calibration = x[: common.CALIBRATION]
    converter = tf.lite.TFLiteConverter.from_keras_model(net)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([c[None]] for c in calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def interpreter(buf, resolver, preserve=False):
    """A one-thread interpreter of `buf` with the given op resolver, tensors allocated."""
    it = Interpreter(
        model_content=buf,
        experimental_op_resolver_type=resolver,
        num_threads=1,
        experimental_preserve_all_tensors=preserve,
    )
    it.allocate_tensors()
    return it


def quantisation(it, index):
    """A tensor's (scales float32 array, zero points int array, quantized dimension)."""
    q = it._get_tensor_details(index, 0)["quantization_parameters"]
    return q["scales"].astype(np.float32), q["zero_points"], q["quantized_dimension"]


def activation_params(it, index, what):
    """A per-tensor activation's (scale, zero point); stops if it is not per-tensor int8."""
    scales, zps, _ = quantisation(it, index)
    if len(scales) != 1 or len(zps) != 1 or it._get_tensor_details(index, 0)["dtype"] != np.int8:
        raise SystemExit(f"{what}: not a per-tensor int8 tensor ({scales}, {zps})")
    return scales[0], int(zps[0])


def check_close(what, dequantised, want, step):
    """Stops unless each dequantised value is within half a quantisation step of the f32 one."""
    err = np.abs(dequantised.astype(np.float64) - want) / step
    if err.max() > 0.5 + 1e-3:
        raise SystemExit(f"{what}: dequantised, {err.max():.3f} steps from the f32 weights")
    return err.max()


def weights(it, field, kind, op, f32, s_in, report):
    """The int8 file's tensors of one Dense or Conv2D layer, in Keras' axis order."""
    _, w_index, b_index = op["inputs"]
    w = it.get_tensor(w_index)
    bias = it.get_tensor(b_index)
    s_w, zp_w, dim = quantisation(it, w_index)
    out = w.shape[0]
    if w.dtype != np.int8 or bias.dtype != np.int32:
        raise SystemExit(f"{field}: kernel {w.dtype}, bias {bias.dtype}; expected int8, int32")
    if np.any(zp_w != 0) or w.min() < -127:
        raise SystemExit(f"{field}: kernel zero points {set(zp_w)} or values below -127")
    granularity = "per-channel"
    if len(s_w) == 1:
        granularity = "per-tensor, broadcast to every output channel"
        s_w = np.full(out, s_w[0], np.float32)
    elif len(s_w) != out or dim != 0:
        raise SystemExit(f"{field}: {len(s_w)} kernel scales on axis {dim}, expected {out} on 0")
    # FULLY_CONNECTED stores [out, in], CONV_2D [F, KH, KW, C]; Keras: [in, out], [KH, KW, C, F].
    kernel = w.T if kind == "Dense" else np.transpose(w, (1, 2, 3, 0))
    kernel = np.ascontiguousarray(kernel)
    want_kernel = f32[f"{field}.kernel"]
    if kernel.shape != want_kernel.shape:
        raise SystemExit(f"{field}: kernel {kernel.shape}, the f32 file has {want_kernel.shape}")
    kernel_err = check_close(f"{field}.kernel", kernel * s_w, want_kernel, s_w)
    s_b, zp_b, _ = quantisation(it, b_index)
    bias_scale = np.float32(s_in) * s_w
    if np.any(zp_b != 0) or not np.allclose(s_b, bias_scale, rtol=1e-6, atol=0):
        raise SystemExit(f"{field}: bias scales are not input scale x kernel scales")
    bias_err = check_close(f"{field}.bias", bias * s_b, f32[f"{field}.bias"], s_b)
    report.append(
        f"{field}: kernel {granularity}, {len(set(s_w.tolist()))} distinct scales in "
        f"[{s_w.min():.6g}, {s_w.max():.6g}]; TFLite {w.shape} -> {kernel.shape}; kernel within "
        f"{kernel_err:.3f} steps, bias within {bias_err:.3f} steps of the f32 weights"
    )
    return {f"{field}.kernel": kernel, f"{field}.bias": bias, f"{field}.kernel_scale": s_w}


def one(value, dtype):
    """A [1] tensor."""
    return np.array([value], dtype)


def int8_file(model, it, paired, report):
    """The tensors of liandan's int8 file (INT8.md) and the activation parameters per layer.

    `input.scale`, `input.zero_point`; per Dense / Conv2D `<field>.kernel` (i8, Keras order),
    `.bias` (i32), `.kernel_scale` (f32 [out]), `.output_scale`, `.output_zero_point` (the
    FULLY_CONNECTED's output, so a softmax Dense's logits).
    """
    with safe_open(str(common.weights_path(model)), "np") as f:
        f32 = {k: f.get_tensor(k) for k in f.keys()}
    inp = it.get_input_details()[0]["index"]
    if paired[0][2]["inputs"][0] != inp:
        raise SystemExit(f"{model}: the first layer does not read the graph's input")
    s_in, zp_in = activation_params(it, inp, "input")
    tensors = {"input.scale": one(s_in, np.float32), "input.zero_point": one(zp_in, np.int32)}
    report.append(f"input: scale {float(s_in)!r} (1/{1 / s_in:.6g}), zero point {zp_in}")
    for field, kind, op, softmax in paired:
        s_out, zp_out = activation_params(it, op["outputs"][0], field)
        if kind in ("Dense", "Conv2D"):
            tensors |= weights(it, field, kind, op, f32, s_in, report)
            tensors[f"{field}.output_scale"] = one(s_out, np.float32)
            tensors[f"{field}.output_zero_point"] = one(zp_out, np.int32)
        elif (s_out, zp_out) != (s_in, zp_in):
            raise SystemExit(f"{field}: {kind} output ({s_out}, {zp_out}), in ({s_in}, {zp_in})")
        report.append(
            f"{field} ({kind}, {op['op']}): output scale {float(s_out)!r}, zero point {zp_out}"
        )
        if softmax is not None:
            got = activation_params(it, softmax["outputs"][0], f"{field} softmax")
            if got != SOFTMAX_OUTPUT:
                raise SystemExit(f"{field}: softmax output {got}, expected (1/256, -128)")
            report.append(f"{field} softmax: output scale {float(got[0])!r}, zero point {got[1]}")
        s_in, zp_in = s_out, zp_out
    return tensors


def invoke(it, q):
    """The int8 outputs of `it` for each int8 input in `q`, one invoke per digit."""
    inp, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    outputs = []
    for sample in q:
        it.set_tensor(inp, sample[None])
        it.invoke()
        outputs.append(it.get_tensor(out)[0])
    return np.stack(outputs)


def layer_outputs(buf, q, paired, debug):
    """Each layer's int8 output (a softmax Dense's logits), reference kernels, and the outputs.

    Returns ({field: [digits, ...]} for the first `debug` digits, the last layer's logits for
    every digit, the outputs for every digit).
    """
    it = interpreter(buf, OpResolverType.BUILTIN_REF, preserve=True)
    inp, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    kept = {field: [] for field, *_ in paired}
    logits, outputs = [], []
    for i, sample in enumerate(q):
        it.set_tensor(inp, sample[None])
        it.invoke()
        for field, _, op, _ in paired[: len(paired) if i < debug else 0]:
            kept[field].append(it.get_tensor(op["outputs"][0])[0])
        logits.append(it.get_tensor(paired[-1][2]["outputs"][0])[0])
        outputs.append(it.get_tensor(out)[0])
    return {field: np.stack(v) for field, v in kept.items()}, np.stack(logits), np.stack(outputs)


def check_arithmetic(model, tensors, q, layers, logits, outputs):
    """Whether the numpy pass from the int8 file alone (reference.py) gives TFLite's tensors.

    Compares the logits on every digit, every layer on the debug digits and, through
    reference.softmax, the outputs on every digit. Also counts the digits whose logits change
    when the Dense layers requantize in fixed point (QuantizeMultiplier, as CONV_2D does)
    instead of the reference FULLY_CONNECTED's double precision.
    """
    lines = []
    for fixed in (False, True):
        ours = reference.forward(tensors, common.architecture(model), q, dense_fixed_point=fixed)
        last = list(ours)[-1]
        same = np.all(ours[last] == logits, axis=1)
        debug = len(next(iter(layers.values())))
        differ = [f for f, v in layers.items() if not np.array_equal(ours[f][:debug], v)]
        how = "fixed-point Dense" if fixed else "double-precision Dense"
        line = (
            f"numpy ({how}) from the int8 file gives BUILTIN_REF's logits on {same.sum()} of "
            f"{len(q)} digits; every layer of the first {debug} digits: "
            + ("bit for bit" if not differ else f"differs in {differ}")
        )
        probabilities = reference.softmax(ours[last], tensors[f"{last}.output_scale"][0])
        agree = np.all(probabilities == outputs, axis=1).sum()
        line += f"; its softmax gives BUILTIN_REF's outputs on {agree} of {len(q)} digits"
        lines.append(line)
    return lines


def expected_file(outputs, q, layers):
    """`outputs` I8 [N, 10], `input_sums` I64 [N]; `input`, `layer.<field>` of the first digits."""
    debug = len(next(iter(layers.values())))
    tensors = {
        "outputs": outputs,
        "input_sums": q.reshape(len(q), -1).astype(np.int64).sum(axis=1),
        "input": q[:debug],
    }
    return tensors | {f"layer.{field}": v for field, v in layers.items()}


def agreement(ref, other, labels):
    """How far other kernels' outputs are from the reference's, in words."""
    digits = np.all(ref == other, axis=1).sum()
    return (
        f"bit for bit with BUILTIN_REF on {digits} of {len(ref)} digits; "
        f"{np.sum(ref != other)} of {ref.size} outputs differ, by at most "
        f"{np.abs(ref.astype(int) - other).max()}; "
        f"accuracy {np.mean(other.argmax(1) == labels):.4f}"
    )


def network(model, images, labels):
    """Converts, runs, checks and writes one network's files; returns the lines to print."""
    report = []
    net = common.build(model)
    x = common.samples(model, images)
    probabilities = net.predict(x, batch_size=500, verbose=0)
    buf = convert(net, x)
    common.tflite_path(model).write_bytes(buf)
    paired = graph.pair(common.architecture(model), graph.operators(buf))

    ref = interpreter(buf, OpResolverType.BUILTIN_REF)
    tensors = int8_file(model, ref, paired, report)
    q = common.quantize(x, tensors["input.scale"][0], tensors["input.zero_point"][0])
    outputs = invoke(ref, q)
    layers, logits, kept_outputs = layer_outputs(buf, q, paired, DEBUG_DIGITS[model])
    if not np.array_equal(kept_outputs, outputs) or logits.shape != (len(q), 10):
        raise SystemExit(f"{model}: keeping every tensor changed the outputs or logits' shape")

    meta = {"liandan.format": "int8", "liandan.architecture": common.architecture(model)}
    common.save(tensors, common.FIXTURES / f"{model}.tflite.safetensors", meta)
    common.save(
        expected_file(outputs, q, layers),
        common.FIXTURES / f"{model}.expected.safetensors",
        {"reference": REFERENCE},
    )

    report += [f"tensor {name} {t.dtype} {list(t.shape)}" for name, t in sorted(tensors.items())]
    float_accuracy = np.mean(probabilities.argmax(1) == labels)
    int8_accuracy = np.mean(outputs.argmax(1) == labels)
    report.append(f"float accuracy {float_accuracy:.4f}, int8 (reference) {int8_accuracy:.4f}")
    same = np.sum(outputs.argmax(1) == probabilities.argmax(1))
    report.append(f"int8 and float argmax agree on {same} digits")
    report += check_arithmetic(model, tensors, q, layers, logits, outputs)
    for name, resolver in (
        ("XNNPACK (AUTO)", OpResolverType.AUTO),
        ("BUILTIN_WITHOUT_DEFAULT_DELEGATES", OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES),
    ):
        other = invoke(interpreter(buf, resolver), q)
        report.append(f"{name}: {agreement(outputs, other, labels)}")
    return report


def main(models):
    images, labels = common.digits()
    common.WORK.mkdir(parents=True, exist_ok=True)
    common.FIXTURES.mkdir(parents=True, exist_ok=True)
    for model in models:
        report = network(model, images, labels)
        print(f"== {model}")
        for line in report:
            print(f"  {line}")


if __name__ == "__main__":
    main(sys.argv[1:] or common.MODELS)
