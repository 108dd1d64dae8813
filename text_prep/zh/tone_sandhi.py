"""Mandarin tone sandhi as the reference GPT-SoVITS front-end computes it: word merging, 不, 一, neutral tones, third tones.

Released voices were trained on the reference's tones, so the behaviour is the reference's (REFERENCE §6.5):
jieba words with their part of speech are merged (不 + next word, V一V, 一 + next word, reduplications,
third-tone neighbours, a trailing 儿), then each word gets, in order, 不 sandhi, 一 sandhi, neutral tones
(particles, 的地得, aspect 了着过, -们/-子 nouns and pronouns, 上下里 localisers, directional 来去,
measure word 个, and the reference's list of words with a neutral last syllable) and third-tone sandhi
inside the word. Nothing crosses a word boundary. The word lists are data (``data/tone_words.txt``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable, Mapping, Sequence

from text_prep.zh.jieba_words import jieba_module

PARTICLES = frozenset("吧呢哈啊呐噻嘛吖嗨哦哒额滴哩哟喽啰耶喔诶")
STRUCTURAL = frozenset("的地得")
ASPECT_POS = frozenset(("ul", "uz", "ug"))          # 了 着 过 tagged as aspect particles
ASPECT_MARKERS = frozenset("了着过")
PLURAL_NOUN_ENDINGS = frozenset("们子")
NOUN_POS = frozenset(("r", "n"))
LOCALISERS = frozenset("上下里")
PLACE_POS = frozenset(("s", "l", "f"))
DIRECTIONS = frozenset("来去")
DIRECTION_VERBS = frozenset("上下进出回过起开")
MEASURE_PRECEDERS = frozenset("几有两半多各整每做是")
REDUPLICATION_POS = frozenset("nva")                 # first letter of the tag
PUNCT_AFTER_YI = frozenset("：，；。？！“”‘’':,;.?!")  # 一 before these keeps tone 1
WORDS_FILE = "tone_words.txt"


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


@lru_cache(maxsize=1)
def word_lists() -> Mapping[str, frozenset[str]]:
    """The reference's word lists by section: neutral, never_neutral, erhua, not_erhua."""
    text = resources.files("text_prep.zh").joinpath("data", WORDS_FILE).read_text(encoding="utf-8")
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], set())
        elif line and current is not None:
            current.update(line.split())
    return {name: frozenset(words) for name, words in sections.items()}


def set_tone(pinyin: str, tone: str) -> str:
    """'bu4' -> 'bu2' for tone '2'."""
    return pinyin[:-1] + tone


def _all_third(pinyins: Sequence[str]) -> bool:
    return all(p[-1:] == "3" for p in pinyins)


def _merge(a: Word, b: Word, pos: str | None = None) -> Word:
    return Word(a.text + b.text, a.pos if pos is None else pos, a.pinyins + b.pinyins)


def _is_reduplication(text: str) -> bool:
    return len(text) == 2 and text[0] == text[1]


# ----------------------------------------------------------------------------------------------------------
# Word merging before sandhi, so that the rules see 不懂, 一样, 看一看, 老鼠 as one unit.

def _merge_bu(words: Sequence[Word]) -> list[Word]:
    """不 joins the word after it (which lends its part of speech); a final 不 stays an adverb."""
    out: list[Word] = []
    pending: Word | None = None
    for word in words:
        if pending is not None:
            if word.fixed:
                out.append(pending)
            else:
                word = _merge(pending, word, word.pos)
            pending = None
        if word.text == "不" and not word.fixed:
            pending = word
        else:
            out.append(word)
    if pending is not None:
        out.append(replace(pending, pos="d"))
    return out


def _merge_yi(words: Sequence[Word]) -> list[Word]:
    """V一V (the verb tagged exactly ``v``) becomes one word; then a lone 一 joins the word after it."""
    out: list[Word] = []
    i = 0
    while i < len(words):
        w = words[i]
        if (out and w.text == "一" and i + 1 < len(words) and words[i + 1].text == out[-1].text
                and out[-1].pos == "v" and not (out[-1].fixed or w.fixed or words[i + 1].fixed)):
            out[-1] = _merge(_merge(out[-1], w), words[i + 1])
            i += 2
            continue
        out.append(w)
        i += 1
    return _merge_pass(out, lambda a, b: a.text == "一")


def _merge_pass(words: Sequence[Word], joins: Callable[[Word, Word], bool]) -> list[Word]:
    out: list[Word] = []
    for word in words:
        if out and not out[-1].fixed and not word.fixed and joins(out[-1], word):
            out[-1] = _merge(out[-1], word)
        else:
            out.append(word)
    return out


def _merge_third_tones(words: Sequence[Word], joins: Callable[[Word, Word], bool]) -> list[Word]:
    """Join neighbours up to three characters long when ``joins``; a merged word does not join again."""
    out: list[Word] = []
    merged_last = False
    for i, word in enumerate(words):
        prev = words[i - 1] if i else None
        if (prev is not None and not merged_last and not prev.fixed and not word.fixed and joins(prev, word)
                and not _is_reduplication(prev.text) and len(prev.text) + len(word.text) <= 3):
            out[-1] = _merge(out[-1], word)
            merged_last = True
        else:
            out.append(word)
            merged_last = False
    return out


Retone = Callable[[str, tuple[str, ...]], tuple[str, ...]]


def _retoned(words: Sequence[Word], retone: Retone | None, done: dict[int, Word]) -> list[Word]:
    """Words made by merging get their citation tones looked up again as whole words (``done``: the words
    that need no lookup, by id, kept alive so that no id is reused; updated)."""
    if retone is None:
        return list(words)
    out = []
    for w in words:
        if id(w) not in done and not w.fixed:
            pinyins = retone(w.text, w.pinyins)
            w = w if pinyins == w.pinyins else replace(w, pinyins=pinyins)
        done[id(w)] = w
        out.append(w)
    return out


def pre_merge(words: Sequence[Word], retone: Retone | None = None) -> list[Word]:
    """Merge 不/一 with the next word, V一V, reduplications, third-tone neighbours and a trailing 儿.

    ``retone`` (text, pinyins) -> pinyins gives a merged word its dictionary tones before the
    third-tone merges look at them, as the reference reads every word afresh (一样 as a word: yi2).
    """
    done = {id(w): w for w in words}             # the words as given already carry their tones
    words = _merge_bu(words)
    words = _merge_yi(words)
    words = _retoned(_merge_pass(words, lambda a, b: a.text == b.text), retone, done)
    words = _merge_third_tones(words, lambda a, b: _all_third(a.pinyins) and _all_third(b.pinyins))
    words = _retoned(words, retone, done)
    words = _merge_third_tones(words, lambda a, b: a.tones()[-1:] == "3" and b.tones()[:1] == "3")
    return _retoned(_merge_pass(words, lambda a, b: b.text == "儿"), retone, done)


# ----------------------------------------------------------------------------------------------------------
# The four rule groups; each edits a list of tone3 pinyins in place.

def _bu_sandhi(text: str, py: list[str]) -> None:
    if len(text) == 3 and text[1] == "不":
        py[1] = set_tone(py[1], "5")               # 看不懂
        return
    for i, ch in enumerate(text[:-1]):
        if ch == "不" and py[i + 1][-1] == "4":
            py[i] = set_tone(py[i], "2")           # 不要, 不是


def _yi_sandhi(text: str, py: list[str]) -> None:
    if "一" in text and all(ch.isnumeric() for ch in text if ch != "一"):
        return                                     # a number read out: 一零零, 十一
    if len(text) == 3 and text[1] == "一" and text[0] == text[2]:
        py[1] = set_tone(py[1], "5")               # 看一看
    elif text.startswith("第一"):
        py[1] = set_tone(py[1], "1")               # ordinal
    else:
        for i, ch in enumerate(text[:-1]):
            if ch != "一":
                continue
            if py[i + 1][-1] == "4":
                py[i] = set_tone(py[i], "2")       # 一样
            elif text[i + 1] not in PUNCT_AFTER_YI:
                py[i] = set_tone(py[i], "4")       # 一天


def _neutral_last(py: list[str]) -> None:
    py[-1] = set_tone(py[-1], "5")


def _measure_ge(text: str) -> int:
    """Index of 个 used as a measure word in ``text``, or -1."""
    at = text.find("个")
    if text == "个" or (at >= 1 and (text[at - 1].isnumeric() or text[at - 1] in MEASURE_PRECEDERS)):
        return at
    return -1


def _neutral_sandhi(text: str, pos: str, py: list[str]) -> None:
    lists = word_lists()
    neutral, never = lists["neutral"], lists["never_neutral"]
    for j in range(1, len(text)):                  # reduplication: 奶奶, 试试
        if text[j] == text[j - 1] and pos[:1] in REDUPLICATION_POS and text not in never:
            py[j] = set_tone(py[j], "5")
    last = text[-1]
    long = len(text) > 1
    if last in PARTICLES or last in STRUCTURAL:
        _neutral_last(py)
    elif len(text) == 1 and last in ASPECT_MARKERS and pos in ASPECT_POS:
        _neutral_last(py)                          # 走了, 看着, 去过
    elif long and last in PLURAL_NOUN_ENDINGS and pos in NOUN_POS and text not in never:
        _neutral_last(py)                          # 我们, 桌子
    elif long and last in LOCALISERS and pos in PLACE_POS:
        _neutral_last(py)                          # 桌上, 家里
    elif long and last in DIRECTIONS and text[-2] in DIRECTION_VERBS:
        _neutral_last(py)                          # 上来, 出去
    elif _measure_ge(text) >= 0:
        at = _measure_ge(text)
        py[at] = set_tone(py[at], "5")             # 两个, 一个
    elif text in neutral or text[-2:] in neutral:
        _neutral_last(py)
    head, tail = split_word(text)
    for start, part in ((0, head), (len(head), tail)):
        if part and (part in neutral or part[-2:] in neutral):
            end = start + len(part) - 1
            py[end] = set_tone(py[end], "5")


@lru_cache(maxsize=16384)
def split_word(text: str) -> tuple[str, str]:
    """Split a word at its shortest dictionary sub-word: 展览|馆, 小|老鼠 (the second part may be empty)."""
    first = min(jieba_module().cut_for_search(text), key=len, default=text)
    if text.find(first) == 0:
        return first, text[len(first):]
    return text[:-len(first)], first


def _third_sandhi(text: str, py: list[str]) -> None:
    n = len(text)
    if n == 2 and _all_third(py):
        py[0] = set_tone(py[0], "2")                                   # 你好
    elif n == 3:
        head, _ = split_word(text)
        if _all_third(py):
            if len(head) == 2:
                py[0], py[1] = set_tone(py[0], "2"), set_tone(py[1], "2")   # 蒙古|包
            elif len(head) == 1:
                py[1] = set_tone(py[1], "2")                           # 纸|老虎
            return
        cut = len(head)
        first, second = py[:cut], py[cut:]
        if _all_third(first) and len(first) == 2:
            py[0] = set_tone(py[0], "2")                               # 所有|人
        if second and cut < n:
            if _all_third(second) and len(second) == 2:
                py[cut] = set_tone(py[cut], "2")
            elif not _all_third(second) and second[0][-1] == "3" and py[cut - 1][-1] == "3":
                py[cut - 1] = set_tone(py[cut - 1], "2")               # 好|喜欢
    elif n == 4:
        for start in (0, 2):                                           # idioms: two halves
            if _all_third(py[start:start + 2]):
                py[start] = set_tone(py[start], "2")


def apply_sandhi(word: Word) -> Word:
    """The word with 不, 一, neutral-tone and third-tone changes applied (lexicon words are left alone)."""
    if word.fixed or not word.pinyins or not all(p[-1:].isdigit() for p in word.pinyins):
        return word
    py = list(word.pinyins)
    _bu_sandhi(word.text, py)
    _yi_sandhi(word.text, py)
    _neutral_sandhi(word.text, word.pos, py)
    _third_sandhi(word.text, py)
    return replace(word, pinyins=tuple(py))


def sandhi_words(words: Iterable[Word], retone: Retone | None = None) -> list[Word]:
    """Merge, then apply sandhi word by word (one clause; nothing crosses a word boundary)."""
    return [apply_sandhi(w) for w in pre_merge(list(words), retone)]
