#!/usr/bin/env bash
# Keras against liandan on the same MNIST splits: test accuracy per seed, and a summary.
#
#   bash tools/keras_baseline/run.sh [SEED...]                  (default: seeds 1 to 20)
#   MODEL=convnet bash tools/keras_baseline/run.sh [SEED...]    (examples/mnist_cnn.rs)
#
# Installs Keras 3 with the JAX backend (CPU) in a virtual environment under target/, exports
# the splits examples/mnist.rs makes, trains Keras on each one core, single-threaded, then
# runs examples/mnist.rs (or, with MODEL=convnet, examples/mnist_cnn.rs) with the same seeds. Needs Python 3 and network access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds=("${@:-}")
if [ -z "${seeds[0]}" ]; then seeds=($(seq 1 20)); fi
model=${MODEL:-dense}
case "$model" in
    dense) example=mnist; flag=() ;;
    convnet) example=mnist_cnn; flag=(--convnet) ;;
    *) echo "MODEL is dense or convnet, not $model" >&2; exit 2 ;;
esac
work=target/keras_baseline
mkdir -p "$work"
if [ ! -x "$work/venv/bin/python" ]; then
    python3 -m venv "$work/venv"
    # The versions the README's comparison was measured with.
    "$work/venv/bin/pip" install --quiet "jax[cpu]==0.10.2" "keras==3.15.1"
fi
cargo run --quiet --release --manifest-path tools/keras_baseline/export_splits/Cargo.toml \
    --target-dir "$work/target" -- data/mnist "$work/splits" "${seeds[@]}"
export KERAS_BACKEND=jax XLA_FLAGS=--xla_cpu_multi_thread_eigen=false OMP_NUM_THREADS=1
"$work/venv/bin/python" tools/keras_baseline/run.py "${flag[@]}" data/mnist "$work/splits" \
    "${seeds[@]}" | tee "$work/keras-$model.jsonl"
cargo build --quiet --release --example "$example"
: > "$work/liandan-$model.txt"
for s in "${seeds[@]}"; do
    acc=$(target/release/examples/"$example" --seed "$s" --out "$work/$example" \
        | sed -n 's/^test: .*accuracy: //p')
    echo "liandan seed $s: $acc" | tee -a "$work/liandan-$model.txt"
done
"$work/venv/bin/python" - "$work" "$model" <<'PY'
import json, statistics, sys
work, model = sys.argv[1:]
keras = [json.loads(l)["test_accuracy"] for l in open(f"{work}/keras-{model}.jsonl")]
ours = [float(l.split()[-1]) for l in open(f"{work}/liandan-{model}.txt")]
for name, v in (("keras", keras), ("liandan", ours)):
    print(f"{name:8} n={len(v)} mean {statistics.mean(v):.4f} median {statistics.median(v):.4f} "
          f"min {min(v):.4f} max {max(v):.4f} below 0.95: {sum(a < 0.95 for a in v)}")
PY
