"""Medians over the rounds of a run, and liandan's ratio against each peer.

    python summary.py RESULTS.jsonl

reads the JSON lines every round printed and prints, per (peer, task, batch), the median over
the rounds of each field, then the SGEMM reference, then, if liandan's lines are there, its
ratio against each peer on each (task, batch): throughput per wall second (from the median
call) and per CPU-second. A ratio above 1 means liandan is faster. The medians are also
written beside the input as medians.jsonl.
"""
import json
import os
import statistics
import sys
from collections import defaultdict

FIELDS = ("samples_per_s", "us_per_batch", "cpu_s", "wall_s")


def read(path):
    groups, sgemm = defaultdict(list), []
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r["task"] == "sgemm":
                sgemm.append(r)
            else:
                groups[(r["peer"], r["task"], r["batch"])].append(r)
    return groups, sgemm


def medians(groups):
    out = {}
    for key, rows in groups.items():
        m = {f: statistics.median(r[f] for r in rows) for f in FIELDS}
        m["rounds"] = len(rows)
        # The spread over the rounds of the per-CPU-second throughput, samples/s.
        per_cpu = [r["batch"] / r["cpu_s"] for r in rows]
        m["per_cpu_min"], m["per_cpu_max"] = min(per_cpu), max(per_cpu)
        # cpu_s is CPU seconds per call: a figure 20 times the median call's wall time is a
        # loop total written by mistake, and would make the per-CPU-second ratios meaningless.
        if m["cpu_s"] > 20 * m["us_per_batch"] * 1e-6:
            print(f"warning: {key}: cpu_s should be seconds per call, not the loop's total")
        out[key] = m
    return out


def table(med):
    print(f"{'peer':<12} {'task':<8} {'batch':>5} {'rounds':>6} {'us/batch':>11} "
          f"{'samples/s':>10} {'per CPU-s':>10} {'min-max over rounds':>19} {'CPU/wall':>8}")
    by_figure = sorted(med.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0]))
    for (peer, task, batch), m in by_figure:
        print(f"{peer:<12} {task:<8} {batch:>5} {m['rounds']:>6} {m['us_per_batch']:>11.1f} "
              f"{m['samples_per_s']:>10.0f} {batch / m['cpu_s']:>10.0f} "
              f"{m['per_cpu_min']:>9.0f}-{m['per_cpu_max']:<9.0f} "
              f"{m['cpu_s'] / m['wall_s']:>8.2f}")


def ratios(med):
    ours = {(t, b): m for (p, t, b), m in med.items() if p == "liandan"}
    if not ours:
        print("\nliandan: no lines (LIANDAN_BENCH unset or printed none), no ratios")
        return
    print("\nliandan against each peer (above 1: liandan faster)")
    print(f"{'task':<8} {'batch':>5} {'peer':<12} {'wall ratio':>10} {'CPU ratio':>10}")
    for (task, batch), m in sorted(ours.items()):
        for (peer, t, b), pm in sorted(med.items()):
            if peer == "liandan" or (t, b) != (task, batch):
                continue
            wall = m["samples_per_s"] / pm["samples_per_s"]
            cpu = pm["cpu_s"] / m["cpu_s"]
            print(f"{task:<8} {batch:>5} {peer:<12} {wall:>10.2f} {cpu:>10.2f}")


def main():
    path = sys.argv[1]
    groups, sgemm = read(path)
    med = medians(groups)
    print(f"\nmedians over the rounds ({path})")
    table(med)
    if sgemm:
        g = statistics.median(r["gflops"] for r in sgemm)
        c = statistics.median(r["gflops_per_cpu_s"] for r in sgemm)
        print(f"\nSGEMM 1024^3 f32, one thread ({sgemm[0]['blas']}), {len(sgemm)} rounds: "
              f"{g:.1f} GFLOP/s wall, {c:.1f} GFLOP per CPU-second")
    ratios(med)
    with open(os.path.join(os.path.dirname(path), "medians.jsonl"), "w") as f:
        for (peer, task, batch), m in sorted(med.items()):
            f.write(json.dumps({"peer": peer, "task": task, "batch": batch, **m}) + "\n")


if __name__ == "__main__":
    main()
