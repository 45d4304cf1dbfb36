#!/usr/bin/env bash
# The peer frameworks beside liandan on keras.io's "Simple MNIST convnet", one core each:
#
#   bash tools/conv_peers/run.sh
#   ROUNDS=5 LIANDAN_BENCH='target/release/examples/bench conv' bash tools/conv_peers/run.sh
#
# Installs the pinned peers (requirements.txt, constraints.txt) in a virtual environment under
# target/conv_peers, then runs ROUNDS rounds (default 3). Each round runs the SGEMM reference,
# PyTorch (twice: glibc's allocator as it comes, and keeping freed memory in the heap), JAX,
# Keras, ONNX Runtime and, if LIANDAN_BENCH is set, that command, each as its
# own process on core 0 with one thread; the order rotates from round to round. Every line
# goes to target/conv_peers/results.jsonl, and summary.py prints the medians and liandan's
# ratios. LIANDAN_BENCH's stdout must be JSON lines of the peers' schema (README.md); its
# other lines are passed to stderr. Needs Python 3 and PyPI; CI never runs it.
set -euo pipefail
here=tools/conv_peers
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-3}
work=target/conv_peers
py=$work/venv/bin/python
mkdir -p "$work"

# Reinstalls when the pins change.
pins=$(cat "$here/requirements.txt" "$here/constraints.txt")
if [ "$pins" != "$(cat "$work/installed.txt" 2>/dev/null)" ]; then
    rm -rf "$work/venv"
    python3 -m venv "$work/venv"
    "$py" -m pip install --quiet -r "$here/requirements.txt" -c "$here/constraints.txt"
    printf '%s\n' "$pins" > "$work/installed.txt"
fi

# One thread in every library, on one core (taskset below). XLA has no intra-op thread count
# flag (TensorFlow's intra_op_parallelism_threads is not one): Eigen's pool is turned off.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export XLA_FLAGS=--xla_cpu_multi_thread_eigen=false JAX_PLATFORMS=cpu KERAS_BACKEND=jax
export CUDA_VISIBLE_DEVICES= PYTHONDONTWRITEBYTECODE=1
# Older OpenBLAS builds need these on some processors and they slow the current one; NumPy's
# OpenBLAS runs only the SGEMM reference.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

pinned() { taskset -c 0 "$@"; }
keep_heap=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295

run_one() {
    case $1 in
        sgemm) pinned "$py" "$here/sgemm.py" ;;
        pytorch) pinned "$py" "$here/peer_torch.py" ;;
        # glibc hands blocks over 128 KiB back to the system when they are freed, so eager
        # PyTorch maps and faults in every large activation again on every call; this run
        # keeps them in the heap, as an allocator such as jemalloc would.
        pytorch-heap) GLIBC_TUNABLES=$keep_heap pinned "$py" "$here/peer_torch.py" pytorch-heap ;;
        jax) pinned "$py" "$here/peer_jax.py" ;;
        keras) pinned "$py" "$here/peer_keras.py" ;;
        onnxruntime) pinned "$py" "$here/peer_ort.py" ;;
        # Only the JSON lines count; anything else the command prints goes to stderr.
        liandan) pinned bash -c "$LIANDAN_BENCH" | while IFS= read -r line; do
            case $line in
                '{'*) printf '%s\n' "$line" ;;
                *) printf '%s\n' "$line" >&2 ;;
            esac
        done ;;
    esac
}

runs=(sgemm pytorch pytorch-heap jax keras onnxruntime)
if [ -n "${LIANDAN_BENCH:-}" ]; then
    runs+=(liandan)
else
    echo "# LIANDAN_BENCH is unset: peers only" >&2
fi

peers='^(torch|jax|jaxlib|keras|onnxruntime|onnx|numpy)=='
{
    echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(lscpu | sed -n 's/^Model name: *//p')," \
        "$(getconf _NPROCESSORS_ONLN) cores"
    echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg); ROUNDS=$rounds"
    echo "# $("$py" -m pip freeze | grep -E "$peers" | tr '\n' ' ')"
} >&2

# Ratios mean something only if the peers run one model: fails the run if they disagree.
"$py" "$here/check_same.py"

results=$work/results.jsonl
: > "$results"
for ((r = 0; r < rounds; r++)); do
    echo "# round $((r + 1)) of $rounds" >&2
    for ((i = 0; i < ${#runs[@]}; i++)); do
        name=${runs[(i + r) % ${#runs[@]}]}
        if ! run_one "$name" | tee -a "$results"; then
            echo "# $name failed in round $((r + 1)); the other runs go on" >&2
        fi
    done
done
"$py" "$here/summary.py" "$results"
