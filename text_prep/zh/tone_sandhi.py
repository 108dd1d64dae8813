"""Mandarin tone sandhi on jieba words carrying tone3 pinyin: word merging, 不, 一, neutral tones, third tones.

The rules follow the reference front-end's order (不 -> 一 -> neutral -> third tone, REFERENCE §6.5) with
these deliberate differences, each to avoid an audibly wrong reading:
* lexical neutral tones come from CC-CEDICT (pypinyin-dict) instead of a hand list, so 男子/电子 keep zi3
  while 桌子/东西/麻烦 get the neutral tone;
* a final 的/地/得 is neutral only as the particle (its own word), so 目的 stays mu4 di4;
* reduplication makes the second syllable neutral for verbs only (看看), not 人人/慢慢;
* 一 inside a number keeps tone 1 except before 百/千/万/亿 (一百 yi4 bai3, 一九九零 yi1);
* 个 as a measure word is neutral after any numeral, and 们 is always neutral.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable, Iterable, Mapping, Sequence

from text_prep.zh.jieba_words import jieba_module
from text_prep.phones.symbols import PUNCTUATION

NUMERALS = frozenset("零〇一二两三四五六七八九十百千万亿")
YI_UNIT_AFTER = frozenset("百千万亿")           # 一 before these still changes tone inside a number
MEASURE_PRECEDERS = frozenset("几有两半多各整每这那哪") | NUMERALS
PARTICLES = frozenset("吧呢啊呀嘛哇啦咯喽呗哟哦噢呐")
ASPECT_MARKERS = {"了": "ul", "着": "uz", "过": "ug"}
DIRECTION_VERBS = frozenset("上下进出回过起开")
_TONE_MARKS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"


@dataclass(frozen=True)
class Word:
    """A jieba word with its part of speech and one tone3 pinyin per character."""

    text: str
    pos: str
    pinyins: tuple[str, ...]
    fixed: bool = False          # from the user's lexicon: never merged or changed

    def tones(self) -> str:
        """The tone digit of every syllable ('' for punctuation)."""
        return "".join(p[-1] if p[-1:].isdigit() else "" for p in self.pinyins)


def set_tone(pinyin: str, tone: str) -> str:
    """'bu4' -> 'bu2' for tone '2'."""
    return pinyin[:-1] + tone


def _all_third(word: Word) -> bool:
    tones = word.tones()
    return len(tones) == len(word.text) and set(tones) == {"3"}


def _merge(a: Word, b: Word) -> Word:
    return Word(a.text + b.text, a.pos, a.pinyins + b.pinyins)


def _is_reduplication(word: Word) -> bool:
    return len(word.text) == 2 and word.text[0] == word.text[1]


# ----------------------------------------------------------------------------------------------------------
# Word merging before sandhi, so that the rules see 不懂, 一样, 看一看, 老鼠 as one unit.

def _merge_pass(words: Sequence[Word], joins: Callable[[Word, Word], bool]) -> list[Word]:
    out: list[Word] = []
    for word in words:
        if out and not out[-1].fixed and not word.fixed and joins(out[-1], word):
            out[-1] = _merge(out[-1], word)
        else:
            out.append(word)
    return out


def _merge_v_yi_v(words: Sequence[Word]) -> list[Word]:
    out: list[Word] = []
    i = 0
    while i < len(words):
        w = words[i]
        if (i + 2 < len(words) and words[i + 1].text == "一" and words[i + 2].text == w.text
                and w.pos.startswith("v") and not w.fixed and not words[i + 2].fixed):
            out.append(_merge(_merge(w, words[i + 1]), words[i + 2]))
            i += 3
        else:
            out.append(w)
            i += 1
    return out


def _joins_third_tones(a: Word, b: Word) -> bool:
    if len(a.text) + len(b.text) > 3 or _is_reduplication(a):
        return False
    if _all_third(a) and _all_third(b):
        return True
    return a.tones()[-1:] == "3" and b.tones()[:1] == "3"


def pre_merge(words: Sequence[Word]) -> list[Word]:
    """Merge 不/一 with the next word, V一V, reduplications, third-tone neighbours and a trailing 儿."""
    words = _merge_pass(words, lambda a, b: a.text == "不" and b.text not in PUNCTUATION)
    words = _merge_v_yi_v(words)
    words = _merge_pass(words, lambda a, b: a.text == "一" and b.text not in PUNCTUATION)
    words = _merge_pass(words, lambda a, b: a.text == b.text and a.text not in PUNCTUATION)
    words = _merge_pass(words, _joins_third_tones)
    return _merge_pass(words, lambda a, b: b.text == "儿" and a.text not in PUNCTUATION)


# ----------------------------------------------------------------------------------------------------------
# Lexical neutral tones, derived from CC-CEDICT's phrase readings (loaded lazily, once).

def _is_neutral(marked: str) -> bool:
    return not any(ch in _TONE_MARKS for ch in marked)


@lru_cache(maxsize=1)
def lexical_neutral_tones() -> Mapping[str, tuple[bool, ...]]:
    """Word -> which syllables CC-CEDICT reads with the neutral tone (only words that have one)."""
    from pypinyin_dict.phrase_pinyin_data import cc_cedict

    table: dict[str, tuple[bool, ...]] = {}
    for word, options in cc_cedict.phrases_dict.items():
        ambiguous = [len(opts) > 1 for opts in options]
        flags = []
        for i, opts in enumerate(options):
            if all(_is_neutral(o) for o in opts):
                flags.append(True)
            else:   # mixed readings: neutral only when the rest of the word is unambiguous (东西, 告诉)
                flags.append(any(_is_neutral(o) for o in opts) and sum(ambiguous) == 1 and ambiguous[i])
        if any(flags) and len(flags) == len(word):
            table[word] = tuple(flags)
    return table


def _lexical_neutral(word: Word, pinyins: list[str]) -> None:
    table = lexical_neutral_tones()
    for span in (word.text, word.text[-2:]):
        flags = table.get(span)
        if flags is not None:
            offset = len(word.text) - len(span)
            for i, neutral in enumerate(flags):
                if neutral:
                    pinyins[offset + i] = set_tone(pinyins[offset + i], "5")
            return


# ----------------------------------------------------------------------------------------------------------
# The four rule groups; each edits a list of tone3 pinyins in place.

def _bu_sandhi(word: Word, py: list[str]) -> None:
    text = word.text
    if len(text) == 3 and text[1] == "不":
        py[1] = set_tone(py[1], "5")               # 看不懂
        return
    for i, ch in enumerate(text[:-1]):
        if ch == "不" and py[i + 1][-1] == "4":
            py[i] = set_tone(py[i], "2")           # 不要, 不是


def _numeral_run(text: str, i: int) -> int:
    """Length of the run of numerals containing position ``i``."""
    start, end = i, i + 1
    while start > 0 and text[start - 1] in NUMERALS:
        start -= 1
    while end < len(text) and text[end] in NUMERALS:
        end += 1
    return end - start


def _yi_sandhi(word: Word, py: list[str]) -> None:
    text = word.text
    for i, ch in enumerate(text):
        if ch != "一" or i + 1 == len(text) or text[i + 1] in PUNCTUATION:
            continue                                   # 统一, 唯一: tone 1
        if _numeral_run(text, i) > 1:                  # inside a number: 一九九零, 十一 keep tone 1 ...
            if text[i + 1] in YI_UNIT_AFTER:           # ... but 一百 yi4, 一万 yi2
                py[i] = set_tone(py[i], "2" if py[i + 1][-1] == "4" else "4")
        elif len(text) == 3 and i == 1 and text[0] == text[2]:
            py[i] = set_tone(py[i], "5")               # 看一看
        elif i > 0 and text[i - 1] == "第":
            continue                                   # ordinal 第一
        else:
            py[i] = set_tone(py[i], "2" if py[i + 1][-1] == "4" else "4")   # 一样 yi2, 一天 yi4


def _neutral_sandhi(word: Word, py: list[str]) -> None:
    text, pos = word.text, word.pos
    _lexical_neutral(word, py)
    last = len(text) - 1
    if _is_reduplication(word) and pos.startswith("v"):
        py[1] = set_tone(py[1], "5")               # 看看, 说说
    if text[-1] in PARTICLES:
        py[last] = set_tone(py[last], "5")
    if text in ("的", "地", "得") and pos.startswith("u"):
        py[0] = set_tone(py[0], "5")
    if ASPECT_MARKERS.get(text) == pos:
        py[0] = set_tone(py[0], "5")               # 了 着 过 as aspect particles
    if text[-1] == "们" and text != "图们":
        py[last] = set_tone(py[last], "5")
    if text[-1] == "子" and len(text) > 1 and pos[:1] in ("n", "r") \
            and text not in _known_words() and text[-2:] not in _known_words():
        py[last] = set_tone(py[last], "5")         # unknown noun in -子 (桌子 etc. come from the lexicon)
    if (text in ("上", "下", "里") and pos == "f") or (len(text) > 1 and text[-1] == "里" and pos in ("s", "f")):
        py[last] = set_tone(py[last], "5")         # 桌子上, 家里
    if len(text) > 1 and text[-1] in "来去" and text[-2] in DIRECTION_VERBS and pos != "t":
        py[last] = set_tone(py[last], "5")         # 回来, 起来, 出去
    for i, ch in enumerate(text):
        if ch == "个" and (len(text) == 1 or (i > 0 and (text[i - 1] in MEASURE_PRECEDERS or text[i - 1].isdigit()))):
            py[i] = set_tone(py[i], "5")           # 两个, 一个 (after 一's own sandhi)


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Words CC-CEDICT lists at all (so a missing neutral flag means 'not neutral')."""
    from pypinyin_dict.phrase_pinyin_data import cc_cedict

    return frozenset(cc_cedict.phrases_dict)


def _split_three(text: str) -> tuple[str, str]:
    """Split a 3-character word at its dictionary sub-word: 展览|馆, 小|老鼠."""
    subwords = sorted((w for w in jieba_module().cut_for_search(text) if len(w) < len(text)), key=len)
    if not subwords:
        return text[:2], text[2:]
    first = subwords[0]
    start = text.find(first)
    return (first, text[len(first):]) if start == 0 else (text[:len(text) - len(first)], first)


def _third_pair(py: list[str], start: int) -> None:
    if py[start][-1] == "3" and py[start + 1][-1] == "3":
        py[start] = set_tone(py[start], "2")


def _third_sandhi(word: Word, py: list[str]) -> None:
    n = len(word.text)
    all_third = all(p[-1] == "3" for p in py)
    if n == 2:
        _third_pair(py, 0)                                         # 你好, 老鼠
    elif n == 3:
        head, tail = _split_three(word.text)
        if all_third:
            if len(head) == 2:
                py[0], py[1] = set_tone(py[0], "2"), set_tone(py[1], "2")   # 展览馆
            else:
                py[1] = set_tone(py[1], "2")                         # 小老鼠
            return
        cut = len(head)
        if len(head) == 2:
            _third_pair(py, 0)
        if len(tail) == 2:
            _third_pair(py, cut)
        if py[cut - 1][-1] == "3" and py[cut][-1] == "3" and not all(p[-1] == "3" for p in py[cut:]):
            py[cut - 1] = set_tone(py[cut - 1], "2")
    elif n >= 4:
        for start in range(0, n - 1, 2):                             # 2+2 halves (and longer merged words)
            _third_pair(py, start)
        for i in range(n - 1):                                       # a third tone left before another
            if py[i][-1] == "3" and py[i + 1][-1] == "3":
                py[i] = set_tone(py[i], "2")


def apply_sandhi(word: Word) -> Word:
    """The word with 不, 一, neutral-tone and third-tone changes applied (lexicon words are left alone)."""
    if word.fixed or not all(p[-1:].isdigit() for p in word.pinyins):
        return word
    py = list(word.pinyins)
    _bu_sandhi(word, py)
    _yi_sandhi(word, py)
    _neutral_sandhi(word, py)
    _third_sandhi(word, py)
    return replace(word, pinyins=tuple(py))


def _third_across_words(words: list[Word]) -> list[Word]:
    """A third tone still followed by a third tone in the next word becomes tone 2 (我也很|好)."""
    for k in range(len(words) - 2, -1, -1):
        a, b = words[k], words[k + 1]
        if a.fixed or b.fixed or not a.pinyins or not b.pinyins:
            continue
        if a.pinyins[-1][-1:] == "3" and b.pinyins[0][-1:] == "3":
            words[k] = replace(a, pinyins=a.pinyins[:-1] + (set_tone(a.pinyins[-1], "2"),))
    return words


def sandhi_words(words: Iterable[Word]) -> list[Word]:
    """Merge, apply sandhi word by word, then resolve third tones across word boundaries (one clause)."""
    return _third_across_words([apply_sandhi(w) for w in pre_merge(list(words))])
