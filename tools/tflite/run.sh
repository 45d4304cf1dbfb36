#!/usr/bin/env bash
# TFLite's int8 reference for liandan's two trained networks, and TFLite as a speed peer:
#
#   bash tools/tflite/run.sh                        # convert.py, then bench.py
#   bash tools/tflite/run.sh convert.py [MODELS]    # the fixtures in tests/fixtures/int8/
#   bash tools/tflite/run.sh bench.py [ROUNDS]      # the interpreter's speed, one core
#
# Installs the pins (requirements.txt, constraints.txt) in a virtual environment under
# target/tflite, again whenever the pins change; TFLITE_VENV=<dir> runs an existing environment
# as it is instead. convert.py writes the committed fixtures; bench.py runs on core 0 with one
# thread, its JSON lines go to target/tflite/bench.jsonl and tools/conv_peers/summary.py
# prints their medians. Needs Python 3 and PyPI; CI never runs it.
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

bench() {
    echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(lscpu | sed -n 's/^Model name: *//p')," \
        "$(getconf _NPROCESSORS_ONLN) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    local pins='^(tensorflow.*|ai-edge-litert|numpy)=='
    echo "# $("$py" -m pip freeze | grep -E "$pins" | tr '\n' ' ')" >&2
    taskset -c 0 "$py" "$here/bench.py" "$@" | tee "$work/bench.jsonl"
    "$py" tools/conv_peers/summary.py "$work/bench.jsonl"
}

case ${1:-all} in
    convert.py) convert "${@:2}" ;;
    bench.py) bench "${@:2}" ;;
    all) convert && bench ;;
    *) echo "usage: $0 [convert.py [MODELS] | bench.py [ROUNDS]]" >&2; exit 2 ;;
esac
