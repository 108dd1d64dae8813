"""The English word lists the reference GPT-SoVITS front-end reads: pronouncing dictionary, names, homographs.

``data/reference_dict.tsv.gz`` is the reference's dictionary as it reads it (CMUdict 0.7b first, its second
list for missing words, its hot fixes on top); ``data/reference_names.tsv.gz`` its name list. Homographs
(word -> pronunciation for one part of speech, another otherwise) come from the ``g2p-en`` package's data,
with the reference's two corrections (read, complex). Everything loads on first use.
"""
from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import metadata, resources
from typing import Mapping

DICT_FILE = "reference_dict.tsv.gz"
NAMES_FILE = "reference_names.tsv.gz"
HOMOGRAPH_FILE = "g2p_en/homographs.en"
# The reference's own homograph corrections: word -> (pronunciation for the tag, otherwise, tag prefix).
HOMOGRAPH_FIXES = {
    "read": (("R", "IY1", "D"), ("R", "EH1", "D"), "VBP"),
    "complex": (("K", "AH0", "M", "P", "L", "EH1", "K", "S"), ("K", "AA1", "M", "P", "L", "EH0", "K", "S"), "JJ"),
}
Homograph = tuple[tuple[str, ...], tuple[str, ...], str]


class EnglishDataError(RuntimeError):
    """A data file the English front-end needs is missing or unreadable (a broken installation)."""


def _read_table(name: str) -> dict[str, tuple[str, ...]]:
    path = resources.files("text_prep.en").joinpath("data", name)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return {word: tuple(phones.split()) for word, _, phones in
                    (line.rstrip("\n").partition("\t") for line in handle if not line.startswith("#"))}
    except OSError as exc:
        raise EnglishDataError(f"cannot read English data {name}: {exc}") from None


@lru_cache(maxsize=1)
def pronunciations() -> Mapping[str, tuple[str, ...]]:
    """Lower-cased word -> ARPAbet phones (one pronunciation per word)."""
    return _read_table(DICT_FILE)


@lru_cache(maxsize=1)
def names() -> Mapping[str, tuple[str, ...]]:
    """Lower-cased name -> ARPAbet phones (used for title-case words the dictionary lacks)."""
    return _read_table(NAMES_FILE)


@lru_cache(maxsize=1)
def homographs() -> Mapping[str, Homograph]:
    """Lower-cased homograph -> (phones for the tag, phones otherwise, tag prefix)."""
    try:
        text = metadata.distribution("g2p-en").locate_file(HOMOGRAPH_FILE).read_text(encoding="utf-8")
    except (metadata.PackageNotFoundError, OSError) as exc:
        raise EnglishDataError(f"cannot read the g2p-en homograph list: {exc}") from None
    table: dict[str, Homograph] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        word, first, second, tag = line.strip().split("|")
        table[word.lower()] = (tuple(first.split()), tuple(second.split()), tag)
    table.update(HOMOGRAPH_FIXES)
    return table


def homograph_phones(word: str, tag: str) -> tuple[str, ...]:
    """The homograph's phones for part-of-speech ``tag`` (the reference's rule, prefixes either way)."""
    first, second, wanted = homographs()[word]
    if tag.startswith(wanted) or (len(tag) < len(wanted) and wanted.startswith(tag)):
        return first
    return second
