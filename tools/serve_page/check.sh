#!/usr/bin/env bash
# The page at `GET /` in headless Chromium: for each of the first COUNT bundled test digits,
# the page paints the digit on its canvas (`?digit=`) and classifies it through the server as a
# drawing would be (scaled into a 20-pixel box, centred by mass); the class it shows is checked
# against the network's class for the values the page sent (asked of the server directly,
# `POST /v2/models/mnist/infer`), and the class of the digit as bundled is shown. Writes a
# screenshot of the page with the first digit to target/serve_page/page.png.
#
#   bash tools/serve_page/check.sh [COUNT]     (default: 20)
#
# Needs Debian's `chromium` (apt-get install chromium), python3 and curl; CI (.ci/run) installs
# chromium and runs it with a small COUNT. Each run of the browser gets a fresh profile and none
# of its own network traffic (no QUIC, updates, sync or background requests): on a machine
# with no route out, those are refused and can hold a headless page back.
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${1:-20}"
work=target/serve_page
mkdir -p "$work"
browser=$(command -v chromium || command -v chromium-browser) || { echo "no chromium" >&2; exit 1; }
# The debug build: the one `cargo test --workspace` already made, fast enough for a page.
cargo build --quiet -p liandan-serve --example serve-mnist
target/debug/examples/serve-mnist --address 127.0.0.1:18090 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:18090/v2/health/ready && break; sleep 0.2; done
chrome() {
    local profile
    profile=$(mktemp -d "$work/profile.XXXXXX")
    "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --virtual-time-budget=10000 "$@" 2>/dev/null
    rm -rf "$profile"
}
python3 tools/serve_page/digits.py data/mnist/mnist-10k-images-idx3-ubyte.gz 0 "$count" > "$work/digits.txt"
# The network's class for 784 values (a JSON array on standard input), by KServe v2.
predict() {
    sed 's/^/{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 28, 28], "data": /; s/$/}]}/' |
        curl -s -XPOST http://127.0.0.1:18090/v2/models/mnist/infer -d @- |
        python3 -c 'import json, sys; p = json.load(sys.stdin)["outputs"][0]["data"]; print(p.index(max(p)))'
}
failures=0
while read -r index digit; do
    url="http://127.0.0.1:18090/?digit=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$digit")"
    chrome --dump-dom "$url" > "$work/dom.html"
    shown=$(sed -n 's/.*data-shown="\([0-9]*\)".*/\1/p' "$work/dom.html")
    # The network's class for the very values the page sent, and for the digit as bundled.
    sent=$(sed -n 's/.*<pre id="sent" hidden="">\(\[[^]]*\]\)<\/pre>.*/\1/p' "$work/dom.html")
    expected=$(echo "$sent" | predict)
    raw=$(python3 -c 'import base64, sys; print([v / 255 for v in base64.b64decode(sys.argv[1])])' "$digit")
    bundled=$(echo "$raw" | predict)
    if [ "$shown" = "$expected" ]; then verdict=ok; else verdict=MISMATCH; failures=$((failures + 1)); fi
    echo "digit $index: page shows ${shown:-nothing}, network says $expected on what it sent: $verdict (on the digit as bundled: $bundled)"
    if [ "$index" = 0 ]; then chrome --window-size=900,440 --screenshot="$work/page.png" "$url"; fi
done < "$work/digits.txt"
echo "$failures of $count differ; screenshot: $work/page.png"
[ "$failures" = 0 ]
