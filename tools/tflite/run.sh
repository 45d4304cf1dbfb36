#!/usr/bin/env bash
# TFLite's int8 reference for liandan's two trained networks, and TFLite as a speed peer:
#
#   bash tools/tflite/run.sh                        # convert.py, then bench.py
#   bash tools/tflite/run.sh convert.py [MODELS]    # the fixtures in tests/fixtures/int8/
#   bash tools/tflite/run.sh bench.py [ROUNDS]      # the interpreter's speed, one core
#   LIANDAN_BENCH='target/release/examples/bench --json "int8 predict"' \
#       bash tools/tflite/run.sh bench.py 5         # liandan beside it, in the same run
#
# Installs the pins (requirements.txt, constraints.txt) in a virtual environment under
# target/tflite, again whenever the pins change; TFLITE_VENV=<dir> runs an existing environment
# as it is instead. convert.py writes the committed fixtures; bench.py runs on core 0 with one
# thread, a round at a time, alternating with LIANDAN_BENCH (its stdout's JSON lines, the
# peers' schema) when that is set; the lines go to target/tflite/bench.jsonl and
# tools/conv_peers/summary.py prints their medians and liandan's ratios. Needs Python 3 and PyPI; CI never runs it.
set -euo pipefail
here=tools/tflite
cd "$(dirname "$0")/../.."
work=target/tflite
mkdir -p "$work"

if [ -n "${TFLITE_VENV:-}" ]; then
    venv=$TFLITE_VENV
else
    venv=$work/venv
    pins=$(cat "$here/requirements.txt" "$here/constraints.txt")
    if [ "$pins" != "$(cat "$work/installed.txt" 2>/dev/null)" ]; then
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt" \
            -c "$here/constraints.txt"
        printf '%s\n' "$pins" > "$work/installed.txt"
    fi
fi
py=$venv/bin/python

export KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES=
export PYTHONDONTWRITEBYTECODE=1
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

convert() { "$py" "$here/convert.py" "$@"; }

# One round: the interpreter (bench.py, one round) and, if LIANDAN_BENCH is set, that
# command, each as its own process on core 0, the order alternating from round to round. Only
# JSON lines count; anything else the liandan command prints goes to stderr.
bench_round() {
    local r=$1 runs=(tflite)
    if [ -n "${LIANDAN_BENCH:-}" ]; then
        runs=(tflite liandan)
        [ $((r % 2)) = 1 ] && runs=(liandan tflite)
    fi
    for run in "${runs[@]}"; do
        case $run in
            tflite) taskset -c 0 "$py" "$here/bench.py" 1 ;;
            liandan) taskset -c 0 bash -c "$LIANDAN_BENCH" | while IFS= read -r line; do
                case $line in
                    '{'*) printf '%s\n' "$line" ;;
                    *) printf '%s\n' "$line" >&2 ;;
                esac
            done ;;
        esac
    done
}

bench() {
    local rounds=${1:-3}
    echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(lscpu | sed -n 's/^Model name: *//p')," \
        "$(getconf _NPROCESSORS_ONLN) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    local pins='^(tensorflow.*|ai-edge-litert|numpy)=='
    echo "# $("$py" -m pip freeze | grep -E "$pins" | tr '\n' ' ')" >&2
    [ -n "${LIANDAN_BENCH:-}" ] || echo "# LIANDAN_BENCH is unset: TFLite only" >&2
    : > "$work/bench.jsonl"
    for ((r = 0; r < rounds; r++)); do
        echo "# round $((r + 1)) of $rounds" >&2
        bench_round "$r" | tee -a "$work/bench.jsonl"
    done
    "$py" tools/conv_peers/summary.py "$work/bench.jsonl"
}

case ${1:-all} in
    convert.py) convert "${@:2}" ;;
    bench.py) bench "${@:2}" ;;
    all) convert && bench ;;
    *) echo "usage: $0 [convert.py [MODELS] | bench.py [ROUNDS]]" >&2; exit 2 ;;
esac
