"""Keras on the parts examples/mnist.rs and examples/mnist_cnn.rs use, one run per seed.

    python run.py [--convnet] DATA_DIR SPLITS_DIR SEED...

trains Keras' beginner MNIST model (batch 32, 10 epochs) or, with --convnet, keras.io's
"simple MNIST convnet" as keras.io trains it (Adam, batch 128, 15 epochs), and

prints one JSON line per seed. Everything but the split (initial weights, shuffles, dropout
masks) comes from Keras' own generator, seeded with keras.utils.set_random_seed(SEED).
"""
import gzip
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    assert raw[2] == 0x08, "expected unsigned bytes"
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def dense():
    """Keras' beginner model, and how examples/mnist.rs trains it: batch 32, 10 epochs."""
    layers = [
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ]
    return keras.Sequential(layers), 32, 10


def convnet():
    """keras.io's simple MNIST convnet, and how keras.io trains it: batch 128, 15 epochs."""
    layers = [
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ]
    return keras.Sequential(layers), 128, 15


def run(data, splits, seed, build):
    # As liandan scales pixels: an f64 division, then f32.
    images = read_idx(f"{data}/mnist-10k-images-idx3-ubyte.gz")
    x = (images.astype(np.float64) / 255.0).astype(np.float32)
    y = read_idx(f"{data}/mnist-10k-labels-idx1-ubyte.gz").astype(np.int64)
    with open(f"{splits}/seed{seed}.json") as f:
        parts = json.load(f)
    train, evaluation, test = (np.array(parts[k]) for k in ("train", "eval", "test"))
    keras.utils.set_random_seed(seed)
    model, batch_size, epochs = build()
    x = x.reshape((-1,) + model.input_shape[1:])
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    model.fit(
        x[train],
        y[train],
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(x[evaluation], y[evaluation]),
        verbose=0,
    )
    loss, accuracy = model.evaluate(x[test], y[test], verbose=0)
    print(json.dumps({"seed": seed, "test_loss": loss, "test_accuracy": accuracy}), flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    build = dense
    if args and args[0] == "--convnet":
        build, args = convnet, args[1:]
    data, splits, *seeds = args
    for seed in seeds:
        run(data, splits, int(seed), build)
