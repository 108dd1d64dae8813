"""A rewrite rule (regex + replacement) compiled lazily on first use, and a pipeline runner."""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Replacement = Callable[[re.Match[str]], str]


@functools.lru_cache(maxsize=None)
def compiled(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """The compiled form of ``pattern`` (compiled once, on first use)."""
    return re.compile(pattern, flags)


@dataclass(frozen=True)
class Rule:
    """One normalisation step: every match of ``pattern`` is replaced by ``replace(match)``."""

    name: str
    pattern: str
    replace: Replacement
    flags: int = 0

    def apply(self, text: str) -> str:
        """``text`` with every match of this rule rewritten."""
        return compiled(self.pattern, self.flags).sub(self.replace, text)


def apply_rules(text: str, rules: Iterable[Rule]) -> str:
    """Run ``rules`` over ``text`` in order."""
    for rule in rules:
        text = rule.apply(text)
    return text


def squeeze_spaces(text: str) -> str:
    """Runs of blanks collapsed to one space, ends stripped."""
    return compiled(r"[ \t]{2,}").sub(" ", text).strip()
