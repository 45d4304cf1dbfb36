#!/usr/bin/env bash
# Runs one of the Keras 3 reference scripts in this folder, in a virtual environment under
# target/ with the pinned versions tools/keras_baseline uses:
#
#   bash tools/keras_reference/run.sh bce.py
#
# The scripts print the values liandan's tests compare against; CI uses the values written
# into the tests, never Keras itself. Needs Python 3 and network access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/keras_reference/venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "jax[cpu]==0.10.2" "keras==3.15.1"
fi
KERAS_BACKEND=jax "$venv/bin/python" "tools/keras_reference/$1"
