"""Pronunciation dictionaries for Chinese pinyin: word readings and per-character readings.

Readings come from installed packages, loaded lazily: pypinyin's own phrase and character
tables, and optionally pypinyin-dict's larger phrase sets (CC-CEDICT, large_pinyin, ...).
Everything here is written in tone3 form ("zhang3", ü as "v", neutral tone 5) and in
citation tones: 一 and 不 keep their base tones (yi1, bu4) even where a dictionary writes
the tone they take after sandhi; the G2P front-end applies sandhi later.
"""
from __future__ import annotations

import importlib
import logging
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache

logger = logging.getLogger(__name__)

NEUTRAL_TONE = 5
# combining marks of decomposed tone-marked pinyin -> tone number
_TONE_MARKS = {"\u0304": 1, "\u0301": 2, "\u030c": 3, "\u0300": 4}
_UMLAUT_MARK = "\u0308"
# base readings of the two characters whose tone sandhi some dictionaries write into words
CITATION_READINGS: Mapping[str, str] = {"一": "yi1", "不": "bu4"}

# phrase sources: name -> module holding a ``phrases_dict`` of word -> [[marked pinyin], ...]
PHRASE_SOURCES: Mapping[str, str] = {
    "pypinyin": "pypinyin.phrases_dict",
    "cc_cedict": "pypinyin_dict.phrase_pinyin_data.cc_cedict",
    "large_pinyin": "pypinyin_dict.phrase_pinyin_data.large_pinyin",
    "zdic_cibs": "pypinyin_dict.phrase_pinyin_data.zdic_cibs",
}


class PinyinDataError(RuntimeError):
    """A pinyin data source is unknown or not installed."""


@lru_cache(maxsize=4096)
def to_tone3(marked: str) -> str:
    """Tone-marked pinyin ("lǘ", "ma") -> tone3 ("lv2", "ma5")."""
    tone = NEUTRAL_TONE
    letters = []
    for ch in unicodedata.normalize("NFD", marked.strip().lower()):
        if ch in _TONE_MARKS:
            tone = _TONE_MARKS[ch]
        elif ch == _UMLAUT_MARK:
            letters[-1] = "v"       # u + diaeresis
        else:
            letters.append(ch)
    return "".join(letters) + str(tone)


@lru_cache(maxsize=None)
def _phrase_table(source: str) -> Mapping[str, list[list[str]]]:
    """Import one phrase source (seconds for the large ones, so only on first use)."""
    try:
        module_name = PHRASE_SOURCES[source]
    except KeyError:
        raise PinyinDataError(f"unknown phrase source {source!r}; known: {', '.join(PHRASE_SOURCES)}") from None
    try:
        table = importlib.import_module(module_name).phrases_dict
    except ImportError as exc:
        raise PinyinDataError(f"phrase source {source!r} needs module {module_name}: {exc}") from exc
    logger.debug("loaded phrase source %s: %d words", source, len(table))
    return table


@lru_cache(maxsize=None)
def _char_table() -> Mapping[int, str]:
    """pypinyin's code point -> "reading,reading,..." table, most common reading first."""
    from pypinyin.constants import PINYIN_DICT

    return PINYIN_DICT


@lru_cache(maxsize=65536)
def char_readings(char: str) -> tuple[str, ...]:
    """All known tone3 readings of one character, most common first; () if it has none."""
    if char in CITATION_READINGS:
        return (CITATION_READINGS[char],)
    marked = _char_table().get(ord(char)) if len(char) == 1 else None
    if not marked:
        return ()
    return tuple(dict.fromkeys(to_tone3(r) for r in marked.split(",")))


def char_default(char: str) -> str | None:
    """The most common tone3 reading of a character, or None if it has none."""
    readings = char_readings(char)
    return readings[0] if readings else None


class PhraseDictionary:
    """Word -> citation tone3 readings, from several sources looked up in order."""

    def __init__(self, sources: Sequence[str], max_word_len: int) -> None:
        unknown = [s for s in sources if s not in PHRASE_SOURCES]
        if unknown:
            raise PinyinDataError(f"unknown phrase source(s) {unknown}; known: {', '.join(PHRASE_SOURCES)}")
        self.sources = tuple(sources)
        self.max_word_len = max_word_len
        self._tables = tuple(_phrase_table(s) for s in self.sources)
        self._cache: dict[str, tuple[str, ...] | None] = {}

    def lookup(self, word: str) -> tuple[str, ...] | None:
        """Readings of every character of a multi-character ``word``, or None if no source has it."""
        if word in self._cache:
            return self._cache[word]
        found = None
        if 1 < len(word) <= self.max_word_len:
            for table in self._tables:
                entry = table.get(word)
                if entry is not None and len(entry) == len(word):
                    found = tuple(
                        CITATION_READINGS.get(ch) or to_tone3(syl[0]) for ch, syl in zip(word, entry)
                    )
                    break
        self._cache[word] = found
        return found

    def cover(self, word: str) -> list[str | None]:
        """Per-character readings of ``word``: the whole word if listed, else longest listed pieces.

        Pieces are matched greedily from the left (forward maximum matching); characters that
        no listed piece of two or more characters covers get None.
        """
        whole = self.lookup(word)
        if whole is not None:
            return list(whole)
        out: list[str | None] = [None] * len(word)
        i = 0
        while i < len(word) - 1:
            for j in range(min(len(word), i + self.max_word_len), i + 1, -1):
                piece = self.lookup(word[i:j])
                if piece is not None:
                    out[i:j] = piece
                    i = j
                    break
            else:
                i += 1
        return out
