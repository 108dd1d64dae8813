"""Cutting over-long sentences at clause punctuation, then word boundaries, so the TTS model stays stable."""
from __future__ import annotations

import re
from dataclasses import dataclass

from text_prep.zh.jieba_words import jieba_module
from text_prep.ingest.spacing import CJK_LETTERS

DEFAULT_MAX_CJK_CHARS = 50
DEFAULT_MAX_WORDS = 30

_WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+(?:['’.\-][A-Za-z0-9\u00c0-\u024f]+)*")  # a Latin-script word
_CLOSERS = "”’\"'」』）)]】》〉"
# (pattern, tier): a cut goes right after the match; lower tiers are preferred when nearly as balanced.
_CLAUSE_ENDS = (
    (re.compile(rf"(?:[；：﹔﹕]|[;:](?=\s))[{re.escape(_CLOSERS)}]*"), 0),
    (re.compile(rf"(?:[，、﹐]|,(?=\s)|——|—|\s[–-](?=\s))[{re.escape(_CLOSERS)}]*"), 1),
)
_TIER_PENALTY = 0.1  # how much balance a comma cut must win by to beat a semicolon cut
_SPACE = re.compile(r"\s+")
_HAS_CJK = re.compile(f"[{CJK_LETTERS}]")


@dataclass(frozen=True)
class SentenceLimits:
    """Longest sentence before it is cut: CJK characters and Latin words (a mixed sentence counts pro rata)."""

    max_cjk_chars: int = DEFAULT_MAX_CJK_CHARS
    max_words: int = DEFAULT_MAX_WORDS

    def __post_init__(self) -> None:
        if self.max_cjk_chars < 2 or self.max_words < 2:
            raise ValueError(f"sentence limits must be at least 2, got {self}")

    def load(self, text: str) -> float:
        """Length of ``text`` as a fraction of the limit (1.0 = exactly at the limit)."""
        return len(_HAS_CJK.findall(text)) / self.max_cjk_chars + len(_WORD.findall(text)) / self.max_words


def split_long(sentence: str, limits: SentenceLimits) -> list[str]:
    """Cut ``sentence`` into pieces within ``limits``, at semicolons/commas first, never inside a word."""
    if limits.load(sentence) <= 1.0:
        return [sentence]
    cut = _best_cut(sentence, limits)
    if cut is None:
        return [sentence]
    left, right = sentence[:cut].strip(), sentence[cut:].strip()
    return split_long(left, limits) + split_long(right, limits)


def _best_cut(sentence: str, limits: SentenceLimits) -> int | None:
    """The cut offset that leaves the most balanced halves, or None when no word boundary exists."""
    candidates = [(m.end(), tier) for pattern, tier in _CLAUSE_ENDS for m in pattern.finditer(sentence)]
    if not candidates:
        candidates = [(offset, 0) for offset in _word_boundaries(sentence)]
    best: tuple[float, int] | None = None
    for offset, tier in candidates:
        left, right = limits.load(sentence[:offset]), limits.load(sentence[offset:])
        if left == 0 or right == 0:
            continue
        score = max(left, right) + _TIER_PENALTY * tier
        if best is None or score < best[0]:
            best = (score, offset)
    return None if best is None else best[1]


def _word_boundaries(sentence: str) -> list[int]:
    """Offsets between words: spaces for Latin text, jieba word boundaries when CJK is present."""
    if not _HAS_CJK.search(sentence):
        return [m.start() for m in _SPACE.finditer(sentence)]
    return [end for _, _, end in jieba_module().tokenize(sentence)][:-1]

