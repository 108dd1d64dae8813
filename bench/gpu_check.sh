#!/usr/bin/env bash
# The GPU check (issue 15): the `cuda` test tier, then the gpu benchmark preset; under 8 minutes on one H100/H200.
#
#   bench/gpu_check.sh                    # needs a CUDA build of torch in $PYTHON (default .venv/bin/python)
#   SENTENCES=512 bench/gpu_check.sh      # a shorter benchmark
#
# Figures go to stdout and to $OUT (default bench/out): gpu_tests.txt, gpu_bench.txt, gpu_bench_eager.txt.
# The cuda tier needs the conformance kit (../shared or $BOOKVOICE_SHARED); without it those tests skip.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUTDIR=${OUT:-bench/out}
SENTENCES=${SENTENCES:-1536}
mkdir -p "$OUTDIR"
status=0

"$PY" - <<'PY' || exit 2
import torch
assert torch.cuda.is_available(), "no CUDA device visible to torch (a CPU-only torch build?)"
print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, "
      f"{torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB")
PY

echo "== cuda test tier"
timeout 180 "$PY" -m pytest -q -rs -m cuda tests/tts_engine/test_cuda.py 2>&1 | tee "$OUTDIR/gpu_tests.txt"
status=$(( status | ${PIPESTATUS[0]} ))

echo "== bench: gpu preset ($SENTENCES sentences, rows 32-512, CUDA graphs)"
timeout 240 "$PY" -m tts_engine.bench --preset gpu --sentences "$SENTENCES" --no-compare 2>&1 \
    | tee "$OUTDIR/gpu_bench.txt"
status=$(( status | ${PIPESTATUS[0]} ))

echo "== bench: the same at 256 rows without CUDA graphs (what the graphs buy)"
timeout 60 "$PY" -m tts_engine.bench --preset gpu --sentences $(( SENTENCES / 3 )) --batch 256 --no-graphs \
    --no-compare 2>&1 | tee "$OUTDIR/gpu_bench_eager.txt"
status=$(( status | ${PIPESTATUS[0]} ))
exit $status
