"""Citation pinyin of Chinese text, with polyphones resolved from words and sentence context.

Each Chinese character collects evidence, then one precedence rule decides:

1. model: a polyphone model scores the readings of every polyphonic character from the whole
   sentence (g2pM's BiLSTM, or g2pW when pulled; see ``polyphone_g2pw``).
2. dictionaries: jieba splits the text into words; the curated phrase dictionary (pypinyin's)
   and a larger list (CC-CEDICT) each read the listed word covering a character (the whole word,
   or its longest listed pieces); grammar rules (``polyphone_rules``) give a few particle readings.
3. default: the character's most common reading.

Precedence: the model is trusted, unless its top probability is below ``model_trust_prob``
and the dictionaries give an *unambiguous* word reading it knows (``dictionary_evidence``:
"both" = the curated dictionary and CC-CEDICT read the word the same way; "agree" = one reads it
and the other does not contradict it; "phrase" = any dictionary reading).
Characters the model does not score are read from the dictionaries, then by default.
The two settings were chosen by k-fold cross-validation over the CPP dev split with the
one-standard-error rule (the least dictionary intervention within one standard error of the
best), because a dictionary layer tuned on dev scored below the model alone on held-out text
(bench/bench_polyphone.py prints every fold). Tones are citation tones, before tone sandhi
(一 yi1, 不 bu4); None marks characters with no reading (not Chinese).
"""
from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from text_prep.zh.jieba_words import jieba_module
from text_prep.zh.polyphone_dict import PHRASE_SOURCES, PhraseDictionary, char_default
from text_prep.zh.polyphone_g2pw import load_g2pw
from text_prep.zh.polyphone_lstm import PolyphoneModel, load_polyphone_lstm
from text_prep.zh.polyphone_rules import rule_readings

# where a long text may be cut into separate model passes: after sentence-final punctuation
_CLAUSE_END = re.compile(r"(?<=[。！？；!?;…\n])")


EVIDENCE_LEVELS = ("both", "agree", "phrase")
LOW_CONFIDENCE_PROB = 0.9  # a model reading below this probability is flagged for a person to confirm


@dataclass(frozen=True)
class PinyinOptions:
    """How citation pinyin is chosen; validated once, here."""

    phrase_sources: tuple[str, ...] = ("pypinyin",)        # curated
    fallback_sources: tuple[str, ...] = ("cc_cedict",)    # larger, noisier
    max_word_len: int = 8                 # longest dictionary word tried
    use_model: bool = True
    dictionary_evidence: str = "both"     # which dictionary readings may overrule the model (EVIDENCE_LEVELS)
    model_trust_prob: float = 1.0 + 1e-6  # at or above this top probability the model is never overruled (>1: never)
    max_context: int = 256                # characters per model pass
    jieba_hmm: bool = False               # let jieba group unknown words
    match_pieces: bool = True             # unlisted words: read their longest listed pieces
    g2pw_dir: str | None = None           # a pulled G2PWModel folder: g2pW replaces the BiLSTM
    g2pw_vocab: str | None = None         # its BERT vocabulary (vocab.txt or tokenizer.json) if not in g2pw_dir

    def __post_init__(self) -> None:
        unknown = [s for s in self.phrase_sources + self.fallback_sources if s not in PHRASE_SOURCES]
        if unknown:
            raise ValueError(f"unknown phrase sources {unknown}; known: {sorted(PHRASE_SOURCES)}")
        if self.dictionary_evidence not in EVIDENCE_LEVELS:
            raise ValueError(f"dictionary_evidence must be one of {EVIDENCE_LEVELS}, got {self.dictionary_evidence!r}")
        if not 0.0 < self.model_trust_prob <= 1.0 + 1e-6:
            raise ValueError(f"model_trust_prob must be in (0, 1], got {self.model_trust_prob}")
        if self.max_word_len < 2 or self.max_context < 1:
            raise ValueError("max_word_len must be >= 2 and max_context >= 1")


class Method(str, enum.Enum):
    """Which evidence gave a character its reading."""

    PHRASE = "phrase"                      # an unambiguous word reading, or (model silent) a curated phrase
    FALLBACK = "fallback"                  # ... the larger phrase list
    DICTIONARY_OVER_MODEL = "dictionary>model"  # an unambiguous word reading overruled an unsure model
    MODEL = "model"
    DEFAULT = "default"
    NONE = "none"


@dataclass(frozen=True)
class CharEvidence:
    """What is known about one character's reading before deciding."""

    char: str
    phrase: str | None        # curated dictionary: the listed word (or longest listed piece) covering it
    fallback: str | None      # larger phrase list, the same way
    default: str | None
    model: Mapping[str, float] = field(default_factory=dict)   # reading -> probability
    rule: str | None = None   # grammar rule reading (where no curated word covers the character)

    def dictionary_reading(self, level: str) -> str | None:
        """The dictionary reading that counts as unambiguous at evidence ``level`` (None if there is none)."""
        if self.rule is not None:
            return self.rule
        if level == "both":
            return self.phrase if self.phrase is not None and self.phrase == self.fallback else None
        if level == "agree":
            if self.phrase is not None:
                return self.phrase if self.fallback in (None, self.phrase) else None
            return self.fallback
        return self.phrase or self.fallback


def decide(ev: CharEvidence, options: PinyinOptions) -> tuple[str | None, Method]:
    """Apply the precedence rule to one character's evidence."""
    if ev.model:
        best = max(ev.model, key=ev.model.__getitem__)
        reading = ev.dictionary_reading(options.dictionary_evidence)
        if reading is not None and reading != best and reading in ev.model and ev.model[best] < options.model_trust_prob:
            return reading, Method.DICTIONARY_OVER_MODEL
        return best, Method.MODEL
    settled = ev.dictionary_reading(options.dictionary_evidence) if options.model_trust_prob > 1.0 else None
    if settled is not None:
        return settled, Method.PHRASE
    if ev.rule is not None:
        return ev.rule, Method.PHRASE
    if ev.phrase is not None:
        return ev.phrase, Method.PHRASE
    if ev.fallback is not None:
        return ev.fallback, Method.FALLBACK
    return ev.default, (Method.DEFAULT if ev.default is not None else Method.NONE)


@dataclass(frozen=True)
class UncertainReading:
    """A polyphone read with low confidence: worth a person's check (and a lexicon entry if wrong)."""

    index: int                 # character index in the text
    char: str
    reading: str               # the reading chosen
    confidence: float          # the model's probability of the chosen reading
    alternatives: tuple[tuple[str, float], ...]  # the other readings the model knows, most likely first
    method: str                # what decided it (Method value)


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
        self._model: PolyphoneModel | None = None
        if self.options.use_model:
            self._model = load_g2pw(self.options.g2pw_dir, self.options.g2pw_vocab) if self.options.g2pw_dir else load_polyphone_lstm()

    def _segment(self, text: str) -> list[str]:
        """jieba words of ``text`` (their concatenation is ``text``)."""
        return jieba_module().lcut(text, HMM=self.options.jieba_hmm)

    def _model_scores(self, text: str, needed: Sequence[bool]) -> dict[int, Mapping[str, float]]:
        """Reading probabilities for the characters of ``text`` the model knows, at ``needed`` positions."""
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

        ``words`` (jieba-style, joining to ``text``) skips segmentation. The model scores every
        character it knows as polyphonic, except where the dictionaries settle it whatever the model
        says (an unambiguous word reading with ``model_trust_prob`` above 1), unless ``score_all``;
        a text needing no scores skips the model.
        """
        if words is None:
            words = self._segment(text)
        elif "".join(words) != text:
            raise ValueError("words must join to the text")
        phrase = self._word_readings(self._phrases, words)
        fallback = self._word_readings(self._fallback, words)
        rules = rule_readings(text)
        evidence = [
            CharEvidence(ch, phrase[i], fallback[i], char_default(ch), {}, rules.get(i) if phrase[i] is None else None)
            for i, ch in enumerate(text)
        ]
        always = self.options.model_trust_prob > 1.0
        level = self.options.dictionary_evidence
        known = self._model.readings if self._model is not None else {}
        needed = [score_all or not always or ev.dictionary_reading(level) not in known.get(ev.char, ())
                  for ev in evidence]
        model = self._model_scores(text, needed)
        return [replace(ev, model=model[i]) if i in model else ev for i, ev in enumerate(evidence)]

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
        return [decide(ev, self.options) for ev in evidence]

    def sentence(self, text: str, words: Sequence[str] | None = None) -> list[str | None]:
        """Citation tone3 pinyin per character of ``text``; None where a character has no reading."""
        if not text:
            return []
        return [reading for reading, _ in self.decide_all(self.evidence(text, words))]

    def uncertain(self, text: str, below: float = LOW_CONFIDENCE_PROB) -> list[UncertainReading]:
        """Polyphones of ``text`` whose chosen reading the model gives less than ``below`` probability."""
        if not text:
            return []
        evidence = self.evidence(text)
        out = []
        for i, (ev, (reading, method)) in enumerate(zip(evidence, self.decide_all(evidence))):
            if reading is None or not ev.model:
                continue
            confidence = ev.model.get(reading, 0.0)
            if confidence < below:
                others = sorted(((r, p) for r, p in ev.model.items() if r != reading), key=lambda rp: -rp[1])
                out.append(UncertainReading(i, ev.char, reading, confidence, tuple(others), method.value))
        return out


_default_options = PinyinOptions()


def set_default_options(options: PinyinOptions) -> None:
    """Use ``options`` for the shared converter (for example g2pW once pulled); rebuilt on next use."""
    global _default_options
    _default_options = options
    default_converter.cache_clear()


@lru_cache(maxsize=1)
def default_converter() -> PinyinConverter:
    """The shared converter (built on first use: loads dictionaries and model)."""
    return PinyinConverter(_default_options)


def sentence_pinyin(text: str) -> list[str | None]:
    """Citation pinyin (tone3, neutral 5, before sandhi) per character; None for non-Chinese characters."""
    return default_converter().sentence(text)


def uncertain_readings(text: str, below: float = LOW_CONFIDENCE_PROB) -> list[UncertainReading]:
    """The polyphones of one sentence read with low confidence: index, reading, confidence, alternatives."""
    return default_converter().uncertain(text, below)


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
