"""A liandan safetensors file of the seed MNIST network or the convnet as an ONNX model.

    python export_onnx.py WEIGHTS.safetensors OUT.onnx

Reads the file with the standard library and numpy (the format: an 8-byte little-endian
header length, a JSON header, raw little-endian data) and tells the network by its tensors:

- the seed MNIST network (`dense_1` 784 -> 128 ReLU, `dense_2` 128 -> 10 softmax; Keras kernel
  layout [in, out]): input [N, 28, 28] -> Reshape -> MatMul + Add -> Relu -> MatMul + Add ->
  Softmax;
- keras.io's convnet (`conv2d_1` 3x3 1 -> 32, `conv2d_2` 3x3 32 -> 64, each ReLU and 2x2 max
  pooling, `dense_1` 1600 -> 10 softmax): input [N, 28, 28, 1] (NHWC, as liandan and Keras
  take it) -> Transpose to NCHW -> Conv, Relu, MaxPool twice -> Transpose back to NHWC, so
  Flatten orders the 1,600 values as liandan does -> Gemm -> Softmax. Keras' kernels
  [KH, KW, C, F] become ONNX's [F, C, KH, KW].
"""

import json
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{name}: {info['dtype']}"
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], "<f4").reshape(info["shape"])
    return tensors


MLP = {
    "dense_1.kernel": (784, 128),
    "dense_1.bias": (128,),
    "dense_2.kernel": (128, 10),
    "dense_2.bias": (10,),
}

CONVNET = {
    "conv2d_1.kernel": (3, 3, 1, 32),
    "conv2d_1.bias": (32,),
    "conv2d_2.kernel": (3, 3, 32, 64),
    "conv2d_2.bias": (64,),
    "dense_1.kernel": (1600, 10),
    "dense_1.bias": (10,),
}


def mlp(t):
    inits = [numpy_helper.from_array(np.ascontiguousarray(v), k) for k, v in t.items()]
    inits.append(numpy_helper.from_array(np.array([-1, 784], np.int64), "flat_shape"))
    nodes = [
        helper.make_node("Reshape", ["input", "flat_shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "dense_1.kernel"], ["z1"]),
        helper.make_node("Add", ["z1", "dense_1.bias"], ["a1"]),
        helper.make_node("Relu", ["a1"], ["h1"]),
        helper.make_node("MatMul", ["h1", "dense_2.kernel"], ["z2"]),
        helper.make_node("Add", ["z2", "dense_2.bias"], ["a2"]),
        helper.make_node("Softmax", ["a2"], ["output"], axis=1),
    ]
    return nodes, inits, ["N", 28, 28]


def convnet(t):
    def kernel(name):
        # Keras [KH, KW, C, F] -> ONNX [F, C, KH, KW].
        return np.ascontiguousarray(t[name].transpose(3, 2, 0, 1))

    tensors = {
        "c1": kernel("conv2d_1.kernel"),
        "b1": t["conv2d_1.bias"],
        "c2": kernel("conv2d_2.kernel"),
        "b2": t["conv2d_2.bias"],
        "d": t["dense_1.kernel"],
        "bd": t["dense_1.bias"],
    }
    inits = [numpy_helper.from_array(np.ascontiguousarray(v), k) for k, v in tensors.items()]
    pool = {"kernel_shape": [2, 2], "strides": [2, 2]}
    nodes = [
        helper.make_node("Transpose", ["input"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "c1", "b1"], ["h1"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["h1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], **pool),
        helper.make_node("Conv", ["p1", "c2", "b2"], ["h2"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["h2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], **pool),
        helper.make_node("Transpose", ["p2"], ["nhwc"], perm=[0, 2, 3, 1]),
        helper.make_node("Flatten", ["nhwc"], ["flat"]),
        helper.make_node("Gemm", ["flat", "d", "bd"], ["z"]),
        helper.make_node("Softmax", ["z"], ["output"], axis=1),
    ]
    return nodes, inits, ["N", 28, 28, 1]


def main(weights, out):
    t = read_safetensors(weights)
    shapes = {k: v.shape for k, v in t.items()}
    networks = {"mnist": (MLP, mlp), "convnet": (CONVNET, convnet)}
    name = next((n for n, (want, _) in networks.items() if shapes == want), None)
    assert name, f"neither the MNIST network nor the convnet: {shapes}"
    nodes, inits, input_shape = networks[name][1](t)
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, out)


if __name__ == "__main__":
    main(*sys.argv[1:])
