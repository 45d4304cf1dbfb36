"""ONNX Runtime, one thread: inference of the convnet, its graph built with `onnx.helper`.

The graph takes NHWC images as Keras does, transposes them to ONNX's NCHW and runs Conv, Relu,
MaxPool twice, Flatten, Gemm and Softmax (dropout is the identity at inference). The batch
dimension is symbolic, so one session serves both batch sizes.
"""
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import common


def weights(seed):
    g = np.random.default_rng(seed)

    def uniform(*shape):
        return g.uniform(-0.1, 0.1, shape).astype(np.float32)

    return {
        "c1": uniform(32, 1, 3, 3),
        "b1": np.zeros(32, np.float32),
        "c2": uniform(64, 32, 3, 3),
        "b2": np.zeros(64, np.float32),
        "d": uniform(1600, 10),
        "bd": np.zeros(10, np.float32),
    }


def graph(w):
    pool = {"kernel_shape": [2, 2], "strides": [2, 2]}
    nodes = [
        helper.make_node("Transpose", ["x"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "c1", "b1"], ["h1"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["h1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], **pool),
        helper.make_node("Conv", ["p1", "c2", "b2"], ["h2"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["h2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], **pool),
        helper.make_node("Flatten", ["p2"], ["flat"]),
        helper.make_node("Gemm", ["flat", "d", "bd"], ["z"]),
        helper.make_node("Softmax", ["z"], ["y"], axis=1),
    ]
    g = helper.make_graph(
        nodes,
        "simple_mnist_convnet",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 28, 28, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 10])],
        [numpy_helper.from_array(a, name) for name, a in w.items()],
    )
    # IR version 10 and opset 21 are both older than what onnxruntime 1.32 reads.
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)
    onnx.checker.check_model(m, full_check=True)
    return m


def session(m):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(
        m.SerializeToString(), opts, providers=["CPUExecutionProvider"]
    )


def predict(sess, batch):
    xs = common.images(batch, 20 + batch)
    y = sess.run(["y"], {"x": xs[0]})[0]
    assert y.shape == (batch, 10) and np.allclose(y.sum(axis=1), 1.0, atol=1e-5)

    def call(i):
        sess.run(["y"], {"x": xs[i % common.DISTINCT]})

    common.measure("onnxruntime", "predict", batch, call)


def main():
    w = weights(0)
    common.check_params("onnxruntime", sum(a.size for a in w.values()))
    sess = session(graph(w))
    for batch in common.PREDICT_BATCHES:
        predict(sess, batch)


if __name__ == "__main__":
    main()
