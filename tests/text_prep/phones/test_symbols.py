"""Symbol tables: identical to the conformance kit's, ids by position, unknown phones -> UNK."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from text_prep.phones.symbols import load_symbols, phones_to_ids


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_tables_equal_the_kit(kit_dir: Path, version: str) -> None:
    kit = json.loads((kit_dir / f"symbols_{version}.json").read_text(encoding="utf-8"))
    assert list(load_symbols(version)) == kit


def test_sizes_and_known_ids() -> None:
    v1, v2 = load_symbols("v1"), load_symbols("v2")
    assert (len(v1), len(v2)) == (322, 732)
    assert v2[:322] == v1
    assert phones_to_ids(["!", ",", "AA", "SP", "UNK", "_", "a1", "i01", "ir1", "…"], "v1") == (
        0, 1, 5, 77, 86, 95, 97, 161, 211, 321)
    assert phones_to_ids(["[", "]"], "v2") == (322, 323)


def test_unknown_phone_maps_to_unk_and_bad_version_raises() -> None:
    assert phones_to_ids(["not-a-phone"], "v2") == (86,)
    with pytest.raises(ValueError, match="v3"):
        load_symbols("v3")
