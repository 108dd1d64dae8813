"""numpy block filters equal scipy's (the references) for any block cut, so flows needs no scipy at run time."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from flows.audio.filters import BiquadCascade, running_mean, running_min
from flows.audio.loudness import k_weighting

pytest.importorskip("scipy", reason="scipy (dev extra) is the reference")
from scipy.ndimage import minimum_filter1d, uniform_filter1d  # noqa: E402
from scipy.signal import sosfilt  # noqa: E402

RUNTIME_PACKAGES = ("flows", "text_prep", "tts_engine")


@pytest.mark.parametrize("n", [1, 2, 5, 219, 220, 221, 441, 1000, 70000])
@pytest.mark.parametrize("size", [2, 3, 220, 441])
def test_running_filters_equal_ndimage(n, size):
    x = np.random.default_rng(n).random(n).astype(np.float32)
    assert np.array_equal(running_min(x, size), minimum_filter1d(x, size=size))
    mean = running_mean(x, size)
    assert mean.dtype == np.float32 and np.allclose(mean, uniform_filter1d(x, size=size), atol=1e-6)


@pytest.mark.parametrize("rate", [16000, 44100, 48000])
def test_biquad_cascade_equals_sosfilt_across_block_cuts(rate):
    rng = np.random.default_rng(rate)
    x = rng.standard_normal(200_000)
    cuts = np.cumsum(rng.choice([1, 2, 3, 7, 300, 65536], size=100))
    cascade = BiquadCascade(k_weighting(rate))
    out = np.concatenate([cascade.filter(piece) for piece in np.split(x, cuts[cuts < x.size])])
    reference = sosfilt(k_weighting(rate), x)
    assert np.max(np.abs(out - reference)) < 1e-5 * np.max(np.abs(reference))


def test_no_runtime_module_imports_scipy():
    root = Path(__file__).resolve().parents[3]
    offenders = []
    for package in RUNTIME_PACKAGES:
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                offenders += [f"{path.relative_to(root)}: {name}" for name in names if name.split(".")[0] == "scipy"]
    assert not offenders
