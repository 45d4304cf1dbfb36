"""Bundled MNIST test digits for the page check: one line per digit, `index base64`.

    python3 digits.py data/mnist/mnist-10k-images-idx3-ubyte.gz FIRST COUNT

Standard library only: the IDX file is a big-endian header (magic, count, rows, columns) and
one byte per pixel.
"""

import base64
import gzip
import struct
import sys


def main(path, first, count):
    raw = gzip.open(path).read()
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    assert magic == 2051, magic
    size = rows * cols
    for i in range(int(first), int(first) + int(count)):
        pixels = raw[16 + i * size : 16 + (i + 1) * size]
        print(i, base64.b64encode(pixels).decode())


if __name__ == "__main__":
    main(*sys.argv[1:])
