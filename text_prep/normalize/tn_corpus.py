"""Scoring normalisation against WeTextProcessing-style test files ("WRITTEN => SPOKEN" lines)."""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SEPARATOR = "=>"


@dataclass(frozen=True)
class TnPair:
    """One test line: its category (the file name), written input and expected spoken form."""

    category: str
    written: str
    spoken: str


@dataclass(frozen=True)
class CategoryScore:
    """Passed/total for one category, with the failing pairs and what was produced for them."""

    category: str
    passed: int
    total: int
    failures: tuple[tuple[TnPair, str], ...]

    @property
    def rate(self) -> float:
        """Fraction passed (1.0 for an empty category)."""
        return self.passed / self.total if self.total else 1.0


def load_pairs(folder: Path) -> list[TnPair]:
    """All pairs of the ``*.txt`` files in ``folder`` (one language), sorted by category."""
    pairs = []
    for path in sorted(folder.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            written, sep, spoken = line.partition(SEPARATOR)
            if sep:
                pairs.append(TnPair(path.stem, written.removesuffix(" "), spoken.removeprefix(" ")))
    return pairs


def spoken_key(text: str) -> str:
    """The comparison form: no whitespace, punctuation or symbols, case-folded."""
    return "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] not in "PS"
    ).casefold()


def score(pairs: list[TnPair], normalize: Callable[[str], str]) -> list[CategoryScore]:
    """Per-category scores of ``normalize`` on ``pairs``."""
    results: dict[str, tuple[int, int, list[tuple[TnPair, str]]]] = {}
    for pair in pairs:
        passed, total, failures = results.get(pair.category, (0, 0, []))
        produced = normalize(pair.written)
        if spoken_key(produced) == spoken_key(pair.spoken):
            passed += 1
        else:
            failures.append((pair, produced))
        results[pair.category] = (passed, total + 1, failures)
    return [CategoryScore(name, p, t, tuple(f)) for name, (p, t, f) in sorted(results.items())]


def overall(scores: list[CategoryScore]) -> float:
    """Fraction of all pairs passed."""
    total = sum(s.total for s in scores)
    return sum(s.passed for s in scores) / total if total else 1.0
