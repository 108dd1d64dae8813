"""Chosen takes: per-sentence seed overrides recorded by ``bookvoice rerender`` in ``takes.json``."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from flows.errors import ProjectError
from flows.store.fsio import atomic_write_text

SEED_MODULUS = 2**31


def text_digest(text: str) -> str:
    """Short hash of a sentence's text: a take only applies while the sentence reads the same."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Takes:
    """Seed overrides keyed by sentence label (``"3.0.2"`` or ``"3.title"``)."""

    seeds: dict[str, tuple[int, str]] = field(default_factory=dict)   # label -> (seed, text digest)

    def seed_for(self, label: str, text: str) -> int | None:
        """The forced seed for this sentence, if one was chosen for exactly this text."""
        entry = self.seeds.get(label)
        return entry[0] if entry and entry[1] == text_digest(text) else None

    def choose(self, label: str, text: str, seed: int) -> None:
        """Record ``seed`` as the take for this sentence."""
        self.seeds[label] = (seed % SEED_MODULUS, text_digest(text))

    @classmethod
    def load(cls, path: Path) -> "Takes":
        """Read ``takes.json``; a missing file means no overrides."""
        if not path.is_file():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls({label: (int(v["seed"]), str(v["text"])) for label, v in data.items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ProjectError(path, f"cannot read takes: {exc}") from exc

    def save(self, path: Path) -> None:
        """Write ``takes.json`` atomically."""
        data = {label: {"seed": seed, "text": digest} for label, (seed, digest) in sorted(self.seeds.items())}
        atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
