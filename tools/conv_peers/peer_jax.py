"""JAX with jit: the convnet's training step (hand-written Adam, cross-entropy) and inference.

Everything the step does (forward, dropout, loss, gradients, Adam) is one jitted function
whose parameter and moment buffers are donated, so XLA updates them in place.
"""
import jax
import jax.numpy as jnp
import numpy as np

import common

DIMS = ("NHWC", "HWIO", "NHWC")


def init(seed):
    """Glorot-uniform kernels and zero biases, Keras' defaults."""
    g = np.random.default_rng(seed)

    def glorot(shape, fan_in, fan_out):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return jnp.asarray(g.uniform(-limit, limit, shape).astype(np.float32))

    return {
        "c1": glorot((3, 3, 1, 32), 9, 9 * 32),
        "b1": jnp.zeros(32),
        "c2": glorot((3, 3, 32, 64), 9 * 32, 9 * 64),
        "b2": jnp.zeros(64),
        "d": glorot((1600, 10), 1600, 10),
        "bd": jnp.zeros(10),
    }


def conv_relu_pool(x, k, b):
    y = jax.lax.conv_general_dilated(x, k, (1, 1), "VALID", dimension_numbers=DIMS)
    y = jax.nn.relu(y + b)
    return jax.lax.reduce_window(y, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def logits(p, x, key=None):
    h = conv_relu_pool(x, p["c1"], p["b1"])
    h = conv_relu_pool(h, p["c2"], p["b2"]).reshape(x.shape[0], -1)
    if key is not None:
        # Inverted dropout at rate 0.5: keep with probability 0.5, scale by 2.
        h = jnp.where(jax.random.bernoulli(key, 0.5, h.shape), h * 2.0, 0.0)
    return h @ p["d"] + p["bd"]


def loss(p, x, y, key):
    z = logits(p, x, key)
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(z), y[:, None], axis=1))


def adam_step(p, m, v, t, x, y, key, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7):
    """One step of Adam as Keras writes it: eps added to sqrt(v_hat)."""
    g = jax.grad(loss)(p, x, y, key)
    t = t + 1
    m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
    v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
    scale = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
    p = jax.tree.map(lambda p, m, v: p - scale * m / (jnp.sqrt(v) + eps), p, m, v)
    return p, m, v, t


def train(p):
    b = common.TRAIN_BATCH
    xs = [jax.device_put(x) for x in common.images(b, 10)]
    ys = [jax.device_put(y) for y in common.labels(b, 10)]
    step = jax.jit(adam_step, donate_argnums=(0, 1, 2))
    zeros = jax.tree.map(jnp.zeros_like, p)
    state = [jax.tree.map(jnp.copy, p), zeros, jax.tree.map(jnp.copy, zeros), jnp.float32(0)]
    key = jax.random.key(0)

    def call(i):
        k = jax.random.fold_in(key, i)
        j = i % common.DISTINCT
        state[:] = step(*state, xs[j], ys[j], k)
        jax.block_until_ready(state[0])

    common.measure("jax", "train", b, call)


def predict(p, batch):
    xs = [jax.device_put(x) for x in common.images(batch, 20 + batch)]
    forward = jax.jit(lambda p, x: jax.nn.softmax(logits(p, x)))

    def call(i):
        forward(p, xs[i % common.DISTINCT]).block_until_ready()

    common.measure("jax", "predict", batch, call)


def main():
    p = init(0)
    common.check_params("jax", sum(a.size for a in jax.tree.leaves(p)))
    train(p)
    for batch in common.PREDICT_BATCHES:
        predict(p, batch)


if __name__ == "__main__":
    main()
