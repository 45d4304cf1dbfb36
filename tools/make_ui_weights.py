#!/usr/bin/env python3
"""Writes the small safetensors files the compile-fail cases of `weights:` read
(tests/ui/weights/*.safetensors). Standard library only: the format is an 8-byte little-endian
header length, a JSON header, then the raw little-endian data.

The network they are checked against, in every case but the last:
    input: [4], Dense<3, Relu>, Dense<2, Softmax>
i.e. dense_1.kernel [4, 3], dense_1.bias [3], dense_2.kernel [3, 2], dense_2.bias [2]; the last,
float-count.safetensors, is for input: [4], Normalization, Dense<2, Softmax>, whose buffers are
normalization_1.mean [4], .variance [4] (the network's scalar) and .count [] (I64).

Run from the repository root: python3 tools/make_ui_weights.py
"""
import json
import struct
from pathlib import Path

OUT = Path("tests/ui/weights")
SIZES = {"F32": 4, "F64": 8, "F16": 2, "I64": 8}
GOOD = [
    ("dense_1.kernel", "F32", [4, 3]),
    ("dense_1.bias", "F32", [3]),
    ("dense_2.kernel", "F32", [3, 2]),
    ("dense_2.bias", "F32", [2]),
]


def write(name, tensors):
    header, data = {}, b""
    for tensor, dtype, shape in tensors:
        count = 1
        for d in shape:
            count *= d
        size = count * SIZES[dtype]
        header[tensor] = {
            "dtype": dtype,
            "shape": shape,
            "data_offsets": [len(data), len(data) + size],
        }
        data += bytes(size)  # zeros: only the header matters to these cases
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
