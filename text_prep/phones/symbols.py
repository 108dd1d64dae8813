"""GPT-SoVITS phone-symbol tables (v1: 322 symbols, v2: 732) and phone -> id mapping."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Iterable, Mapping

VERSIONS = ("v1", "v2")
PUNCTUATION = ("!", "?", "…", ",", ".", "-")   # the only punctuation phones either table knows
UNKNOWN = "UNK"


def check_version(version: str) -> str:
    """Return ``version`` if it names a symbol table, else raise ValueError."""
    if version not in VERSIONS:
        raise ValueError(f"unknown symbol-table version {version!r}; expected one of {', '.join(VERSIONS)}")
    return version


@lru_cache(maxsize=None)
def load_symbols(version: str) -> tuple[str, ...]:
    """The ordered symbol table of ``version`` (id = position)."""
    check_version(version)
    text = resources.files("text_prep").joinpath("data", f"symbols_{version}.json").read_text(encoding="utf-8")
    return tuple(json.loads(text))


@lru_cache(maxsize=None)
def symbol_ids(version: str) -> Mapping[str, int]:
    """Symbol -> id for ``version``."""
    return {symbol: i for i, symbol in enumerate(load_symbols(version))}


def phones_to_ids(phones: Iterable[str], version: str) -> tuple[int, ...]:
    """Map phones to ids of ``version``'s table; a phone it lacks becomes ``UNK`` (as the reference does)."""
    table = symbol_ids(version)
    unknown = table[UNKNOWN]
    return tuple(table.get(phone, unknown) for phone in phones)
