"""Shared by the GPT-SoVITS flow tests: the demo project read by a voice added with `voice add`, and a job spy."""
from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
import tomli_w
from typer.testing import CliRunner

from flows.cli import app
from tests.flows.conftest import REPO

FAST = {"max_retries": 0, "max_tokens_per_phone": 1.0, "budget_slack": 0}   # random weights never say EOS


def demo_with_profile(tmp_path: Path, profile: str, add_args: list[str]) -> tuple[Path, str]:
    """A copy of the demo project whose voice is `profile`, added by `voice add PROFILE ADD_ARGS --project`;
    the project folder and what `voice add` printed."""
    root = tmp_path / "demo"
    shutil.copytree(REPO / "projects" / "demo", root, ignore=shutil.ignore_patterns("out", "cache", ".bookvoice"))
    added = CliRunner().invoke(app, ["voice", "add", profile, *add_args, "--project", str(root)])
    assert added.exit_code == 0 and (root / "voices" / f"{profile}.toml").is_file(), added.output
    config = tomllib.loads((root / "project.toml").read_text(encoding="utf-8"))
    config["voice"] = {"engine": "gpt-sovits", "profile": profile, "settings": FAST}
    config["render"] = {**config.get("render", {}), "device": "cpu"}
    (root / "project.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    return root, added.output


@pytest.fixture
def spy(monkeypatch):
    """Records every job the GPT-SoVITS engine synthesises; ``spy.crash_after = n`` makes it fail after n."""
    from flows.engines.gsv import GSVVoiceEngine

    class Spy:
        jobs: list = []
        crash_after: int | None = None

    real = GSVVoiceEngine.synthesize

    def synthesize(self, jobs):
        for result in real(self, jobs):
            if Spy.crash_after is not None and len(Spy.jobs) >= Spy.crash_after:
                raise RuntimeError("simulated crash")
            Spy.jobs.append(next(job for job in jobs if job.key == result.key))
            yield result

    Spy.jobs = []
    monkeypatch.setattr(GSVVoiceEngine, "synthesize", synthesize)
    return Spy
