"""The converted TFLite graph, read from its flatbuffer, paired with liandan's layers.

liandan's layers come from the f32 weight file's `liandan.architecture` text
(`Mnist: input [28, 28]; flatten_1 Flatten<[28, 28]>; dense_1 Dense<784 -> 128, Relu>; ...`).
Each layer maps to TFLite operators in order:

| liandan | TFLite |
| --- | --- |
| `Dense<.., Relu>` / `Dense<..>` | FULLY_CONNECTED, fused RELU / NONE |
| `Dense<.., Softmax>` | FULLY_CONNECTED (fused NONE, the logits), then SOFTMAX (beta 1) |
| `Conv2D<.., Relu, strides = 1x1, padding = Valid>` | CONV_2D, fused RELU, stride 1, VALID |
| `MaxPooling2D<.., 2x2, strides = 2x2, padding = Valid>` | MAX_POOL_2D, 2x2, stride 2, VALID |
| `Flatten` | RESHAPE |
| `Dropout` | nothing (inference) |

SHAPE, STRIDED_SLICE and PACK compute the RESHAPE's target shape from the dynamic batch size;
they move no activations and are skipped.
"""
import re

from ai_edge_litert import schema_py_generated as schema



def _names(enum):
    """A flatbuffer enum class's values to their names."""
    return {v: k for k, v in vars(enum).items() if not k.startswith("_")}


OP_NAMES = _names(schema.BuiltinOperator)
ACTIVATIONS = _names(schema.ActivationFunctionType)
PADDINGS = _names(schema.Padding)
SHAPE_OPS = {"SHAPE", "STRIDED_SLICE", "PACK"}


class Mismatch(Exception):
    """The TFLite graph is not the network liandan's architecture describes."""


def layers(architecture):
    """liandan's layers as (field, kind, spec) from an architecture text; Dropout left out."""
    body = architecture.split(": ", 1)[1].split("; ")
    out = []
    for entry in body[1:]:
        m = re.fullmatch(r"(\w+) (\w+)<(.*)>", entry)
        if not m:
            raise Mismatch(f"unreadable layer {entry!r}")
        if m[2] != "Dropout":
            out.append((m[1], m[2], m[3]))
    return out


def activation(spec):
    """A Dense's or Conv2D's activation from its spec: `relu`, `softmax` or `none`."""
    parts = [p.strip() for p in spec.split(",")]
    if "Relu" in parts:
        return "relu"
    if "Softmax" in parts:
        return "softmax"
    if any(p in ("Sigmoid", "Tanh", "Gelu", "Silu") for p in parts):
        raise Mismatch(f"activation of {spec!r} has no int8 mapping here")
    return "none"


def _options(op, kind):
    """The operator's builtin options as a dict (only the kinds the two networks use)."""
    table = op.BuiltinOptions()
    if kind == "FULLY_CONNECTED":
        o = schema.FullyConnectedOptions()
        o.Init(table.Bytes, table.Pos)
        return {
            "activation": ACTIVATIONS[o.FusedActivationFunction()],
            "weights_format": o.WeightsFormat(),
            "keep_num_dims": o.KeepNumDims(),
        }
    if kind == "CONV_2D":
        o = schema.Conv2DOptions()
        o.Init(table.Bytes, table.Pos)
        return {
            "activation": ACTIVATIONS[o.FusedActivationFunction()],
            "padding": PADDINGS[o.Padding()],
            "strides": (o.StrideH(), o.StrideW()),
            "dilation": (o.DilationHFactor(), o.DilationWFactor()),
        }
    if kind == "MAX_POOL_2D":
        o = schema.Pool2DOptions()
        o.Init(table.Bytes, table.Pos)
        return {
            "activation": ACTIVATIONS[o.FusedActivationFunction()],
            "padding": PADDINGS[o.Padding()],
            "strides": (o.StrideH(), o.StrideW()),
            "filter": (o.FilterHeight(), o.FilterWidth()),
        }
    if kind == "SOFTMAX":
        o = schema.SoftmaxOptions()
        o.Init(table.Bytes, table.Pos)
        return {"beta": o.Beta()}
    return {}


def operators(buf):
    """The main subgraph's operators in order: dicts of op, inputs, outputs, options."""
    model = schema.Model.GetRootAs(buf, 0)
    if model.SubgraphsLength() != 1:
        raise Mismatch(f"{model.SubgraphsLength()} subgraphs, expected 1")
    sub = model.Subgraphs(0)
    out = []
    for i in range(sub.OperatorsLength()):
        op = sub.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        kind = OP_NAMES[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        out.append(
            {
                "op": kind,
                "inputs": [int(t) for t in op.InputsAsNumpy()],
                "outputs": [int(t) for t in op.OutputsAsNumpy()],
                "options": _options(op, kind),
            }
        )
    return out


def _expect(field, got, want):
    if got != want:
        raise Mismatch(f"{field}: {got}, expected {want}")


def _check(field, kind, spec, op):
    """Stops unless the operator computes what liandan's layer does."""
    opts = op["options"]
    if kind == "Dense":
        _expect(field, op["op"], "FULLY_CONNECTED")
        fused = "RELU" if activation(spec) == "relu" else "NONE"
        _expect(f"{field} fused activation", opts["activation"], fused)
        _expect(f"{field} weights format", opts["weights_format"], 0)
        _expect(f"{field} keep_num_dims", opts["keep_num_dims"], False)
    elif kind == "Conv2D":
        _expect(field, op["op"], "CONV_2D")
        fused = "RELU" if activation(spec) == "relu" else "NONE"
        _expect(f"{field} fused activation", opts["activation"], fused)
        _expect(f"{field} spec", "strides = 1x1, padding = Valid" in spec, True)
        _expect(f"{field} padding", opts["padding"], "VALID")
        _expect(f"{field} strides", opts["strides"], (1, 1))
        _expect(f"{field} dilation", opts["dilation"], (1, 1))
    elif kind == "MaxPooling2D":
        _expect(field, op["op"], "MAX_POOL_2D")
        _expect(f"{field} spec", "2x2, strides = 2x2, padding = Valid" in spec, True)
        _expect(f"{field} padding", opts["padding"], "VALID")
        _expect(f"{field} filter", opts["filter"], (2, 2))
        _expect(f"{field} strides", opts["strides"], (2, 2))
        _expect(f"{field} fused activation", opts["activation"], "NONE")
    elif kind == "Flatten":
        _expect(field, op["op"], "RESHAPE")
    else:
        raise Mismatch(f"{field}: layer kind {kind} has no int8 mapping here")


def pair(architecture, ops):
    """liandan's layers with their operators: (field, kind, op, softmax op or None), in order.

    Stops unless every operator that moves activations belongs to exactly one layer, in order,
    each operator reads the previous one's output, and each computes what its layer does.
    """
    todo = [op for op in ops if op["op"] not in SHAPE_OPS]
    out = []
    for field, kind, spec in layers(architecture):
        if not todo:
            raise Mismatch(f"{field}: no TFLite operator left")
        op = todo.pop(0)
        _check(field, kind, spec, op)
        softmax = None
        if kind == "Dense" and activation(spec) == "softmax":
            if not todo or todo[0]["op"] != "SOFTMAX":
                raise Mismatch(f"{field}: FULLY_CONNECTED is not followed by SOFTMAX")
            softmax = todo.pop(0)
            _expect(f"{field} softmax beta", softmax["options"]["beta"], 1.0)
            _expect(f"{field} softmax input", softmax["inputs"][0], op["outputs"][0])
        if out:
            last = out[-1][3] or out[-1][2]
            _expect(f"{field} input", op["inputs"][0], last["outputs"][0])
        out.append((field, kind, op, softmax))
    if todo:
        raise Mismatch(f"operators no layer takes: {[op['op'] for op in todo]}")
    return out
