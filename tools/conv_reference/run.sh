#!/usr/bin/env bash
# Runs one of the reference scripts in this folder, in a virtual environment under target/ with
# the pinned Keras and JAX of tools/keras_reference, plus the reference safetensors package and
# the numpy whose random generator made the fixtures:
#
#   bash tools/conv_reference/run.sh golden.py
#   bash tools/conv_reference/run.sh convnet_fixture.py
#
# The scripts write files that are committed; CI uses those, never Python. Needs Python 3,
# rustfmt (golden.py lays out its Rust output with it) and network access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/conv_reference/venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "jax[cpu]==0.10.2" "keras==3.15.1" "safetensors==0.8.0" \
        "numpy==2.4.6"
fi
KERAS_BACKEND=jax "$venv/bin/python" "tools/conv_reference/$1" "${@:2}"
