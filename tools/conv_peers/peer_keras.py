"""Keras 3 on JAX: the convnet as keras.io builds it, `train_on_batch` and `predict_on_batch`.

Both take NumPy arrays, as a Keras user hands them over, so the figures include Keras' own
conversion to JAX arrays and its dispatch around the jitted function.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import common  # noqa: E402


def model():
    """keras.io's "Simple MNIST convnet", layer for layer."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def train(net):
    b = common.TRAIN_BATCH
    xs, ys = common.images(b, 10), common.labels(b, 10)
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

    def call(i):
        net.train_on_batch(xs[i % common.DISTINCT], ys[i % common.DISTINCT])

    common.measure("keras", "train", b, call)


def predict(net, batch):
    xs = common.images(batch, 20 + batch)

    def call(i):
        net.predict_on_batch(xs[i % common.DISTINCT])

    common.measure("keras", "predict", batch, call)


def main():
    assert keras.backend.backend() == "jax", keras.backend.backend()
    keras.utils.set_random_seed(0)
    net = model()
    common.check_params("keras", net.count_params())
    train(net)
    for batch in common.PREDICT_BATCHES:
        predict(net, batch)


if __name__ == "__main__":
    main()
