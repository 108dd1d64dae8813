"""Traditional -> Simplified Chinese (OpenCC phrase tables), applied only to text that needs it."""
from __future__ import annotations

import functools
from pathlib import Path

import opencc

CONVERSION = "t2s"
TRADITIONAL_TABLE = "TSCharacters.txt"  # traditional -> simplified, one character per line
SIMPLIFIED_TABLE = "STCharacters.txt"  # simplified -> traditional


def _single_characters(table: Path) -> set[str]:
    """First-column entries of one OpenCC table that are single characters."""
    with table.open(encoding="utf-8") as lines:
        return {key for key in (line.split("\t", 1)[0] for line in lines) if len(key) == 1}


@functools.lru_cache(maxsize=1)
def traditional_only() -> frozenset[str]:
    """Characters that are traditional forms and never simplified ones (so their presence is a sure sign)."""
    tables = Path(opencc.__file__).parent / "dictionary"
    return frozenset(_single_characters(tables / TRADITIONAL_TABLE) - _single_characters(tables / SIMPLIFIED_TABLE))


@functools.lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    """The OpenCC t2s converter, built on first use."""
    return opencc.OpenCC(CONVERSION)


def to_simplified(text: str) -> str:
    """``text`` in Simplified Chinese; text without traditional-only characters is returned unchanged."""
    if traditional_only().isdisjoint(text):
        return text
    return _converter().convert(text)
