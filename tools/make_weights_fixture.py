#!/usr/bin/env python3
"""Interop fixtures for liandan's weight files, made with numpy and the reference safetensors.

Writes, for a fixed seed, the weights of `input: [4], Dense<5, Relu>, Dense<3, Softmax>`:

- tests/fixtures/keras_tiny.safetensors: Keras layout, kernels (in, out), float32, no metadata
  (as numpy or Keras would write it);
- tests/fixtures/torch_tiny.safetensors: the same weights with kernels (out, in), as
  PyTorch's nn.Linear.weight, and metadata {"format": "pt"};
- tests/fixtures/tiny_io.txt: inputs and the outputs numpy computes from those float32 weights
  in float64, one sample a line: `x0 x1 x2 x3 | y0 y1 y2`.

Run locally only (CI never does): `pip install numpy safetensors`, then
`python3 tools/make_weights_fixture.py`. The outputs are committed.

`python3 tools/make_weights_fixture.py --check FILE` reads a file liandan wrote (the interop test
leaves one at target/tmp/weights/interop/rust_written.safetensors) and checks its names, shapes,
dtypes and metadata, and that it reproduces the fixture's outputs.
"""

import argparse
import pathlib
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

SEED = 20240601
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SHAPES = {
    "dense_1.kernel": (4, 5),
    "dense_1.bias": (5,),
    "dense_2.kernel": (5, 3),
    "dense_2.bias": (3,),
}


def weights():
    """The network's weights in Keras layout, float32, from the fixed seed."""
    rng = np.random.default_rng(SEED)
    return {
        name: (rng.standard_normal(shape) * 0.7).astype(np.float32)
        for name, shape in SHAPES.items()
    }


def inputs():
    """Six samples of four features, float32."""
    rng = np.random.default_rng(SEED + 1)
    return rng.uniform(-2.0, 2.0, size=(6, 4)).astype(np.float32)


def forward(w, x):
    """relu(x W1 + b1) W2 + b2, then softmax, in float64 (the reference for both precisions)."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    h = np.maximum(x.astype(np.float64) @ w["dense_1.kernel"] + w["dense_1.bias"], 0.0)
    z = h @ w["dense_2.kernel"] + w["dense_2.bias"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def write():
    FIXTURES.mkdir(parents=True, exist_ok=True)
    w, x = weights(), inputs()
    save_file(w, str(FIXTURES / "keras_tiny.safetensors"))
    torch = {k: (np.ascontiguousarray(v.T) if v.ndim == 2 else v) for k, v in w.items()}
    save_file(torch, str(FIXTURES / "torch_tiny.safetensors"), metadata={"format": "pt"})
    y = forward(w, x)
    lines = ["# inputs | outputs of Tiny, made by tools/make_weights_fixture.py (seed %d)" % SEED]
    for xi, yi in zip(x, y):
        left = " ".join(repr(float(v)) for v in xi)
        right = " ".join(repr(float(v)) for v in yi)
        lines.append(f"{left} | {right}")
    (FIXTURES / "tiny_io.txt").write_text("\n".join(lines) + "\n")
    print(f"wrote fixtures to {FIXTURES}")


def check(path):
    """Checks a liandan-written file against the fixture; exits non-zero on a mismatch."""
    with safe_open(str(path), framework="np") as f:
        meta = f.metadata() or {}
        names = set(f.keys())
        w = {k: f.get_tensor(k) for k in names}
    assert names == set(SHAPES), f"names {sorted(names)}"
    for k, shape in SHAPES.items():
        assert w[k].shape == shape, f"{k}: shape {w[k].shape}, expected {shape}"
        assert w[k].dtype == np.float32, f"{k}: dtype {w[k].dtype}"
    assert meta.get("liandan.scalar") == "f32", meta
    assert "Dense<4 -> 5, Relu>" in meta.get("liandan.architecture", ""), meta
    err = np.abs(forward(w, inputs()) - forward(weights(), inputs())).max()
    assert err <= 1e-6, f"outputs differ by {err}"
    print(f"{path}: ok ({len(names)} tensors, metadata {meta})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", metavar="FILE", help="check a liandan-written file")
    args = parser.parse_args()
    if args.check:
        check(pathlib.Path(args.check))
    else:
        write()


if __name__ == "__main__":
    sys.exit(main())
