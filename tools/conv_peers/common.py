"""What every peer shares: the model's shape, the inputs, the timing loop and the JSON line.

The model is keras.io's "Simple MNIST convnet":

    Input 28x28x1 -> Conv2D(32, 3x3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3x3, relu)
    -> MaxPooling2D(2) -> Flatten -> Dropout(0.5) -> Dense(10, softmax)

Parameters: 3*3*1*32 + 32 = 320, 3*3*32*64 + 64 = 18,496, 5*5*64*10 + 10 = 16,010; 34,826.
"""
import json
import statistics
import sys
import time

import numpy as np

PARAMS = 34_826
TRAIN_BATCH = 32
PREDICT_BATCHES = (1, 256)
# Distinct batches a timed loop cycles through, so no peer trains on one batch over and over
# (that drives gradients towards subnormal floats, which some CPUs compute slowly).
DISTINCT = 8


def check_params(peer, count):
    """Stops the run if a peer's model does not have the convnet's parameter count."""
    if count != PARAMS:
        sys.exit(f"{peer}: {count} parameters, expected {PARAMS}")
    print(f"# {peer}: {count} parameters", file=sys.stderr)


def images(batch, seed):
    """`DISTINCT` batches of uniform pixels in [0, 1), NHWC, float32."""
    g = np.random.default_rng(seed)
    return [g.random((batch, 28, 28, 1), dtype=np.float32) for _ in range(DISTINCT)]


def labels(batch, seed):
    """`DISTINCT` batches of class indices in 0..10, int32."""
    g = np.random.default_rng(seed + 1)
    return [g.integers(0, 10, batch, dtype=np.int32) for _ in range(DISTINCT)]


def measure(peer, task, batch, call, min_seconds=1.0, min_calls=30, warmup_seconds=0.3):
    """Times `call(i)` (i counts calls) and prints one JSON line.

    The first call (compilation, caches) and `warmup_seconds` of calls are not timed.
    The timed loop lasts at least `min_seconds` and `min_calls` calls. `us_per_batch` is the
    median call's wall time and `samples_per_s` follows from it; `wall_s` and `cpu_s` are the
    loop's mean wall and CPU seconds per call (`time.process_time`: every thread of the
    process), so `batch / cpu_s` is the throughput per CPU-second.
    """
    call(0)
    i = 1
    start = time.perf_counter()
    while time.perf_counter() - start < warmup_seconds:
        call(i)
        i += 1
    times = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - wall0 < min_seconds:
        t = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - t)
        i += 1
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    median = statistics.median(times)
    line = {
        "peer": peer,
        "task": task,
        "batch": batch,
        "samples_per_s": batch / median,
        "us_per_batch": median * 1e6,
        "cpu_s": cpu / len(times),
        "wall_s": wall / len(times),
    }
    print(json.dumps(line), flush=True)
