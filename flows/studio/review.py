"""The studio's review state in ``review.json``: which take of each line was approved, and the seeds tried."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from flows.errors import ProjectError
from flows.store.fsio import atomic_write_text

REVIEW_FILE = "review.json"


@dataclass
class Review:
    """Per line label: the cache key of the approved take, and every seed tried (in the order tried)."""

    approved: dict[str, str] = field(default_factory=dict)
    seeds: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Review":
        """Read ``review.json``; a missing file means nothing reviewed yet."""
        if not path.is_file():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls({str(k): str(v) for k, v in data.get("approved", {}).items()},
                       {str(k): [int(s) for s in v] for k, v in data.get("seeds", {}).items()})
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise ProjectError(path, f"cannot read the review state: {exc}") from exc

    def save(self, path: Path) -> None:
        """Write ``review.json`` atomically."""
        data = {"approved": dict(sorted(self.approved.items())), "seeds": dict(sorted(self.seeds.items()))}
        atomic_write_text(path, json.dumps(data, indent=1) + "\n")

    def tried(self, label: str, current: int) -> list[int]:
        """Seeds tried for ``label``, the current one included."""
        seeds = list(self.seeds.get(label, []))
        return seeds if current in seeds else seeds + [current]

    def record(self, label: str, current: int, seed: int) -> None:
        """Remember that ``seed`` was tried after ``current``."""
        seeds = self.tried(label, current)
        self.seeds[label] = seeds if seed in seeds else seeds + [seed]

    def is_approved(self, label: str, key: str) -> bool:
        """Whether the take now in use (``key``) is the approved one."""
        return self.approved.get(label) == key


def review_path(project_root: Path) -> Path:
    """Where a project keeps its review state."""
    return Path(project_root) / REVIEW_FILE
