"""The MNIST network of a liandan safetensors file as an ONNX model, for ONNX Runtime.

    python export_onnx.py WEIGHTS.safetensors OUT.onnx

Reads the file with the standard library and numpy (the format: an 8-byte little-endian
header length, a JSON header, raw little-endian data), checks it is the seed MNIST network
(`dense_1` 784 -> 128 ReLU, `dense_2` 128 -> 10 softmax; Keras kernel layout [in, out]) and
writes input [N, 28, 28] -> Reshape -> MatMul + Add -> Relu -> MatMul + Add -> Softmax.
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


def main(weights, out):
    t = read_safetensors(weights)
    expected = {
        "dense_1.kernel": (784, 128),
        "dense_1.bias": (128,),
        "dense_2.kernel": (128, 10),
        "dense_2.bias": (10,),
    }
    assert {k: v.shape for k, v in t.items()} == expected, {k: v.shape for k, v in t.items()}
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
    graph = helper.make_graph(
        nodes,
        "mnist",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 28, 28])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, out)


if __name__ == "__main__":
    main(*sys.argv[1:])
