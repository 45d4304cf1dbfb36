#!/usr/bin/env python3
"""Writes the small safetensors files the compile-fail cases of `weights:` read
(tests/ui/weights/*.safetensors). Standard library only: the format is an 8-byte little-endian
header length, a JSON header, then the raw little-endian data.

The network they are checked against, in every case but the last:
    input: [4], Dense<3, Relu>, Dense<2, Softmax>
i.e. dense_1.kernel [4, 3], dense_1.bias [3], dense_2.kernel [3, 2], dense_2.bias [2]; the last,
float-count.safetensors, is for input: [4], Normalization, Dense<2, Softmax>, whose buffers are
normalization_1.mean [4], .variance [4] (the network's scalar) and .count [] (I64).

The int8-*.safetensors files are int8 files (metadata `liandan.format` = `int8`, no architecture)
of the same network's int8 form: input.scale F32 [1], input.zero_point I32 [1], and per layer
dense_N.kernel I8 [in, out], .bias I32 [out], .kernel_scale F32 [out], .output_scale F32 [1],
.output_zero_point I32 [1]; int8.safetensors is valid (every scale 1, every zero point and weight
0), each other breaks one rule.

Run from the repository root: python3 tools/make_ui_weights.py
"""
import json
import struct
from pathlib import Path

OUT = Path("tests/ui/weights")
SIZES = {"F32": 4, "F64": 8, "F16": 2, "I64": 8, "I32": 4, "I8": 1}
GOOD = [
    ("dense_1.kernel", "F32", [4, 3]),
    ("dense_1.bias", "F32", [3]),
    ("dense_2.kernel", "F32", [3, 2]),
    ("dense_2.bias", "F32", [2]),
]


def write(name, tensors, metadata=None):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for tensor, dtype, shape, *values in tensors:
        count = 1
        for d in shape:
            count *= d
        size = count * SIZES[dtype]
        header[tensor] = {
            "dtype": dtype,
            "shape": shape,
            "data_offsets": [len(data), len(data) + size],
        }
        # Zeros, unless the entry gives its bytes: only the header matters to most cases.
        data += values[0] if values else bytes(size)
    text = json.dumps(header).encode()
    (OUT / name).write_bytes(struct.pack("<Q", len(text)) + text + data)


def replaced(name, entry):
    return [entry if t[0] == name else t for t in GOOD]


OUT.mkdir(parents=True, exist_ok=True)
write("wide-kernel.safetensors", replaced("dense_1.kernel", ("dense_1.kernel", "F32", [4, 5])))
write("no-bias.safetensors", [t for t in GOOD if t[0] != "dense_2.bias"])
write("extra-tensor.safetensors", GOOD + [("dense_3.kernel", "F32", [2, 2])])
write("half.safetensors", replaced("dense_2.kernel", ("dense_2.kernel", "F16", [3, 2])))
(OUT / "garbage.safetensors").write_bytes(b"not a safetensors file")
write(
    "float-count.safetensors",
    [
        ("dense_1.kernel", "F32", [4, 2]),
        ("dense_1.bias", "F32", [2]),
        ("normalization_1.mean", "F32", [4]),
        ("normalization_1.variance", "F32", [4]),
        ("normalization_1.count", "F32", []),
    ],
)


def int8_layer(field, inputs, outputs):
    ones = lambda n: struct.pack(f"<{n}f", *[1.0] * n)
    return [
        (f"{field}.kernel", "I8", [inputs, outputs]),
        (f"{field}.bias", "I32", [outputs]),
        (f"{field}.kernel_scale", "F32", [outputs], ones(outputs)),
        (f"{field}.output_scale", "F32", [1], ones(1)),
        (f"{field}.output_zero_point", "I32", [1]),
    ]


INT8 = (
    [("input.scale", "F32", [1], struct.pack("<f", 1.0)), ("input.zero_point", "I32", [1])]
    + int8_layer("dense_1", 4, 3)
    + int8_layer("dense_2", 3, 2)
)
INT8_METADATA = {"liandan.format": "int8"}


def int8_replaced(name, entry):
    return [entry if t[0] == name else t for t in INT8]


def int8_write(name, tensors):
    write(name, tensors, INT8_METADATA)


int8_write("int8.safetensors", INT8)
int8_write("int8-no-bias.safetensors", [t for t in INT8 if t[0] != "dense_2.bias"])
int8_write(
    "int8-bias-f32.safetensors", int8_replaced("dense_1.bias", ("dense_1.bias", "F32", [3]))
)
int8_write(
    "int8-wide-kernel.safetensors",
    int8_replaced("dense_1.kernel", ("dense_1.kernel", "I8", [4, 5])),
)
int8_write("int8-extra-tensor.safetensors", INT8 + [("dense_3.bias", "I32", [2])])
int8_write(
    "int8-zero-scale.safetensors",
    int8_replaced(
        "dense_1.kernel_scale",
        ("dense_1.kernel_scale", "F32", [3], struct.pack("<3f", 1.0, 0.0, 1.0)),
    ),
)
int8_write(
    "int8-zero-point-200.safetensors",
    int8_replaced(
        "dense_2.output_zero_point",
        ("dense_2.output_zero_point", "I32", [1], struct.pack("<i", 200)),
    ),
)
int8_write(
    "int8-kernel-minus-128.safetensors",
    int8_replaced(
        "dense_2.kernel",
        ("dense_2.kernel", "I8", [3, 2], struct.pack("<6b", 0, 0, 0, -128, 0, 0)),
    ),
)
