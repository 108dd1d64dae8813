"""The benchmark runs end to end with full-size v2 random models in its CI preset and prints its figures."""
from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
import torch

from tts_engine import bench


@pytest.mark.slow
def test_ci_preset_prints_stage_figures_and_overall_last():
    out = io.StringIO()
    workload = replace(bench.PRESETS["ci"], sentences=2, batches=(2,))
    best = bench.run(workload, torch.device("cpu"), bench.default_precision(torch.device("cpu")), kit=None,
                     with_bert=False, compare=False, out=out)
    lines = out.getvalue().strip().splitlines()
    assert re.match(r"batch +2: (BERT \S+ \S+ )?GPT [\d.]+s \([\d.]+x\) SoVITS [\d.]+s \([\d.]+x\) \| total [\d.]+s = [\d.]+x "
                    r"real time .*load [\d.]+ \| peak mem \d+ MB", lines[-3])
    assert re.match(r" +GPT \d+ tokens/s, \d+ stream\(s\), \d+ steps of [\d.]+ ms \| busy: GPT \d+%, SoVITS \d+%", lines[-2])
    assert lines[-1].startswith(f"overall: {best:.2f}x real time (batch 2, cpu") and best > 0


def test_realistic_lengths_follow_the_preset():
    import numpy as np

    lengths = bench.sentence_lengths(bench.PRESETS["book"], np.random.default_rng(0))
    phones = [p for p, _ in lengths]
    assert len(lengths) == bench.PRESETS["book"].sentences and min(phones) >= 8 and max(phones) <= 150
    assert len(set(phones)) > 10 and all(t >= 11 for _, t in lengths)
    assert bench.sentence_lengths(bench.PRESETS["ref2core"], np.random.default_rng(0))[0] == (40, 100)


def test_goals_are_reported_as_met_or_not():
    lines = bench.goal_lines(bench.PRESETS["ref2core"], {1: 1.3, 4: 2.0, 16: 3.1})
    assert lines == ["goal best batch >= 3.2x real time: 3.10x NOT met", "goal batch 1 >= 1.2x real time: 1.30x met"]
    assert bench.goal_lines(bench.PRESETS["ci"], {1: 1.0}) == []
    assert bench.PRESETS["gpu"].batches == (32, 64, 128, 256, 512)
