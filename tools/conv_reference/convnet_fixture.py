"""Interop fixtures for a convolutional network: the keras.io "simple MNIST convnet" with seeded
random weights, in Keras' and in PyTorch's layout, and Keras' outputs for a few inputs.

    bash tools/conv_reference/run.sh convnet_fixture.py

The network (34,826 parameters), as keras.io writes it:

    Input((28, 28, 1)), Conv2D(32, 3, relu), MaxPooling2D(2), Conv2D(64, 3, relu),
    MaxPooling2D(2), Flatten(), Dropout(0.5), Dense(10, softmax)

Writes, for the seed 20261201:

- tests/fixtures/convnet_keras.safetensors: Keras layout, float32, no metadata (as
  tools/make_weights_fixture.py writes keras_tiny.safetensors). Conv kernels (KH, KW, C, F), the
  dense kernel (1600, 10), biases (F). Tensor names are liandan's field names, the layer kind
  numbered from 1 as `network!` numbers them (`dense_1`, and `conv2d_1`, `conv2d_2` after the
  layer's file src/layers/conv2d.rs), with Keras' weight names: `conv2d_1.kernel`,
  `conv2d_1.bias`, `conv2d_2.kernel`, `conv2d_2.bias`, `dense_1.kernel`, `dense_1.bias`.
- tests/fixtures/convnet_torch.safetensors: the same weights and names in PyTorch's layout, as
  torch_tiny.safetensors has them: conv kernels (F, C, KH, KW) as nn.Conv2d.weight, the dense
  kernel (10, 1600) as nn.Linear.weight, metadata {"format": "pt"}.
- tests/fixtures/convnet_io.txt: three inputs (784 pixels in [0, 1], float32, row-major 28×28,
  see `inputs`)
  and the network's ten probabilities for each, one sample a line, `x0 … x783 | y0 … y9`, as
  tiny_io.txt. The outputs are Keras' (JAX backend, float64, the float32 weights and inputs
  widened exactly), printed with full precision.

The flatten order. Keras flattens the channels-last (5, 5, 64) map row-major, so the dense
kernel's row for pixel (h, w), channel c is `(h·5 + w)·64 + c`; liandan flattens its
channels-last images the same way. PyTorch's nn.Flatten after nn.Conv2d flattens (64, 5, 5),
`c·25 + h·5 + w`. The torch file's dense kernel is the Keras kernel transposed and nothing
else: its column `(h·5 + w)·64 + c` still reads pixel (h, w), channel c. So a liandan network
loads either file into the same weights (PyTorch layout only swaps axes), and a PyTorch module
reproduces the outputs if it flattens channels-last, `x.permute(0, 2, 3, 1).flatten(1)`, before
its nn.Linear. A stock nn.Flatten would need the columns permuted,
`W_pt[o, c·25 + h·5 + w] = W_file[o, (h·5 + w)·64 + c]`; the script checks both statements
with a numpy forward pass in PyTorch's layout (NCHW) against Keras.

Weights: each tensor `standard_normal · scale` from one numpy generator, in the order above;
He scales sqrt(2 / fan_in) for the ReLU convolutions, 3·sqrt(1 / fan_in) for the dense kernel so
the probabilities are far from uniform, 0.1 for the biases.
"""
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import keras  # noqa: E402
import numpy as np  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

SEED = 20261201
SAMPLES = 3
DENSITIES = (0.15, 0.5, 1.0)
FIXTURES = pathlib.Path(__file__).resolve().parent.parent.parent / "tests" / "fixtures"
# name -> (Keras shape, fan_in or None for a bias, the axes PyTorch orders them in)
TENSORS = {
    "conv2d_1.kernel": ((3, 3, 1, 32), 9, (3, 2, 0, 1)),
    "conv2d_1.bias": ((32,), None, (0,)),
    "conv2d_2.kernel": ((3, 3, 32, 64), 288, (3, 2, 0, 1)),
    "conv2d_2.bias": ((64,), None, (0,)),
    "dense_1.kernel": ((1600, 10), 1600, (1, 0)),
    "dense_1.bias": ((10,), None, (0,)),
}
PARAMS = 34_826


def weights():
    """The network's weights in Keras layout, float32, from the fixed seed."""
    rng = np.random.default_rng(SEED)
    out = {}
    for name, (shape, fan_in, _) in TENSORS.items():
        if fan_in is None:
            scale = 0.1
        elif name.startswith("dense"):
            scale = 3.0 * np.sqrt(1.0 / fan_in)
        else:
            scale = np.sqrt(2.0 / fan_in)
        out[name] = (rng.standard_normal(shape) * scale).astype(np.float32)
    return out


def inputs():
    """Three 28×28×1 images, float32: pixels uniform in [0, 1], each kept with probability 0.15,
    0.5 or 1 (else 0), from sparse like MNIST's strokes to dense; the zeros also make flat
    regions, where max-pool windows tie."""
    rng = np.random.default_rng(SEED + 1)
    shape = (SAMPLES, 28, 28, 1)
    ink = np.array(DENSITIES).reshape(SAMPLES, 1, 1, 1)
    x = rng.uniform(0.0, 1.0, size=shape) * (rng.uniform(0.0, 1.0, size=shape) < ink)
    return x.astype(np.float32)


def torch_layout(w):
    """Each tensor with its axes in PyTorch's order (the dense kernel only transposed: see the
    module's doc on the flatten order)."""
    return {k: np.ascontiguousarray(v.transpose(TENSORS[k][2])) for k, v in w.items()}


def keras_model(dtype):
    layers = keras.layers
    return keras.Sequential([
        keras.Input((28, 28, 1), dtype=dtype),
        layers.Conv2D(32, 3, activation="relu", dtype=dtype),
        layers.MaxPooling2D(2, dtype=dtype),
        layers.Conv2D(64, 3, activation="relu", dtype=dtype),
        layers.MaxPooling2D(2, dtype=dtype),
        layers.Flatten(dtype=dtype),
        layers.Dropout(0.5, dtype=dtype),
        layers.Dense(10, activation="softmax", dtype=dtype),
    ])


def keras_outputs(w, x, dtype):
    """Keras' probabilities at `dtype` (inference: dropout off)."""
    model = keras_model(dtype)
    assert model.count_params() == PARAMS, model.count_params()
    order = [w[name].astype(dtype) for name in TENSORS]
    model.set_weights(order)
    return np.asarray(model(x.astype(dtype), training=False), dtype=np.float64)


# ---- a forward pass in PyTorch's layout, numpy float64 ----------------------------------------

def conv_nchw(x, weight, bias):
    """nn.Conv2d(padding=0, stride=1): y[n, f, i, j] = b[f] + Σ_{c,u,v} w[f, c, u, v]·x[n, c, i+u,
    j+v]."""
    _, _, kh, kw = weight.shape
    oh, ow = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    y = np.zeros((x.shape[0], weight.shape[0], oh, ow)) + bias[None, :, None, None]
    for u in range(kh):
        for v in range(kw):
            y += np.einsum("ncij,fc->nfij", x[:, :, u:u + oh, v:v + ow], weight[:, :, u, v])
    return y


def max_pool_nchw(x):
    """nn.MaxPool2d(2): windows 2×2, strides 2, the odd last row and column dropped."""
    n, c, h, w = x.shape
    x = x[:, :, : h // 2 * 2, : w // 2 * 2]
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def torch_forward(t, x_nhwc, flatten):
    """The network on PyTorch's layout and NCHW images; `flatten` turns the (N, 64, 5, 5) map
    into the dense layer's input."""
    t = {k: v.astype(np.float64) for k, v in t.items()}
    h = x_nhwc.astype(np.float64).transpose(0, 3, 1, 2)
    h = max_pool_nchw(np.maximum(conv_nchw(h, t["conv2d_1.kernel"], t["conv2d_1.bias"]), 0.0))
    h = max_pool_nchw(np.maximum(conv_nchw(h, t["conv2d_2.kernel"], t["conv2d_2.bias"]), 0.0))
    z, weight = flatten(h, t["dense_1.kernel"])
    z = z @ weight.T + t["dense_1.bias"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def channels_last(h, weight):
    """x.permute(0, 2, 3, 1).flatten(1), with the file's dense kernel as it is."""
    return h.transpose(0, 2, 3, 1).reshape(h.shape[0], -1), weight


def stock_flatten(h, weight):
    """nn.Flatten on NCHW, with the columns permuted: W_pt[o, c·25 + h·5 + w] =
    W_file[o, (h·5 + w)·64 + c]."""
    n, c, hh, ww = h.shape
    permuted = weight.reshape(-1, hh, ww, c).transpose(0, 3, 1, 2).reshape(weight.shape[0], -1)
    return h.reshape(n, -1), permuted


def write_io(x, y):
    lines = [
        f"# inputs | outputs of the keras.io simple MNIST convnet, made by "
        f"tools/conv_reference/convnet_fixture.py (seed {SEED}); Keras {keras.__version__} "
        f"on JAX {jax.__version__}, float64"
    ]
    for xi, yi in zip(x.reshape(len(x), -1), y):
        left = " ".join(repr(float(v)) for v in xi)
        right = " ".join(repr(float(v)) for v in yi)
        lines.append(f"{left} | {right}")
    (FIXTURES / "convnet_io.txt").write_text("\n".join(lines) + "\n")


def main():
    print(f"keras {keras.__version__}, jax {jax.__version__}, backend {keras.backend.backend()}")
    w, x = weights(), inputs()
    y = keras_outputs(w, x, "float64")
    y32 = keras_outputs(w, x, "float32")
    print(f"Keras float32 vs float64: max |difference| {np.abs(y32 - y).max():.3g}")
    assert np.abs(y32 - y).max() < 1e-5
    assert np.allclose(y.sum(axis=1), 1.0, atol=1e-12)
    print("probabilities (max per sample):", np.round(y.max(axis=1), 4), "argmax", y.argmax(axis=1))

    t = torch_layout(w)
    for flatten in (channels_last, stock_flatten):
        err = np.abs(torch_forward(t, x, flatten) - y).max()
        print(f"PyTorch layout, {flatten.__name__}: vs Keras max |difference| {err:.3g}")
        assert err < 1e-12, err
    # The file's kernel under a stock nn.Flatten is a different network: the permutation matters.
    wrong = np.abs(torch_forward(t, x, lambda h, k: (h.reshape(len(h), -1), k)) - y).max()
    print(f"PyTorch layout, stock flatten with the file's kernel: differs by {wrong:.3g}")
    assert wrong > 1e-3

    FIXTURES.mkdir(parents=True, exist_ok=True)
    save_file(w, str(FIXTURES / "convnet_keras.safetensors"))
    save_file(t, str(FIXTURES / "convnet_torch.safetensors"), metadata={"format": "pt"})
    write_io(x, y)
    for name, expected in (("convnet_keras", w), ("convnet_torch", t)):
        back = load_file(str(FIXTURES / f"{name}.safetensors"))
        assert back.keys() == expected.keys()
        assert all((back[k] == expected[k]).all() and back[k].dtype == np.float32 for k in back)
        print(f"{name}.safetensors:", {k: v.shape for k, v in back.items()})
    print(f"wrote fixtures to {FIXTURES}")


if __name__ == "__main__":
    main()
