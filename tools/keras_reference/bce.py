"""Keras 3's binary cross-entropy in float64: the loss and its gradient with respect to the
predictions, for the values src/loss/binary_cross_entropy.rs tests against.

    bash tools/keras_reference/run.sh bce.py

Samples are rows here (Keras' layout) and columns in liandan; the gradient is of the mean over
the batch, so it is liandan's `∂L/∂y` for `n` = the batch's size.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402

keras.config.set_floatx("float64")


def bce(t, p):
    """`keras.losses.BinaryCrossentropy()`: Keras' backend op, averaged over the outputs
    (`keras.losses.binary_crossentropy`) and then over the batch (`"sum_over_batch_size"`).
    Written out from the op, with numpy means, because Keras' own means round to float32."""
    return jnp.mean(jnp.mean(keras.ops.binary_crossentropy(t, p), axis=-1))


def show(name, y_true, y_pred):
    t, p = jnp.array(y_true, jnp.float64), jnp.array(y_pred, jnp.float64)
    loss = bce(t, p)
    assert loss.dtype == jnp.float64
    grad = jax.grad(lambda q: bce(t, q))(p)
    print(f"{name}: loss {float(loss)!r}")
    print(f"{name}: gradient {[float(g) for g in grad.ravel()]!r}")


print(f"keras {keras.__version__}, jax {jax.__version__}, backend {keras.backend.backend()}")
# A confident miss, and the teaching values -ln 0.8 and ln 2.
show("miss", [[1.0]], [[0.0]])
show("p=0.8", [[1.0]], [[0.8]])
show("p=0.5", [[1.0]], [[0.5]])
# Keras' docstring example.
show("docstring", [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
# Three samples of two outputs, one with a soft target.
show("batch", [[1.0, 1.0], [0.0, 1.0], [0.0, 0.25]], [[0.8, 0.5], [0.3, 0.9], [0.1, 0.6]])
