"""Per-project pronunciation lexicon: word -> pinyin (zh) or word -> ARPAbet / respelling (en), applied first.

Plain text (any suffix but .toml), one entry a line, ``#`` starts a comment::

    长公主  chang2 gong1 zhu3
    tomato  T AH0 M EY1 T OW2
    Hermione = her my oh nee        # '=' separates when the word has spaces

TOML: ``"word" = "pronunciation"`` at top level or inside ``[zh]`` / ``[en]`` tables (TOML needs quotes
around non-ASCII keys such as Chinese words).
A Chinese word needs one tone3 syllable per character (5 = neutral); the reading is used as written
(no tone sandhi). An English word takes ARPAbet phones with stress digits, or a respelling in plain
letters that is read by the English G2P instead of the word.
"""
from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from text_prep.errors import LexiconError
from text_prep.en.g2p import ARPABET
from text_prep.zh.pinyin_phones import PinyinError, syllable_phones

_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+$")
_LATIN_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9'\- ]*$")
_RESPELLING = re.compile(r"^[A-Za-z][A-Za-z'\- ]*$")


@dataclass(frozen=True)
class ZhEntry:
    """A Chinese word with its reading, one tone3 syllable per character."""

    word: str
    pinyins: tuple[str, ...]


@dataclass(frozen=True)
class EnEntry:
    """An English word with either its ARPAbet phones or a respelling to read instead."""

    word: str
    phones: tuple[str, ...] = ()
    respelling: str = ""


LexiconPiece = str | ZhEntry | EnEntry


def _parse_entry(word: str, pron: str) -> ZhEntry | EnEntry:
    """Validate one entry; raise ValueError with the problem."""
    word, tokens = word.strip(), pron.split()
    if not word or not tokens:
        raise ValueError("expected a word and its pronunciation")
    if _HAN.match(word):
        if len(tokens) != len(word):
            raise ValueError(f"{word}: {len(word)} characters but {len(tokens)} pinyin syllables")
        for syllable in tokens:
            try:
                syllable_phones(syllable)
            except PinyinError as exc:
                raise ValueError(str(exc)) from None
        return ZhEntry(word, tuple(t.lower() for t in tokens))
    if not _LATIN_WORD.match(word):
        raise ValueError(f"{word!r}: a word must be all Chinese characters or all Latin letters")
    if all(t in ARPABET for t in tokens):
        return EnEntry(word, phones=tuple(tokens))
    if any(t.isupper() and any(c.isdigit() for c in t) for t in tokens):
        bad = next(t for t in tokens if t not in ARPABET)
        raise ValueError(f"{word}: {bad!r} is not an ARPAbet phone")
    if not _RESPELLING.match(" ".join(tokens)):
        raise ValueError(f"{word}: a respelling may use only letters, spaces, ' and -")
    return EnEntry(word, respelling=" ".join(tokens))


def _plain_entries(text: str) -> list[tuple[int, str, str]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" in line:
            word, _, pron = line.partition("=")
        else:
            word, pron = (re.split(r"\s+", line, maxsplit=1) + [""])[:2]
        rows.append((number, word.strip(), pron.strip()))
    return rows


def _toml_entries(text: str) -> list[tuple[int, str, str]]:
    data = tomllib.loads(text)
    lines = text.splitlines()

    def line_of(key: str) -> int:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        return next((i for i, line in enumerate(lines, start=1) if pattern.match(line)), 0)

    rows = []
    for key, value in data.items():
        table = value if isinstance(value, dict) and key in ("zh", "en") else {key: value}
        for word, pron in table.items():
            if not isinstance(pron, str):
                raise _LineProblem(line_of(word), f"{word}: the pronunciation must be a string")
            rows.append((line_of(word), word, pron))
    return rows


class _LineProblem(ValueError):
    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line


@dataclass(frozen=True)
class Lexicon:
    """User pronunciations: Chinese words -> pinyin, English words (case-insensitive) -> phones or respelling."""

    zh: Mapping[str, ZhEntry] = field(default_factory=lambda: MappingProxyType({}))
    en: Mapping[str, EnEntry] = field(default_factory=lambda: MappingProxyType({}))   # keys lowercased

    @classmethod
    def empty(cls) -> "Lexicon":
        """A lexicon with no entries."""
        return cls()

    @classmethod
    def load(cls, path: str | Path) -> "Lexicon":
        """Read a plain-text or TOML (.toml) lexicon; raise LexiconError with the path and line on bad input."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise LexiconError(path, f"cannot read lexicon: {exc}") from None
        try:
            rows = _toml_entries(text) if path.suffix.lower() == ".toml" else _plain_entries(text)
        except tomllib.TOMLDecodeError as exc:
            raise LexiconError(path, f"invalid TOML: {exc}") from None
        except _LineProblem as exc:
            raise LexiconError(path, f"line {exc.line}: {exc}") from None
        zh: dict[str, ZhEntry] = {}
        en: dict[str, EnEntry] = {}
        for line, word, pron in rows:
            try:
                entry = _parse_entry(word, pron)
            except ValueError as exc:
                raise LexiconError(path, f"line {line}: {exc}") from None
            if isinstance(entry, ZhEntry):
                zh[entry.word] = entry
            else:
                en[entry.word.lower()] = entry
        return cls(MappingProxyType(zh), MappingProxyType(en))

    def __bool__(self) -> bool:
        return bool(self.zh or self.en)

    def __reduce__(self) -> tuple:
        """Picklable (read-only views become plain dicts on the way): front-ends run in worker processes."""
        return (_rebuild_lexicon, (dict(self.zh), dict(self.en)))

    def fingerprint(self) -> str:
        """A stable hash of the entries (for cache keys); the empty lexicon has a fixed value."""
        canon = {
            "zh": {w: list(e.pinyins) for w, e in sorted(self.zh.items())},
            "en": {w: [list(e.phones), e.respelling] for w, e in sorted(self.en.items())},
        }
        blob = json.dumps(canon, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self:
            return None
        keys = sorted(list(self.zh) + [e.word for e in self.en.values()], key=len, reverse=True)
        alternatives = [re.escape(k) if k in self.zh else rf"(?<![A-Za-z])(?i:{re.escape(k)})(?![A-Za-z])"
                        for k in keys]
        return re.compile("|".join(alternatives))

    def split(self, text: str) -> list[LexiconPiece]:
        """Cut ``text`` into plain strings and the lexicon entries found in it (longest match first)."""
        pattern = self._pattern
        if pattern is None:
            return [text] if text else []
        pieces: list[LexiconPiece] = []
        last = 0
        for match in pattern.finditer(text):
            if match.start() > last:
                pieces.append(text[last:match.start()])
            found = match.group()
            pieces.append(self.zh[found] if found in self.zh else self.en[found.lower()])
            last = match.end()
        if last < len(text):
            pieces.append(text[last:])
        return pieces


def _rebuild_lexicon(zh: dict[str, ZhEntry], en: dict[str, EnEntry]) -> Lexicon:
    """Unpickle a ``Lexicon`` with read-only views again."""
    return Lexicon(MappingProxyType(zh), MappingProxyType(en))
