#!/usr/bin/env bash
# liandan-serve against ONNX Runtime behind FastAPI/uvicorn, on the same machine and the same
# requests (KServe v2 infer, one bundled MNIST digit each), for the seed MNIST network and the
# convnet: throughput and p50/p99 latency at 1, 16 and 64 concurrent clients, measured by
# serve/examples/loadgen.rs; then liandan-serve again measured by wrk (Debian's `wrk`, with
# kserve.lua posting the first digit), a load generator in C whose own share of the cores is
# smaller, if it is installed.
#
#   bash tools/serve_bench/run.sh [SECONDS] [MODELS]    (default: 10 per measurement, "mnist convnet")
#
# Installs the pinned Python packages (requirements.txt) in a virtual environment under
# target/, exports the committed weights to ONNX, and runs each server in turn on a loopback
# port. Needs Python 3 and network access to PyPI. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-10}"
models="${2:-mnist convnet}"
work=target/serve_bench
mkdir -p "$work"
if [ ! -x "$work/venv/bin/uvicorn" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install --quiet -r tools/serve_bench/requirements.txt
fi
cargo build --quiet --release -p liandan-serve --example serve-mnist --example serve-convnet --example loadgen

# The example, the weight file and one sample's dimensions of each model.
declare -A example=([mnist]=serve-mnist [convnet]=serve-convnet)
declare -A weights=([mnist]=ffi/weights/mnist.safetensors [convnet]=ffi/weights/convnet.safetensors)
declare -A dims=([mnist]=28,28 [convnet]=28,28,1)

# Waits until the server at $1 answers model $2's infer with a 200.
wait_for() {
    for _ in $(seq 100); do
        curl -sf -o /dev/null -XPOST "http://$1/v2/models/$2/infer" -H "content-type: application/json" \
            -d @"$work/$2.json" && return
        sleep 0.2
    done
    echo "no server at $1" >&2
    exit 1
}

pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true' EXIT
stop() { kill -TERM $pid; wait $pid || true; pid=; }

for model in $models; do
    "$work/venv/bin/python" tools/serve_bench/export_onnx.py "${weights[$model]}" "$work/$model.onnx"
    python3 tools/serve_bench/body.py data/mnist/mnist-10k-images-idx3-ubyte.gz "${dims[$model]}" > "$work/$model.json"
    load() { target/release/examples/loadgen --address "$1" --model "$model" --shape "${dims[$model]}" --seconds "$seconds"; }

    echo "## $model: liandan-serve (--batch-size 16 --max-wait-us 200)"
    target/release/examples/"${example[$model]}" --address 127.0.0.1:18080 2>/dev/null &
    pid=$!
    wait_for 127.0.0.1:18080 "$model"
    load 127.0.0.1:18080
    if command -v wrk > /dev/null; then
        echo
        echo "## $model: liandan-serve, measured by wrk (1 thread at 1 client, 2 threads otherwise)"
        for clients in 1 16 64; do
            threads=$([ "$clients" = 1 ] && echo 1 || echo 2)
            echo "### $clients clients"
            BODY="$work/$model.json" wrk -t"$threads" -c"$clients" -d"${seconds}s" --latency \
                -s tools/serve_bench/kserve.lua "http://127.0.0.1:18080/v2/models/$model/infer" |
                grep -E "^ +(50|99)%|Requests/sec"
        done
    fi
    stop

    echo
    echo "## $model: ONNX Runtime behind FastAPI (uvicorn, its default single worker)"
    (cd tools/serve_bench && MODEL="$model" MODEL_ONNX="../../$work/$model.onnx" \
        exec "../../$work/venv/bin/uvicorn" server:app --port 18081 --log-level warning) &
    pid=$!
    wait_for 127.0.0.1:18081 "$model"
    load 127.0.0.1:18081
    stop
    echo
done
