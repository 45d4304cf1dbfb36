"""What convert.py and bench.py share: the digits, the two networks, the input quantisation.

The two networks are the repository's trained f32 weight files, rebuilt in Keras 3 (TensorFlow
backend) with the same layers and the same weights:

- `mnist`, ffi/weights/mnist.safetensors, the seed MLP:
  Input [28, 28] -> Flatten -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax)
- `convnet`, ffi/weights/convnet.safetensors, keras.io's "Simple MNIST convnet":
  Input [28, 28, 1] -> Conv2D(32, 3x3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3x3, relu)
  -> MaxPooling2D(2) -> Flatten -> Dropout(0.5) -> Dense(10, softmax)

Each Keras layer is named after liandan's field (`dense_1`, `conv2d_1`, `max_pooling2d_1`, ...),
so the weight file's tensor `<field>.kernel` / `<field>.bias` goes to the layer of that name.
"""
import gzip
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
WORK = ROOT / "target" / "tflite"
FIXTURES = ROOT / "tests" / "fixtures" / "int8"
IMAGES = ROOT / "data" / "mnist" / "mnist-10k-images-idx3-ubyte.gz"
LABELS = ROOT / "data" / "mnist" / "mnist-10k-labels-idx1-ubyte.gz"
MODELS = ("mnist", "convnet")
# The digits the converter calibrates the activation ranges on.
CALIBRATION = 1000


def weights_path(model):
    """The trained f32 weight file of `model`."""
    return ROOT / "ffi" / "weights" / f"{model}.safetensors"


def tflite_path(model):
    """Where convert.py writes the int8 TFLite model of `model` (not committed)."""
    return WORK / f"{model}.int8.tflite"


def _idx(path, magic):
    """The payload of a gzip IDX file after checking its magic number; (dims, bytes)."""
    data = gzip.open(path, "rb").read()
    if int.from_bytes(data[:4], "big") != magic:
        raise SystemExit(f"{path}: not an IDX file of magic {magic:#010x}")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return dims, np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)


def digits():
    """The bundled digits as (pixels float32 [N, 28, 28], labels int64 [N]), in file order.

    A pixel is byte / 255 divided in double precision and rounded to float32, as liandan's
    `Dataset::from_idx` scales it (`T::of(f64::from(pixel) / 255.0)`).
    """
    dims, pixels = _idx(IMAGES, 0x00000803)
    ldims, labels = _idx(LABELS, 0x00000801)
    if dims[1:] != [28, 28] or ldims[0] != dims[0]:
        raise SystemExit(f"unexpected IDX shapes {dims}, {ldims}")
    images = (pixels.reshape(dims).astype(np.float64) / 255.0).astype(np.float32)
    return images, labels.astype(np.int64)


def input_shape(model):
    """One sample's shape: [28, 28] for the MLP, [28, 28, 1] (HWC) for the convnet."""
    return (28, 28) if model == "mnist" else (28, 28, 1)


def samples(model, images):
    """The digits in the shape `model` takes."""
    return images.reshape((images.shape[0],) + input_shape(model))


def build(model):
    """The Keras model of `model` with its trained weights; layers named after liandan's fields."""
    import keras
    from keras import layers

    if model == "mnist":
        stack = [
            layers.Flatten(name="flatten_1"),
            layers.Dense(128, activation="relu", name="dense_1"),
            layers.Dropout(0.2, name="dropout_1"),
            layers.Dense(10, activation="softmax", name="dense_2"),
        ]
    else:
        stack = [
            layers.Conv2D(32, 3, activation="relu", name="conv2d_1"),
            layers.MaxPooling2D(2, name="max_pooling2d_1"),
            layers.Conv2D(64, 3, activation="relu", name="conv2d_2"),
            layers.MaxPooling2D(2, name="max_pooling2d_2"),
            layers.Flatten(name="flatten_1"),
            layers.Dropout(0.5, name="dropout_1"),
            layers.Dense(10, activation="softmax", name="dense_1"),
        ]
    net = keras.Sequential([keras.Input(input_shape(model))] + stack, name=model)
    with safe_open(str(weights_path(model)), "np") as f:
        names = set(f.keys())
        for layer in net.layers:
            if not layer.weights:
                continue
            wanted = {f"{layer.name}.kernel", f"{layer.name}.bias"}
            if not wanted <= names:
                raise SystemExit(f"{weights_path(model)} lacks {sorted(wanted - names)}")
            kernel, bias = f"{layer.name}.kernel", f"{layer.name}.bias"
            layer.set_weights([f.get_tensor(kernel), f.get_tensor(bias)])
            names -= wanted
        if names:
            raise SystemExit(f"{weights_path(model)} has tensors no layer takes: {sorted(names)}")
    return net


def architecture(model):
    """The f32 weight file's `liandan.architecture` metadata."""
    with safe_open(str(weights_path(model)), "np") as f:
        return f.metadata()["liandan.architecture"]


def quantize(x, scale, zero_point):
    """The int8 input as liandan computes it, in float32.

    `q = clamp(round_half_away_from_zero(x / scale) + zero_point, -128, 127)`, with `x / scale`
    a float32 division (numpy's `round` rounds halves to even, so it is not used).
    """
    ratio = np.asarray(x, np.float32) / np.float32(scale)
    # trunc and the fraction are exact; adding 0.5 first would round 0.49999997 up to 1.
    whole = np.trunc(ratio)
    rounded = whole + np.sign(ratio) * (np.abs(ratio - whole) >= np.float32(0.5))
    return np.clip(rounded + np.float32(zero_point), -128, 127).astype(np.int8)


DTYPES = {
    np.dtype(np.int8): "I8",
    np.dtype(np.int32): "I32",
    np.dtype(np.int64): "I64",
    np.dtype(np.float32): "F32",
}


def save(tensors, path, metadata):
    """Writes a safetensors file whose bytes depend only on its contents.

    The reference writer's metadata order varies from run to run, so this one lays the file out
    itself: the reference order of tensors (wider elements first, then by name, so every tensor
    is aligned), a compact JSON header with sorted keys padded with spaces to 8 bytes, the
    little-endian data. It reads the file back with the reference reader and stops unless the
    tensors and metadata come back unchanged.
    """
    order = sorted(tensors, key=lambda name: (-tensors[name].dtype.itemsize, name))
    header, data, offset = {"__metadata__": dict(sorted(metadata.items()))}, [], 0
    for name in order:
        t = np.ascontiguousarray(tensors[name], tensors[name].dtype.newbyteorder("<"))
        end = offset + t.nbytes
        header[name] = {
            "dtype": DTYPES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, end],
        }
        data.append(t.tobytes())
        offset = end
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    pathlib.Path(path).write_bytes(len(text).to_bytes(8, "little") + text + b"".join(data))
    back = load_file(str(path))
    with safe_open(str(path), "np") as f:
        same_metadata = f.metadata() == metadata
    if not same_metadata or back.keys() != tensors.keys() or not all(
        back[k].dtype == tensors[k].dtype and np.array_equal(back[k], tensors[k]) for k in tensors
    ):
        raise SystemExit(f"{path}: the reference reader does not read back what was written")
