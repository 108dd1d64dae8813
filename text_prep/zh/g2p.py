"""Chinese G2P: spoken-form Chinese text -> GPT-SoVITS initials/finals, word2ph and the BERT-ready norm_text.

Steps (REFERENCE §6.2-6.6): punctuation mapped to ``! ? … , . -`` and everything else that is not a Chinese
character removed; citation pinyin for the whole run from ``text_prep.zh.pinyin`` (sentence context), with
pypinyin's word tones where the syllable agrees; jieba.posseg words and tags (``text_prep.zh.pos_words``);
the reference's tone sandhi and erhua (v2 only); each syllable becomes two phones (word2ph 2), each
punctuation mark one phone (word2ph 1).
Characters with no known reading are dropped with a warning. Lexicon words keep the user's reading.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Sequence

from text_prep.zh.pos_words import pos_words
from text_prep.phones.langseg import HAN_CLASS
from text_prep.phones.lexicon import ZhEntry
from text_prep.zh.pinyin_phones import is_syllable, syllable_phones
from text_prep.phones.symbols import PUNCTUATION, check_version
from text_prep.zh.tone_sandhi import Word, sandhi_words, set_tone, word_lists
from text_prep.zh.pinyin import sentence_pinyin

log = logging.getLogger(__name__)

# Dashes in Chinese prose (——, ──) are dropped, as the reference's normaliser drops them: its voices never
# heard a pause phone there. "~" is a drawn-out … (the reference's 至 is listed in phones/differences.py).
PUNCT_MAP = {"：": ",", "；": ",", "，": ",", "、": ",", "·": ",", "/": ",", ";": ",", ":": ",",
             "。": ".", "！": "!", "？": "?", "—": "", "–": "", "─": "", "~": "…", "～": "…", "\n": "."}
# Interjections the reference writes as ordinary syllables before reading (嗯 -> 恩 en1, 呣 -> 母 mu3).
INTERJECTIONS = str.maketrans({"嗯": "恩", "呣": "母"})
_KEEP = re.compile(rf"[{HAN_CLASS}]|[{re.escape(''.join(PUNCTUATION))}]")
_PUNCT_RUN = re.compile(rf"([{re.escape(''.join(PUNCTUATION))}])[{re.escape(''.join(PUNCTUATION))}]+")
NO_ERHUA_POS = frozenset(("a", "j", "nr"))   # tags after which 儿 keeps its own tone (reference)


@dataclass(frozen=True)
class ZhPhones:
    """The G2P result of one Chinese run."""

    phones: tuple[str, ...]
    word2ph: tuple[int, ...]      # per character of norm_text
    norm_text: str                # Chinese characters and ! ? … , . - only


def clean_text(text: str) -> str:
    """Map punctuation to the six marks, drop everything else that is not Chinese, collapse mark runs."""
    text = text.replace("...", "…").replace("〇", "零").translate(INTERJECTIONS)
    mapped = "".join(PUNCT_MAP.get(ch, ch) for ch in text)
    kept = "".join(_KEEP.findall(mapped))
    return _PUNCT_RUN.sub(r"\1", kept)


@lru_cache(maxsize=65536)
def dictionary_tones(word: str) -> tuple[str, ...]:
    """pypinyin's tone3 reading of a whole word (its phrase dictionary), neutral tones as 5."""
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True))


def reference_tones(word: str, pinyins: Sequence[str]) -> tuple[str, ...]:
    """Our readings with the reference's citation tones where the syllable agrees (丫鬟 huan2, not huan5).

    The reference's tone rules start from pypinyin's word reading; a syllable our polyphone stack chose
    differently keeps our reading and tone.
    """
    tones = dictionary_tones(word)
    if len(tones) != len(pinyins):
        return tuple(pinyins)
    return tuple(t if t[:-1] == p[:-1] and t[-1:].isdigit() else p for p, t in zip(pinyins, tones))


def _tagged(text: str, mark: str) -> list[tuple[str, str]]:
    """posseg words of ``text`` segmented with the clause's closing ``mark`` after it, as the reference does
    (jieba keeps a "." in the same block as the characters before it, which can change the words)."""
    pairs = pos_words(text + mark)
    out: list[tuple[str, str]] = []
    used = 0
    for token, tag in pairs:
        token = token[:max(0, len(text) - used)]
        if token:
            out.append((token, tag))
            used += len(token)
    return out


def _words(clause: str, pinyins: Sequence[str], fixed: Sequence[int], mark: str = "") -> list[Word]:
    """jieba words with parts of speech of a punctuation-free clause; lexicon spans become fixed words."""
    words: list[Word] = []
    start = 0
    while start < len(clause):
        end = start
        if fixed[start]:
            while end < len(clause) and fixed[end] == fixed[start]:
                end += 1
            words.append(Word(clause[start:end], "x", tuple(pinyins[start:end]), fixed=True))
        else:
            while end < len(clause) and not fixed[end]:
                end += 1
            pos = start
            for token, tag in _tagged(clause[start:end], mark if end == len(clause) else ""):
                words.append(Word(token, tag, reference_tones(token, pinyins[pos:pos + len(token)])))
                pos += len(token)
        start = end
    return words


def erhua(word: Word) -> Word:
    """v2: a final 儿 takes the previous syllable's tone (哪儿 na3 er3), except where 儿 is a syllable of its own."""
    text, py = word.text, list(word.pinyins)
    if word.fixed or text[-1:] != "儿" or len(py) != len(text):
        return word
    if py[-1] == "er1":
        py[-1] = "er2"
    lists = word_lists()
    if text not in lists["erhua"] and (text in lists["not_erhua"] or word.pos in NO_ERHUA_POS):
        return replace(word, pinyins=tuple(py))
    if len(text) > 1 and py[-1] in ("er2", "er5") and text[-2:] not in lists["not_erhua"]:
        py[-1] = set_tone("er5", py[-2][-1])
    return replace(word, pinyins=tuple(py))


def g2p_zh(parts: Sequence[str | ZhEntry], version: str = "v2") -> ZhPhones:
    """Phones for a Chinese run given as spoken-form text pieces and lexicon entries, in order."""
    check_version(version)
    text_parts: list[str] = []
    fixed_pinyin: list[str | None] = []
    span_ids: list[int] = []
    for n, part in enumerate(parts, start=1):
        if isinstance(part, ZhEntry):
            text_parts.append(part.word)
            fixed_pinyin.extend(part.pinyins)
            span_ids.extend([n] * len(part.word))
        else:
            cleaned = clean_text(part)
            text_parts.append(cleaned)
            fixed_pinyin.extend([None] * len(cleaned))
            span_ids.extend([0] * len(cleaned))
    kept_text, readings, kept_spans = _readings("".join(text_parts), fixed_pinyin, span_ids)
    phones: list[str] = []
    word2ph: list[int] = []
    clause_start = 0
    for i in range(len(kept_text) + 1):
        if i < len(kept_text) and kept_text[i] not in PUNCTUATION:
            continue
        if i > clause_start:
            mark = kept_text[i] if i < len(kept_text) else ""
            words = _words(kept_text[clause_start:i], readings[clause_start:i], kept_spans[clause_start:i], mark)
            for word in sandhi_words(words, reference_tones):
                if version == "v2":
                    word = erhua(word)
                for reading in word.pinyins:
                    phones.extend(syllable_phones(reading))
                    word2ph.append(2)
        if i < len(kept_text):
            phones.append(kept_text[i])
            word2ph.append(1)
        clause_start = i + 1
    return ZhPhones(tuple(phones), tuple(word2ph), kept_text)


def _readings(text: str, fixed_pinyin: Sequence[str | None],
              span_ids: Sequence[int]) -> tuple[str, list[str], list[int]]:
    """Readings for every kept character, collapsing punctuation runs, with lexicon span ids alongside."""
    context = sentence_pinyin(text) if text else []
    kept: list[str] = []
    readings: list[str] = []
    spans: list[int] = []
    for i, ch in enumerate(text):
        if ch in PUNCTUATION:
            if kept and kept[-1] in PUNCTUATION:
                continue
            reading = ch
        else:
            reading = fixed_pinyin[i] or context[i]
            if reading is not None and reading[:-1] == "r":
                reading = "er" + reading[-1]           # 儿 given as the bare erhua "r5"
            if reading is None or not is_syllable(reading):
                log.warning("no reading for %r; dropped", ch)
                continue
        kept.append(ch)
        readings.append(reading)
        spans.append(span_ids[i])
    return "".join(kept), readings, spans
