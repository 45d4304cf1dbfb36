"""Checks that the four peers compute one function: Keras' weights, moved into PyTorch, JAX and
ONNX Runtime, give Keras' predictions on one batch to within 1e-5.

Keras and JAX keep kernels as HWIO and flatten NHWC, so the dense kernel's rows run over
(row, column, channel); PyTorch and the ONNX graph keep kernels as OIHW and flatten NCHW, so
their rows run over (channel, row, column) and are permuted to match.
"""
import sys

import jax
import numpy as np
import torch

import common
import peer_jax
import peer_keras
import peer_ort
import peer_torch

TOLERANCE = 1e-5


def keras_weights():
    net = peer_keras.model()
    c1, b1, c2, b2, d, bd = (np.asarray(w) for w in net.get_weights())
    return net, {"c1": c1, "b1": b1, "c2": c2, "b2": b2, "d": d, "bd": bd}


def channels_first(w):
    """The weights as PyTorch and ONNX lay them out."""
    # Dense rows: NHWC index (h, w, c) over 5x5x64 -> NCHW index (c, h, w).
    d = w["d"].reshape(5, 5, 64, 10).transpose(2, 0, 1, 3).reshape(1600, 10)
    return {
        "c1": w["c1"].transpose(3, 2, 0, 1),
        "b1": w["b1"],
        "c2": w["c2"].transpose(3, 2, 0, 1),
        "b2": w["b2"],
        "d": d,
        "bd": w["bd"],
    }


def torch_predict(w, x):
    net = peer_torch.model().eval()
    names = ["0.weight", "0.bias", "3.weight", "3.bias", "8.weight", "8.bias"]
    values = [w["c1"], w["b1"], w["c2"], w["b2"], w["d"].T, w["bd"]]
    state = {n: torch.from_numpy(np.ascontiguousarray(v)) for n, v in zip(names, values)}
    net.load_state_dict(state)
    with torch.inference_mode():
        return torch.softmax(net(peer_torch.nchw([x])[0]), dim=1).numpy()


def main():
    torch.set_num_threads(1)
    x = common.images(16, 99)[0]
    net, w = keras_weights()
    want = np.asarray(net.predict_on_batch(x))
    cf = channels_first(w)
    on_device = {k: jax.numpy.asarray(v) for k, v in w.items()}
    got = {
        "jax": np.asarray(jax.nn.softmax(peer_jax.logits(on_device, x))),
        "pytorch": torch_predict(cf, x),
        "onnxruntime": peer_ort.session(peer_ort.graph(cf)).run(["y"], {"x": x})[0],
    }
    worst = {peer: float(np.max(np.abs(y - want))) for peer, y in got.items()}
    print(f"# same function as keras, largest difference: {worst}", file=sys.stderr)
    if max(worst.values()) > TOLERANCE:
        sys.exit(f"the peers disagree by more than {TOLERANCE}")


if __name__ == "__main__":
    main()
