#!/usr/bin/env bash
# Install bookvoice WITHOUT extras into a fresh venv and render the demo with it: proves every runtime
# import is a declared dependency (test-only packages live in the dev extra).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
work=$(mktemp -d)
trap 'BOOKVOICE_PREFECT_HOME="$work/prefect" "$work/venv/bin/bookvoice" server stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$PY" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q "torch==2.13.0"
"$work/venv/bin/python" -m pip install -q .
cp -r projects/demo "$work/demo"
rm -rf "$work/demo/out" "$work/demo/cache" "$work/demo/.bookvoice"
cd "$work"     # not the checkout: imports must come from the installed package
env -u PREFECT_API_URL BOOKVOICE_PREFECT_HOME="$work/prefect" "$work/venv/bin/bookvoice" render -q demo
ls demo/out/*.mp3 >/dev/null
echo "bare install: demo rendered ($(ls demo/out/*.mp3 | wc -l) chapter files)"
