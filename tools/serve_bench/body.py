"""One KServe v2 infer request for wrk: the first bundled test digit, each value written as the
shortest decimal that reads back as the same f32 (as serde_json writes an f32, and so as the
load generator's bodies are).

    python3 body.py data/mnist/mnist-10k-images-idx3-ubyte.gz [DIMS] > body.json

DIMS is one sample's shape after the batch axis of 1, comma-separated: `28,28` (the default,
the MNIST network) or `28,28,1` (the convnet).
"""

import gzip
import json
import struct
import sys


def shortest_f32(x):
    bits = struct.pack("<f", x)
    for digits in range(1, 10):
        text = f"{x:.{digits}g}"
        if struct.pack("<f", float(text)) == bits:
            return text
    return repr(x)


def main(path, dims="28,28"):
    raw = gzip.open(path).read()
    values = ",".join(shortest_f32(b / 255) for b in raw[16 : 16 + 784])
    shape = ",".join(["1"] + dims.split(","))
    head = '{"inputs":[{"name":"input","datatype":"FP32","shape":[' + shape + '],"data":['
    print(head + values + "]}]}")


if __name__ == "__main__":
    main(*sys.argv[1:])
