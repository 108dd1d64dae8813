"""The conformance CLI on the kit (subprocess), and that it notices a wrong golden value."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from tts_engine.conformance import REL_TOLERANCE, compare, main

REPO = Path(__file__).resolve().parents[2]


def test_the_kit_passes_every_case(kit_dir):
    run = subprocess.run([sys.executable, "-m", "tts_engine.conformance", str(kit_dir)], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    lines = run.stdout.strip().splitlines()
    assert run.returncode == 0, run.stdout + run.stderr
    summary = re.fullmatch(r"(\d+) passed, 0 failed", lines[-1])
    assert summary and int(summary.group(1)) == len(lines) - 1
    for case in sorted(p.stem for p in (kit_dir / "golden").glob("*.npz")):
        assert any(line.split()[1].startswith(case + "/") for line in lines[:-1]), case


def test_a_wrong_golden_value_fails_with_exit_1(kit_dir, tmp_path, capsys):
    (tmp_path / "golden").mkdir()
    (tmp_path / "tiny").symlink_to(kit_dir / "tiny")
    with np.load(kit_dir / "golden" / "gpt_greedy.npz") as golden:
        arrays = dict(golden)
    arrays["tokens"][0, -1] += 1
    np.savez(tmp_path / "golden" / "gpt_greedy.npz", **arrays)
    assert main([str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "1 passed, 1 failed"
    assert any(line.startswith("FAIL") and "gpt_greedy/tokens" in line for line in out)


def test_unknown_golden_files_and_missing_kits_are_not_passes(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    (tmp_path / "golden").mkdir()
    np.savez(tmp_path / "golden" / "vocoder_v9.npz", x=np.zeros(3))
    assert main([str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "0 passed, 1 failed"


def test_compare_uses_exact_integers_and_relative_error_for_floats():
    golden = np.array([1.0, 2.0, 2.0], dtype=np.float32)
    assert compare("f", golden * (1 + 0.5 * REL_TOLERANCE), golden).passed
    assert not compare("f", golden * (1 + 2 * REL_TOLERANCE), golden).passed
    assert not compare("i", np.array([1, 2, 4]), np.array([1, 2, 3])).passed
    assert not compare("s", golden[:2], golden).passed
