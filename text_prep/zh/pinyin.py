"""Citation pinyin of Chinese text, with polyphones resolved from words and sentence context.

Each Chinese character collects evidence, then one precedence rule decides:

1. phrase: jieba splits the text into words; a word of two or more characters listed in the
   curated phrase dictionary (pypinyin's own; failing the whole word, its longest listed
   pieces) gives its characters' readings. Grammar rules (``polyphone_rules``) count as
   phrase evidence too.
2. fallback phrase: the same lookup in a larger, noisier phrase list (CC-CEDICT).
3. model: g2pM's BiLSTM scores the readings of every polyphonic character from the sentence.
4. default: the character's most common reading.

Precedence: a curated phrase reading wins; the model decides between it and nothing else
only when that reading is not among the ones the model knows for the character (a rare
or odd dictionary reading). A fallback phrase reading wins unless the model is nearly sure
of another reading (probability >= ``model_override_prob``). Then the model, then the
default. The curated dictionary is never overridden because the model, trained on
encyclopedic text, is confidently wrong on words common in fiction (着急 zhao2, not zhe5).
Tones are citation tones, before tone sandhi (一 yi1, 不 bu4); None marks characters with
no reading (not Chinese).
"""
from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from text_prep.zh.jieba_words import jieba_module
from text_prep.zh.polyphone_dict import PHRASE_SOURCES, PhraseDictionary, char_default
from text_prep.zh.polyphone_lstm import PolyphoneLSTM, load_polyphone_lstm
from text_prep.zh.polyphone_rules import rule_readings

# where a long text may be cut into separate model passes: after sentence-final punctuation
_CLAUSE_END = re.compile(r"(?<=[。！？；!?;…\n])")


@dataclass(frozen=True)
class PinyinOptions:
    """How citation pinyin is chosen; validated once, here."""

    phrase_sources: tuple[str, ...] = ("pypinyin",)        # curated: never overridden
    fallback_sources: tuple[str, ...] = ("cc_cedict",)    # larger: the model may override
    max_word_len: int = 8                 # longest dictionary word tried
    use_model: bool = True
    model_override_prob: float = 0.999    # model replaces a phrase reading only when this sure
    max_context: int = 256                # characters per BiLSTM pass
    jieba_hmm: bool = False               # let jieba group unknown words
    match_pieces: bool = True             # unlisted words: read their longest listed pieces

    def __post_init__(self) -> None:
        unknown = [s for s in self.phrase_sources + self.fallback_sources if s not in PHRASE_SOURCES]
        if unknown:
            raise ValueError(f"unknown phrase sources {unknown}; known: {sorted(PHRASE_SOURCES)}")
        if not 0.0 < self.model_override_prob <= 1.0 + 1e-9:
            raise ValueError(f"model_override_prob must be in (0, 1], got {self.model_override_prob}")
        if self.max_word_len < 2 or self.max_context < 1:
            raise ValueError("max_word_len must be >= 2 and max_context >= 1")


class Method(str, enum.Enum):
    """Which evidence gave a character its reading."""

    PHRASE = "phrase"
    FALLBACK = "fallback"
    MODEL_OVER_FALLBACK = "model>fallback"
    MODEL = "model"
    DEFAULT = "default"
    NONE = "none"


@dataclass(frozen=True)
class CharEvidence:
    """What is known about one character's reading before deciding."""

    char: str
    phrase: str | None        # curated dictionary or grammar rule
    fallback: str | None      # larger phrase list
    default: str | None
    model: Mapping[str, float] = field(default_factory=dict)   # reading -> probability


def decide(ev: CharEvidence, model_override_prob: float) -> tuple[str | None, Method]:
    """Apply the precedence rule to one character's evidence."""
    best = max(ev.model, key=ev.model.__getitem__) if ev.model else None

    def usable(reading: str | None) -> bool:
        return reading is not None and (best is None or reading in ev.model)

    if usable(ev.phrase):
        return ev.phrase, Method.PHRASE
    if usable(ev.fallback):
        if best is not None and best != ev.fallback and ev.model[best] >= model_override_prob:
            return best, Method.MODEL_OVER_FALLBACK
        return ev.fallback, Method.FALLBACK
    if best is not None:
        return best, Method.MODEL
    return ev.default, (Method.DEFAULT if ev.default is not None else Method.NONE)


def _model_chunks(text: str, max_context: int) -> list[tuple[int, int]]:
    """Cut ``text`` into (start, end) spans of at most ``max_context`` characters, at clause ends when possible."""
    spans: list[tuple[int, int]] = []
    start = end = 0
    for piece in _CLAUSE_END.split(text):
        if end - start + len(piece) > max_context and end > start:
            spans.append((start, end))
            start = end
        end += len(piece)
        while end - start > max_context:
            spans.append((start, start + max_context))
            start += max_context
    if end > start:
        spans.append((start, end))
    return spans


class PinyinConverter:
    """Chinese text -> citation tone3 pinyin per character, following ``PinyinOptions``."""

    def __init__(self, options: PinyinOptions | None = None) -> None:
        self.options = options or PinyinOptions()
        self._phrases = PhraseDictionary(self.options.phrase_sources, self.options.max_word_len)
        self._fallback = PhraseDictionary(self.options.fallback_sources, self.options.max_word_len)
        self._model: PolyphoneLSTM | None = load_polyphone_lstm() if self.options.use_model else None

    def _segment(self, text: str) -> list[str]:
        """jieba words of ``text`` (their concatenation is ``text``)."""
        return jieba_module().lcut(text, HMM=self.options.jieba_hmm)

    def _model_scores(self, text: str, needed: Sequence[bool]) -> dict[int, Mapping[str, float]]:
        """Reading probabilities for the polyphonic characters of ``text`` at ``needed`` positions."""
        if self._model is None:
            return {}
        readings = self._model.readings
        scores: dict[int, Mapping[str, float]] = {}
        for start, end in _model_chunks(text, self.options.max_context):
            positions = [i for i in range(start, end) if needed[i] and text[i] in readings]
            if not positions:
                continue
            probs = self._model.scores(text[start:end], [i - start for i in positions])
            scores.update((i, p) for i, p in zip(positions, probs) if p)
        return scores

    def evidence(self, text: str, words: Sequence[str] | None = None,
                 score_all: bool = False) -> list[CharEvidence]:
        """Evidence for every character of ``text``.

        ``words`` (jieba-style, joining to ``text``) skips segmentation. The model scores only
        characters whose curated phrase reading is missing or one it does not know (elsewhere
        the phrase wins anyway), unless ``score_all``; a text needing no scores skips the model.
        """
        if words is None:
            words = self._segment(text)
        elif "".join(words) != text:
            raise ValueError("words must join to the text")
        phrase = self._word_readings(self._phrases, words)
        for i, reading in rule_readings(text).items():
            if phrase[i] is None:
                phrase[i] = reading
        fallback = self._word_readings(self._fallback, words)
        known = self._model.readings if self._model is not None else {}
        needed = [score_all or p is None or p not in known.get(ch, (p,)) for ch, p in zip(text, phrase)]
        model = self._model_scores(text, needed)
        return [
            CharEvidence(ch, phrase[i], fallback[i], char_default(ch), model.get(i, {}))
            for i, ch in enumerate(text)
        ]

    def _word_readings(self, phrases: PhraseDictionary, words: Sequence[str]) -> list[str | None]:
        """Per-character readings that ``phrases`` gives the words (None where it gives none)."""
        out: list[str | None] = []
        for word in words:
            if len(word) < 2 or not phrases.sources:
                out.extend([None] * len(word))
            elif self.options.match_pieces:
                out.extend(phrases.cover(word))
            else:
                out.extend(phrases.lookup(word) or [None] * len(word))
        return out

    def decide_all(self, evidence: Sequence[CharEvidence]) -> list[tuple[str | None, Method]]:
        """Readings and the deciding method for a sequence of evidence."""
        return [decide(ev, self.options.model_override_prob) for ev in evidence]

    def sentence(self, text: str, words: Sequence[str] | None = None) -> list[str | None]:
        """Citation tone3 pinyin per character of ``text``; None where a character has no reading."""
        if not text:
            return []
        return [reading for reading, _ in self.decide_all(self.evidence(text, words))]


@lru_cache(maxsize=1)
def default_converter() -> PinyinConverter:
    """The shared converter with default options (built on first use: loads dictionaries and model)."""
    return PinyinConverter()


def sentence_pinyin(text: str) -> list[str | None]:
    """Citation pinyin (tone3, neutral 5, before sandhi) per character; None for non-Chinese characters."""
    return default_converter().sentence(text)


def word_pinyin(words: list[str]) -> list[list[str | None]]:
    """Like ``sentence_pinyin`` for a sentence already split into words, grouped by word."""
    flat = default_converter().sentence("".join(words), words)
    out, i = [], 0
    for word in words:
        out.append(flat[i:i + len(word)])
        i += len(word)
    return out


def citation_pinyin_line(line: str) -> str:
    """One space-separated token per character: tone3 pinyin for Chinese, the character itself otherwise."""
    return " ".join(r if r is not None else ch for ch, r in zip(line, sentence_pinyin(line)))
