#!/usr/bin/env bash
# liandan-serve against ONNX Runtime behind FastAPI/uvicorn, on the same machine and the same
# requests (KServe v2 infer, one bundled MNIST digit each): throughput and p50/p99 latency at
# 1, 16 and 64 concurrent clients, measured by serve/examples/loadgen.rs.
#
#   bash tools/serve_bench/run.sh [SECONDS]     (default: 10 per measurement)
#
# Installs the pinned Python packages (requirements.txt) in a virtual environment under
# target/, exports the committed MNIST weights to ONNX, and runs each server in turn on a
# loopback port. Needs Python 3 and network access to PyPI. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-10}"
work=target/serve_bench
mkdir -p "$work"
if [ ! -x "$work/venv/bin/uvicorn" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install --quiet -r tools/serve_bench/requirements.txt
fi
"$work/venv/bin/python" tools/serve_bench/export_onnx.py ffi/weights/mnist.safetensors "$work/mnist.onnx"
cargo build --quiet --release -p liandan-serve --example serve-mnist --example loadgen

wait_for() {
    for _ in $(seq 100); do
        curl -sf -o /dev/null -XPOST "http://$1/v2/models/mnist/infer" -H "content-type: application/json" \
            -d '{"inputs":[{"name":"input","shape":[1,28,28],"datatype":"FP32","data":['"$(printf '0,%.0s' $(seq 783))"'0]}]}' && return
        sleep 0.2
    done
    echo "no server at $1" >&2
    exit 1
}

echo "## liandan-serve (--batch-size 16 --max-wait-us 200)"
target/release/examples/serve-mnist --address 127.0.0.1:18080 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_for 127.0.0.1:18080
target/release/examples/loadgen --address 127.0.0.1:18080 --seconds "$seconds"
kill -TERM $pid; wait $pid || true

echo
echo "## ONNX Runtime behind FastAPI (uvicorn, its default single worker)"
(cd tools/serve_bench && MNIST_ONNX="../../$work/mnist.onnx" \
    "../../$work/venv/bin/uvicorn" server:app --port 18081 --log-level warning) &
pid=$!
wait_for 127.0.0.1:18081
target/release/examples/loadgen --address 127.0.0.1:18081 --seconds "$seconds"
kill -TERM $pid; wait $pid || true
