"""Golden values for Conv2D, MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D: the
forward pass and, for the loss `L = Σ dy ⊙ y`, the gradients with respect to the input, the
kernel and the bias, in float64. Writes tests/golden/conv.rs.

    bash tools/conv_reference/run.sh golden.py

Every value is computed twice: by numpy loops written from the definitions below, and by the
Keras 3 layer on the JAX backend (`jax.vjp` through `layer.stateless_call`, eager and jitted);
the script stops unless they agree to 1e-12 (GlobalAveragePooling2D: see below), and prints the
largest disagreement per case.
The numpy values are the ones written.

Layouts are Keras': images (batch, row, column, channel), kernels (KH, KW, C, F). The inputs are
formulas of the row-major flat index `i` of each array, so a Rust test can rebuild them:

    x[i]  = sin(1 + 0.37·i)               the image
    x[i]  = floor(3·sin(1 + 0.37·i))      the image for max pooling with ties (integers)
    k[i]  = 0.5·cos(0.5 + 0.91·i)         the kernel
    b[f]  = 0.1·(f + 1) − 0.15            the bias
    dy[i] = cos(0.3 + 0.53·i)             ∂L/∂y

Padding "same" follows TensorFlow: out = ceil(in / stride), total = max((out − 1)·stride + k − in,
0), before = total // 2, after = total − before. Average pooling divides each window by the
number of real (unpadded) elements in it. Max pooling sends a window's gradient to its first
maximum in row-major window order (row, then column), as Keras/JAX does; the script finds that
rule by probing Keras (`tie_rule_evidence`) and checks it again on the tie cases.

GlobalAveragePooling2D is compared with Keras' AveragePooling2D over the whole image: the layer
itself averages in float32 even when its dtype is float64 (Keras 3.15's `ops.mean` on JAX), so
it is held only to 1e-6, and the script prints by how much it differs.
"""
import math
import os
import pathlib
import subprocess
import sys
import textwrap

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

keras.config.set_floatx("float64")

OUT = pathlib.Path(__file__).resolve().parent.parent.parent / "tests" / "golden" / "conv.rs"
TOLERANCE = 1e-12
FACTS = {}  # what the checks measured, for the generated file's header
BATCH = 1


# ---- inputs ---------------------------------------------------------------------------------

def flat_index(shape):
    return np.arange(math.prod(shape), dtype=np.float64).reshape(shape)


def image(shape):
    return np.sin(1.0 + 0.37 * flat_index(shape))


def tie_image(shape):
    return np.floor(3.0 * np.sin(1.0 + 0.37 * flat_index(shape)))


def kernel(shape):
    return 0.5 * np.cos(0.5 + 0.91 * flat_index(shape))


def bias(filters):
    return 0.1 * (np.arange(filters, dtype=np.float64) + 1.0) - 0.15


def output_grad(shape):
    return np.cos(0.3 + 0.53 * flat_index(shape))


# ---- numpy references, loops from the definitions -------------------------------------------

def window(size, k, stride, padding):
    """(out, pad before) along one axis; "same" is TensorFlow's rule."""
    if padding == "valid":
        return (size - k) // stride + 1, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2


def conv2d(x, k, b, strides, padding):
    """y[n,i,j,f] = b[f] + Σ_{u,v,c} x[n, i·s − p + u, j·s − p + v, c] · k[u,v,c,f], with x = 0
    outside the image; returns y and a function of dy giving (dx, dk, db)."""
    n_, h, w, c_ = x.shape
    kh, kw, _, f_ = k.shape
    (oh, ph), (ow, pw) = window(h, kh, strides[0], padding), window(w, kw, strides[1], padding)

    def taps():
        for n in range(n_):
            for i in range(oh):
                for j in range(ow):
                    for u in range(kh):
                        for v in range(kw):
                            r, s = i * strides[0] - ph + u, j * strides[1] - pw + v
                            if 0 <= r < h and 0 <= s < w:
                                yield n, i, j, u, v, r, s

    y = np.zeros((n_, oh, ow, f_))
    if b is not None:
        y += b
    for n, i, j, u, v, r, s in taps():
        for c in range(c_):
            for f in range(f_):
                y[n, i, j, f] += x[n, r, s, c] * k[u, v, c, f]

    def grads(dy):
        dx, dk = np.zeros_like(x), np.zeros_like(k)
        for n, i, j, u, v, r, s in taps():
            for c in range(c_):
                for f in range(f_):
                    dx[n, r, s, c] += dy[n, i, j, f] * k[u, v, c, f]
                    dk[u, v, c, f] += dy[n, i, j, f] * x[n, r, s, c]
        db = dy.sum(axis=(0, 1, 2)) if b is not None else None
        return dx, dk, db

    return y, grads


def pool_windows(x, pool, strides, padding):
    """Yields (n, i, j, c, the window's real elements as (r, s) in row-major order)."""
    n_, h, w, c_ = x.shape
    (oh, ph), (ow, pw) = window(h, pool, strides, padding), window(w, pool, strides, padding)
    for n in range(n_):
        for i in range(oh):
            for j in range(ow):
                cells = [
                    (r, s)
                    for r in range(i * strides - ph, i * strides - ph + pool)
                    for s in range(j * strides - pw, j * strides - pw + pool)
                    if 0 <= r < h and 0 <= s < w
                ]
                for c in range(c_):
                    yield n, i, j, c, cells


def pooled_shape(x, pool, strides, padding):
    n_, h, w, c_ = x.shape
    return n_, window(h, pool, strides, padding)[0], window(w, pool, strides, padding)[0], c_


def max_pool(x, pool, strides, padding):
    """y = the window's maximum; its gradient goes to the window's first maximum (strict `>`
    while scanning row-major), padding never wins."""
    y = np.zeros(pooled_shape(x, pool, strides, padding))
    argmax = {}
    for n, i, j, c, cells in pool_windows(x, pool, strides, padding):
        best = cells[0]
        for r, s in cells[1:]:
            if x[n, r, s, c] > x[n, best[0], best[1], c]:
                best = (r, s)
        y[n, i, j, c] = x[n, best[0], best[1], c]
        argmax[n, i, j, c] = best

    def grads(dy):
        dx = np.zeros_like(x)
        for (n, i, j, c), (r, s) in argmax.items():
            dx[n, r, s, c] += dy[n, i, j, c]
        return (dx,)

    return y, grads


def average_pool(x, pool, strides, padding):
    """y = the mean of the window's real elements (padding is not counted)."""
    y = np.zeros(pooled_shape(x, pool, strides, padding))
    for n, i, j, c, cells in pool_windows(x, pool, strides, padding):
        y[n, i, j, c] = sum(x[n, r, s, c] for r, s in cells) / len(cells)

    def grads(dy):
        dx = np.zeros_like(x)
        for n, i, j, c, cells in pool_windows(x, pool, strides, padding):
            for r, s in cells:
                dx[n, r, s, c] += dy[n, i, j, c] / len(cells)
        return (dx,)

    return y, grads


def global_average_pool(x):
    """y[n,c] = the mean over rows and columns."""
    n_, h, w, c_ = x.shape
    y = np.zeros((n_, c_))
    for n in range(n_):
        for c in range(c_):
            y[n, c] = sum(x[n, r, s, c] for r in range(h) for s in range(w)) / (h * w)

    def grads(dy):
        dx = np.zeros_like(x)
        for n in range(n_):
            for c in range(c_):
                dx[n, :, :, c] = dy[n, c] / (h * w)
        return (dx,)

    return y, grads


# ---- Keras -----------------------------------------------------------------------------------

def keras_values(layer, x, weights, dy):
    """y and the vjp of dy through the Keras layer, for x and each weight: eager and jitted."""
    if not layer.built:
        layer.build(x.shape)
    if weights:
        layer.set_weights(weights)
    assert all(v.dtype == "float64" for v in layer.weights), [v.dtype for v in layer.weights]

    def f(x, ws):
        y, _ = layer.stateless_call(ws, [], x)
        return y

    results = []
    for g in (f, jax.jit(f)):
        y, vjp = jax.vjp(g, jnp.asarray(x), [jnp.asarray(w) for w in weights])
        assert y.dtype == jnp.float64
        dx, dws = vjp(jnp.asarray(dy))
        results.append([np.asarray(y), np.asarray(dx)] + [np.asarray(d) for d in dws])
    return results


# ---- cases -----------------------------------------------------------------------------------

class Case:
    def __init__(self, name, doc, arrays):
        self.name, self.doc, self.arrays = name, doc, arrays


def agree(name, ours, theirs, tolerance=TOLERANCE):
    """Largest absolute disagreement between the numpy and Keras arrays; stops past tolerance."""
    worst = 0.0
    for run in theirs:
        assert len(run) == len(ours), name
        for a, b in zip(ours, run):
            assert a.shape == b.shape, f"{name}: shapes {a.shape} vs {b.shape}"
            worst = max(worst, float(np.max(np.abs(a - b))))
    if not worst <= tolerance:
        sys.exit(f"{name}: numpy and Keras differ by {worst}")
    return worst


def conv_case(name, doc, h, w, c, f, ksize, strides, padding, use_bias=True):
    x = image((BATCH, h, w, c))
    k = kernel((*ksize, c, f))
    b = bias(f) if use_bias else None
    y, grads = conv2d(x, k, b, strides, padding)
    dy = output_grad(y.shape)
    dx, dk, db = grads(dy)
    layer = keras.layers.Conv2D(
        f, ksize, strides=strides, padding=padding, use_bias=use_bias, dtype="float64"
    )
    weights = [k, b] if use_bias else [k]
    ours = [y, dx, dk] + ([db] if use_bias else [])
    err = agree(name, ours, keras_values(layer, x, weights, dy))
    image_axes, out_axes = "(batch, row, column, channel)", "(batch, row, column, filter)"
    kernel_axes = "(KH, KW, C, F)"
    arrays = {"X": (x, "the input image, sin(1 + 0.37·i)", image_axes),
              "KERNEL": (k, "the kernel, 0.5·cos(0.5 + 0.91·i)", kernel_axes)}
    if use_bias:
        arrays["BIAS"] = (b, "the bias, 0.1·(f + 1) − 0.15", "(filter)")
    arrays["Y"] = (y, "the output", out_axes)
    arrays["DY"] = (dy, "the output gradient ∂L/∂y, cos(0.3 + 0.53·i)", out_axes)
    arrays["DX"] = (dx, "∂L/∂x", image_axes)
    arrays["DKERNEL"] = (dk, "∂L/∂kernel", kernel_axes)
    if use_bias:
        arrays["DBIAS"] = (db, "∂L/∂bias", "(filter)")
    shapes = (
        f"x {shape(x)}, kernel {shape(k)}{', bias (%d,)' % f if use_bias else ', no bias'}, "
        f"y {shape(y)}"
    )
    return Case(name, f"{doc}\n{shapes}", arrays), err


def global_as_average_pool(shape_):
    """GlobalAveragePooling2D as Keras computes it in float64: AveragePooling2D over the whole
    image, reshaped to (batch, channel)."""
    _, h, w, c = shape_
    return keras.Sequential([
        keras.Input(shape_[1:], dtype="float64"),
        keras.layers.AveragePooling2D((h, w), dtype="float64"),
        keras.layers.Reshape((c,), dtype="float64"),
    ])


def pool_case(name, doc, kind, x, pool=None, strides=None, padding="valid"):
    """strides=None is Keras' default, the pool size."""
    layer_strides, strides = strides, strides or pool
    if kind == "max":
        y, grads = max_pool(x, pool, strides, padding)
        layer = keras.layers.MaxPooling2D(
            pool, strides=layer_strides, padding=padding, dtype="float64"
        )
    elif kind == "average":
        y, grads = average_pool(x, pool, strides, padding)
        layer = keras.layers.AveragePooling2D(
            pool, strides=layer_strides, padding=padding, dtype="float64"
        )
    else:
        y, grads = global_average_pool(x)
        layer = global_as_average_pool(x.shape)
    dy = output_grad(y.shape)
    (dx,) = grads(dy)
    err = agree(name, [y, dx], keras_values(layer, x, [], dy))
    if kind == "global":
        # The layer itself averages in float32 whatever its dtype (Keras 3's `ops.mean` on JAX
        # computes in `result_type(x.dtype, "float32")`, which Keras makes float32), so it can
        # only be held to float32's precision.
        layer = keras.layers.GlobalAveragePooling2D(dtype="float64")
        err32 = agree(name, [y, dx], keras_values(layer, x, [], dy), tolerance=1e-6)
        print(f"{name}: GlobalAveragePooling2D itself differs by {err32:.3g} (float32 mean)")
        FACTS["global32"] = err32
    image_axes = "(batch, row, column, channel)"
    out_axes = "(batch, channel)" if kind == "global" else image_axes
    formula = "floor(3·sin(1 + 0.37·i))" if x.dtype == np.float64 and (x == np.floor(x)).all() \
        else "sin(1 + 0.37·i)"
    arrays = {"X": (x, f"the input image, {formula}", image_axes),
              "Y": (y, "the output", out_axes),
              "DY": (dy, "the output gradient ∂L/∂y, cos(0.3 + 0.53·i)", out_axes),
              "DX": (dx, "∂L/∂x", image_axes)}
    return Case(name, f"{doc}\nx {shape(x)}, y {shape(y)}", arrays), err


def shape(a):
    return "(" + ", ".join(str(d) for d in a.shape) + ")"


def cases():
    b = BATCH
    yield conv_case(
        "CONV_VALID_S1", "Conv2D(3, 3): kernel 3×3, strides 1, padding valid.",
        5, 6, 2, 3, (3, 3), (1, 1), "valid")
    yield conv_case(
        "CONV_VALID_S1_NO_BIAS", "Conv2D(3, 3, use_bias=False): CONV_VALID_S1 without the bias.",
        5, 6, 2, 3, (3, 3), (1, 1), "valid", use_bias=False)
    yield conv_case(
        "CONV_SAME_S1", "Conv2D(3, 3, padding=\"same\"): strides 1; rows and columns padded 1 "
        "before and 1 after.",
        5, 6, 2, 3, (3, 3), (1, 1), "same")
    yield conv_case(
        "CONV_SAME_EVEN",
        "Conv2D(3, (3, 2), padding=\"same\"): an even kernel width, strides 1; rows padded 1 "
        "before and 1 after, columns 0 before and 1 after.",
        5, 4, 2, 3, (3, 2), (1, 1), "same")
    yield conv_case(
        "CONV_VALID_S2",
        "Conv2D(2, 3, strides=2): padding valid; the last column is never read.",
        7, 6, 2, 2, (3, 3), (2, 2), "valid")
    yield conv_case(
        "CONV_SAME_S2",
        "Conv2D(2, 3, strides=2, padding=\"same\"): 7 rows padded 1 before and 1 after, 6 "
        "columns 0 before and 1 after (TensorFlow's asymmetric split).",
        7, 6, 2, 2, (3, 3), (2, 2), "same")
    yield conv_case(
        "CONV_1X1", "Conv2D(2, 1): a 1×1 kernel, strides 1, padding valid.",
        4, 4, 3, 2, (1, 1), (1, 1), "valid")
    yield pool_case(
        "MAXPOOL_2", "MaxPooling2D(2): strides 2, padding valid; the last row is never read.",
        "max", image((b, 5, 6, 2)), 2, None)
    yield pool_case(
        "MAXPOOL_2_TIES", "MaxPooling2D(2) on the tie image floor(3·sin(1 + 0.37·i)).",
        "max", tie_image((b, 5, 6, 2)), 2, None)
    yield pool_case(
        "MAXPOOL_2_SAME", "MaxPooling2D(2, padding=\"same\"): an odd 5×5 input padded 0 "
        "before and 1 after; the last windows hold 2 or 1 real elements.",
        "max", image((b, 5, 5, 2)), 2, None, "same")
    yield pool_case(
        "MAXPOOL_3_S2_SAME", "MaxPooling2D(3, strides=2, padding=\"same\"): rows padded 1 "
        "before and 1 after, columns 0 before and 1 after; padding never wins.",
        "max", image((b, 5, 6, 2)), 3, 2, "same")
    yield pool_case(
        "MAXPOOL_3_S2_SAME_TIES", "MaxPooling2D(3, strides=2, padding=\"same\") on the tie "
        "image floor(3·sin(1 + 0.37·i)); windows overlap, so one element can win two.",
        "max", tie_image((b, 5, 6, 2)), 3, 2, "same")
    yield pool_case(
        "AVGPOOL_2", "AveragePooling2D(2): strides 2, padding valid.",
        "average", image((b, 5, 6, 2)), 2, None)
    yield pool_case(
        "AVGPOOL_2_SAME", "AveragePooling2D(2, padding=\"same\"): an odd 5×5 input padded 0 "
        "before and 1 after; windows divided by 4, 2 or 1, their real elements.",
        "average", image((b, 5, 5, 2)), 2, None, "same")
    yield pool_case(
        "AVGPOOL_3_S2_SAME", "AveragePooling2D(3, strides=2, padding=\"same\"): rows padded 1 "
        "before and 1 after, columns 0 before and 1 after; each window divided by its count of "
        "real elements (4 to 9).",
        "average", image((b, 5, 6, 2)), 3, 2, "same")
    yield pool_case(
        "GLOBAL_AVGPOOL", "GlobalAveragePooling2D(): the mean over rows and columns.",
        "global", image((b, 3, 4, 2)))


# ---- checks that the formulas are safe to rebuild in Rust ------------------------------------

def check_tie_image_is_robust(shape_):
    """floor(3·sin(·)) must not sit on an integer boundary, or a 1-ulp difference between numpy's
    and Rust's sin could change it."""
    v = 3.0 * np.sin(1.0 + 0.37 * flat_index(shape_))
    gap = float(np.min(np.abs(v - np.round(v))))
    assert gap > 1e-9, f"tie image: 3·sin within {gap} of an integer"
    return gap


def check_max_pool_margins(x, pool, strides, padding):
    """Away from exact ties, a window's maximum must beat the runner-up by far more than sin's
    rounding, or the Rust test could send the gradient elsewhere."""
    margin = math.inf
    for n, _, _, c, cells in pool_windows(x, pool, strides, padding):
        v = sorted((x[n, r, s, c] for r, s in cells), reverse=True)
        if len(v) > 1 and v[0] != v[1]:
            margin = min(margin, v[0] - v[1])
    assert margin > 1e-9, margin
    return margin


def tied_windows(x, pool, strides, padding):
    """How many windows hold more than one maximum, and the offsets (row, column) of their first
    maximum within the window (not all (0, 0), or the cases could not tell the rules apart)."""
    n, firsts = 0, set()
    for m, _, _, c, cells in pool_windows(x, pool, strides, padding):
        values = [x[m, r, s, c] for r, s in cells]
        maxima = [cell for cell, v in zip(cells, values) if v == max(values)]
        if len(maxima) > 1:
            n += 1
            firsts.add((maxima[0][0] - cells[0][0], maxima[0][1] - cells[0][1]))
    return n, firsts


TIE_RULES = {
    "the first maximum in row-major window order": lambda cells: cells[0],
    "the last maximum in row-major window order": lambda cells: cells[-1],
    "the first maximum in column-major window order": lambda cells: min(cells, key=lambda t: t[::-1]),
    "the last maximum in column-major window order": lambda cells: max(cells, key=lambda t: t[::-1]),
}


def tie_rule_evidence():
    """Which element of a tied window Keras/JAX gives the gradient, found by probing rather than
    assumed: one 3×3 window [[0, 2, 1], [2, 0, 2], [1, 2, 0]], whose four maxima are first and
    last in row-major and in column-major order, and an all-zero one. Returns the one rule of
    TIE_RULES that matches both probes, eager and jitted, and the primitives of the jitted
    gradient (what XLA computes it with)."""
    probes = np.array([[[0.0, 2.0, 1.0], [2.0, 0.0, 2.0], [1.0, 2.0, 0.0]], np.zeros((3, 3))])
    x = probes[..., None]
    layer = keras.layers.MaxPooling2D(3, dtype="float64")
    runs = keras_values(layer, x, [], np.ones((2, 1, 1, 1)))
    def follows(pick):
        for run in runs:
            for k, probe in enumerate(probes):
                maxima = [(i, j) for i in range(3) for j in range(3) if probe[i, j] == probe.max()]
                expected = np.zeros((3, 3))
                expected[pick(maxima)] = 1.0
                if not (run[1][k, ..., 0] == expected).all():
                    return False
        return True

    matching = [rule for rule, pick in TIE_RULES.items() if follows(pick)]
    assert len(matching) == 1, f"tie probes match {matching}"

    def f(x):
        y, _ = layer.stateless_call([], [], x)
        return y

    def grad(x):
        return jax.vjp(f, x)[1](jnp.ones((2, 1, 1, 1)))[0]

    jaxpr = str(jax.make_jaxpr(grad)(jnp.asarray(x)))
    primitives = sorted({p for p in ("select_and_scatter_add", "select_and_gather_add",
                                     "reduce_window_max") if p in jaxpr})
    return matching[0], primitives


# ---- Rust output -----------------------------------------------------------------------------

HEADER = """\
//! Golden values for Conv2D, MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D, with
//! Keras 3 semantics (channels last). Generated by tools/conv_reference/golden.py; do not edit.
//!
//! Source: float64 numpy loops written from the definitions, checked against Keras {keras} on
//! JAX {jax} (jaxlib {jaxlib}, CPU, `jax_enable_x64`, floatx float64): the Keras layer's output
//! and `jax.vjp` through `layer.stateless_call`, eager and jitted. They agree on every value to
//! within {tolerance:.0e} (largest difference {worst:.1e}); the numpy values are written.
//!
//! Layouts are Keras', all row-major: images (batch, row, column, channel), kernels (KH, KW, C,
//! F), biases (F). Every case has batch {batch}. The inputs are formulas of each array's
//! row-major flat index `i` (and the filter `f`), so a test can also rebuild them:
//!
//! - image `x[i] = sin(1 + 0.37·i)`; the tie image `x[i] = floor(3·sin(1 + 0.37·i))`, whose
//!   windows hold equal maxima (3·sin stays at least {tie_gap:.2} from an integer, so the floor
//!   is safe to recompute);
//! - kernel `k[i] = 0.5·cos(0.5 + 0.91·i)`; bias `b[f] = 0.1·(f + 1) − 0.15`;
//! - output gradient `dy[i] = cos(0.3 + 0.53·i)`, the seed of the loss `L = Σ dy ⊙ y`.
//!
//! Per case `NAME`: `NAME_X`, `NAME_KERNEL`, `NAME_BIAS` (the inputs), `NAME_Y` (the output),
//! `NAME_DY` (the upstream gradient), `NAME_DX`, `NAME_DKERNEL`, `NAME_DBIAS` (the gradients of
//! `L`); the pools have `_X`, `_Y`, `_DY`, `_DX`. Convolution is a cross-correlation:
//! `y[n, i, j, f] = b[f] + Σ_{{u, v, c}} x[n, i·s − p + u, j·s − p + v, c]·k[u, v, c, f]`, with
//! `x = 0` in the padding.
//!
//! Padding "same" is TensorFlow's: out = ceil(in / stride), total = max((out − 1)·stride + k −
//! in, 0), before = total / 2 (rounded down), after = the rest, so an odd total pads one more
//! after. Average pooling divides each window by the number of real (unpadded) elements in it;
//! max pooling never picks padding.
//!
//! Ties in max pooling: Keras on JAX gives a window's whole gradient to
//! {tie_rule} (row, then column), and none to its other maxima;
//! an element that wins several overlapping windows gets the sum. Found by probing, not
//! assumed: a 3×3 window with four equal maxima placed first and last in row-major and in
//! column-major order, and an all-zero window, eager and jitted; the jitted gradient is XLA's
//! {primitives}. The `_TIES` cases follow the same rule.
//!
//! GlobalAveragePooling2D is checked against Keras' AveragePooling2D over the whole image: the
//! layer itself averages in float32 even with dtype float64 (`ops.mean` on JAX), and matches
//! only to {global32:.1e}.
//!
//! A const whose values equal an earlier one's is defined as that one.
"""


def rust_array(name, doc, axes, a, same_as=None):
    """One `pub const`, its values wrapped by hand (rustfmt would put each on a line of its own),
    or defined as the earlier const `same_as` holding the same values."""
    head = f"/// {doc}.\n/// Shape {shape(a)}: {axes}, row-major.\n"
    if same_as is not None:
        return f"{head}pub const {name}: [f64; {a.size}] = {same_as};\n"
    lines, line = [], "   "
    for v in a.ravel():
        item = f" {float(v)!r},"
        if len(line) + len(item) > 100:
            lines.append(line)
            line = "   "
        line += item
    lines.append(line)
    body = "\n".join(lines)
    return f"{head}#[rustfmt::skip]\npub const {name}: [f64; {a.size}] = [\n{body}\n];\n"


def render(all_cases, **facts):
    out = [HEADER.format(keras=keras.__version__, jax=jax.__version__,
                         jaxlib=jax.lib.__version__ if hasattr(jax.lib, "__version__")
                         else jax.__version__, batch=BATCH, tolerance=TOLERANCE, **facts)]
    written = {}  # (shape, bytes) -> the first const holding those values
    for case in all_cases:
        comment = textwrap.wrap(case.doc.splitlines()[0], 97) + case.doc.splitlines()[1:]
        out.append("\n" + "".join(f"// {line}\n" for line in comment))
        for suffix, (a, what, axes) in case.arrays.items():
            name, key = f"{case.name}_{suffix}", (a.shape, a.tobytes())
            out.append(rust_array(name, f"`{case.name}`: {what}", axes, a, written.get(key)))
            written.setdefault(key, name)
    return "".join(out)


def main():
    print(f"keras {keras.__version__}, jax {jax.__version__}, backend {keras.backend.backend()}")
    tie_rule, primitives = tie_rule_evidence()
    print(f"tie rule: {tie_rule}; the jitted gradient uses {', '.join(primitives)}")
    tie_gap = min(check_tie_image_is_robust((BATCH, h, w, 2)) for h, w in ((5, 6), (5, 5)))
    print(f"tie image: 3·sin at least {tie_gap:.3g} from an integer")
    for (h, w), pool, strides, padding in (((5, 6), 2, 2, "valid"), ((5, 5), 2, 2, "same"),
                                           ((5, 6), 3, 2, "same")):
        m = check_max_pool_margins(image((BATCH, h, w, 2)), pool, strides, padding)
        print(f"max pool {pool}/{strides} {padding} on {h}×{w}: the maximum beats the runner-up "
              f"by at least {m:.3g}")
    for pool, strides in ((2, 2), (3, 2)):
        padding = "valid" if pool == 2 else "same"
        n, firsts = tied_windows(tie_image((BATCH, 5, 6, 2)), pool, strides, padding)
        print(f"tie image, max pool {pool}/{strides} {padding}: {n} windows tied, first maxima at "
              f"window offsets {sorted(firsts)}")
    all_cases, worst = [], 0.0
    for case, err in cases():
        print(f"{case.name}: numpy vs Keras max |difference| {err:.3g}")
        all_cases.append(case)
        worst = max(worst, err)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(all_cases, worst=worst, tie_gap=tie_gap, tie_rule=tie_rule, **FACTS,
                          primitives=" and ".join(f"`{p}`" for p in primitives)))
    # The file is a Rust module: lay it out as `cargo fmt` would, so CI's format check passes.
    subprocess.run(["rustfmt", "--edition", "2021", str(OUT)], check=True)
    print(f"wrote {OUT} ({len(OUT.read_text().splitlines())} lines)")


if __name__ == "__main__":
    main()
