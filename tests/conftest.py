"""Shared fixtures: where ../shared lives (or BOOKVOICE_SHARED), skipping cleanly when absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_root() -> Path | None:
    """The shared material folder, or None when this checkout has none beside it."""
    env = os.environ.get("BOOKVOICE_SHARED")
    candidate = Path(env) if env else REPO.parent / "shared"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (or $BOOKVOICE_SHARED); skips the test when it is absent."""
    root = shared_root()
    if root is None:
        pytest.skip("shared material not found: put it at ../shared or set BOOKVOICE_SHARED")
    return root


@pytest.fixture(scope="session")
def kit_dir(shared_dir: Path) -> Path:
    """The GPT-SoVITS conformance kit."""
    return shared_dir / "gsv-conformance"


@pytest.fixture(scope="session")
def corpora_dir(shared_dir: Path) -> Path:
    """External test corpora."""
    return shared_dir / "corpora"


@pytest.fixture(scope="session")
def pretrained_configs_dir(shared_dir: Path) -> Path:
    """Real configs/tokenizers of the base models (no weights)."""
    return shared_dir / "pretrained-configs"


@pytest.fixture(autouse=True)
def _private_user_cache(tmp_path_factory, monkeypatch) -> None:
    """Keep bookvoice's user-level cache (remembered digests) out of the real home folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
