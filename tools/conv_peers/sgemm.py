"""The single-core SGEMM reference: NumPy's 1024x1024x1024 float32 product on one BLAS thread.

Prints one JSON line with the median GFLOP/s (2 * 1024^3 FLOP per product) and the BLAS
library and kernel that threadpoolctl reports.
"""
import json
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

N = 1024
RUNS = 15


def main():
    g = np.random.default_rng(0)
    a, b = (g.random((N, N), dtype=np.float32) for _ in range(2))
    c = np.empty((N, N), np.float32)
    with threadpool_limits(1):
        np.matmul(a, b, out=c)
        times = []
        cpu0 = time.process_time()
        for _ in range(RUNS):
            t = time.perf_counter()
            np.matmul(a, b, out=c)
            times.append(time.perf_counter() - t)
        cpu = (time.process_time() - cpu0) / RUNS
    blas = [
        f"{i['internal_api']} {i.get('version')} {i.get('architecture')}"
        for i in threadpool_info()
    ]
    line = {
        "peer": "numpy",
        "task": "sgemm",
        "batch": N,
        "gflops": 2 * N**3 / statistics.median(times) / 1e9,
        "gflops_per_cpu_s": 2 * N**3 / cpu / 1e9,
        "blas": "; ".join(blas),
    }
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
