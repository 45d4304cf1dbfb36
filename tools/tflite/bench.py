"""The TFLite interpreter as a speed peer for liandan's int8 networks.

    bash tools/tflite/run.sh bench.py [ROUNDS]

Times the int8 models convert.py wrote (target/tflite/<model>.int8.tflite) in the interpreter
with its default op resolver (XNNPACK) and one thread, at batch 1 and batch 256 (the models'
batch dimension is dynamic, so the input is resized), ROUNDS rounds (default 3). One call is
`set_tensor` of an int8 batch, `invoke` and `get_tensor` of the int8 output: the float to int8
input quantisation is not in it. The calls cycle through 8 distinct batches of the bundled
digits, already quantised.

Each round prints one JSON line per (model, batch) with tools/conv_peers' schema and timing
(its common.measure): `"peer": "tflite"`, `"task": "predict-int8-<model>"`, then
`samples_per_s`, `us_per_batch` (median call's wall time), `cpu_s` and `wall_s` (mean CPU and
wall seconds per call, `time.process_time`), so `batch / cpu_s` is samples per CPU-second.
run.sh keeps the lines in target/tflite/bench.jsonl and prints their medians over the rounds
with tools/conv_peers/summary.py.
"""
import importlib.util
import sys

import common
import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

BATCHES = (1, 256)


def peers_common():
    """tools/conv_peers/common.py, whose `measure` times every peer."""
    path = common.ROOT / "tools" / "conv_peers" / "common.py"
    spec = importlib.util.spec_from_file_location("conv_peers_common", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def batches(model, batch, distinct):
    """`distinct` batches of the digits, quantised as the model's input expects."""
    it = Interpreter(model_path=str(common.tflite_path(model)))
    scale, zero_point = it.get_input_details()[0]["quantization"]
    images, _ = common.digits()
    x = common.samples(model, images[: batch * distinct])
    q = common.quantize(x, scale, zero_point)
    return [q[i * batch : (i + 1) * batch] for i in range(distinct)]


def timed_call(model, batch, inputs):
    """A call that runs one batch through a one-thread XNNPACK interpreter of `model`."""
    it = Interpreter(
        model_path=str(common.tflite_path(model)),
        experimental_op_resolver_type=OpResolverType.AUTO,
        num_threads=1,
    )
    inp, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    it.resize_tensor_input(inp, (batch,) + common.input_shape(model), strict=True)
    it.allocate_tensors()

    def call(i):
        it.set_tensor(inp, inputs[i % len(inputs)])
        it.invoke()
        return it.get_tensor(out)

    if call(0).shape != (batch, 10):
        raise SystemExit(f"{model}: batch {batch} gave output {call(0).shape}")
    return call


def main(rounds):
    peers = peers_common()
    calls = {}
    for model in common.MODELS:
        if not common.tflite_path(model).exists():
            raise SystemExit(f"{common.tflite_path(model)} is missing: run convert.py first")
        for batch in BATCHES:
            calls[model, batch] = timed_call(model, batch, batches(model, batch, peers.DISTINCT))
    for r in range(rounds):
        print(f"# round {r + 1} of {rounds}", file=sys.stderr)
        for (model, batch), call in calls.items():
            peers.measure("tflite", f"predict-int8-{model}", batch, call)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
