"""Sentence splitting for Chinese and English prose (then over-long sentences are cut at clauses)."""
from __future__ import annotations

import bisect
import re

from text_prep.sentences.clauses import SentenceLimits, split_long
from text_prep.ingest.spacing import is_cjk

LANGUAGES = ("auto", "zh", "en")

_CJK_STOPS = "。！？｡"
_CLOSERS = "”’\"'»」』）)]】》〉"
_OPENERS = "“‘\"'«「『（([【《〈"
_BULLETS = "•⁃◦▪‣"
# Characters after a CJK full stop that mean the sentence goes on (a comma right after a closing quote, …).
_CONTINUERS = "，、,;；:："

# The terminal punctuation run, then any closing quotes or brackets glued to it.
_CANDIDATE = re.compile(
    rf"(?P<punct>(?:\.[ ]){{2,}}\.|[.!?‼⁇⁈⁉…⋯]+|[{_CJK_STOPS}][{_CJK_STOPS}!?]*)(?P<close>[{re.escape(_CLOSERS)}]*)"
)
# Short bracketed asides; a full stop inside one does not end the surrounding sentence.
_BRACKETED = re.compile(
    r"\([^()\n]{0,200}\)|\[[^\[\]\n]{0,200}\]|（[^（）]{0,200}）|《[^《》]{0,200}》|〈[^〈〉]{0,200}〉|【[^【】]{0,200}】"
)
_LIST_MARKER = re.compile(
    rf"(?:(?<=\s)|^)(?P<bullet>[{_BULLETS}]\s?)?(?P<label>\d{{1,3}}|[a-z])(?P<sep>\.\)|\)|\.)(?=\s)"
)
_DOTTED_ACRONYM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
_LEADING_OPENERS = re.compile(rf"^[{re.escape(_OPENERS + _BULLETS)}]+")
_NEXT_WORD = re.compile(r"[A-Za-z]+")

# Abbreviations that are (almost) never the end of a sentence: titles before names, Latin connectives.
_NEVER_FINAL = frozenset(
    "mr mrs ms messrs mme mlle dr prof rev fr mt capt col gen lt sgt maj hon sen gov pres supt insp det "
    "e.g i.e cf viz vs approx esp incl".split()
)
# Abbreviations that precede a number ("p. 55", "No. 5", "Dec. 11th").
_BEFORE_NUMBER = frozenset(
    "p pp no nos rs vol vols ch chap fig figs art sec n° № jan feb apr jun jul aug sep sept oct nov dec".split()
)
# Abbreviations that may or may not end a sentence ("Pitt & Co. at noon" / "Pitt & Co. It closed").
_AMBIGUOUS = frozenset("st etc co corp inc ltd jr sr bros al dept univ assn est".split())
# Words that typically open a sentence; after an ambiguous abbreviation they signal a boundary.
_SENTENCE_STARTERS = frozenset(
    "A An The This That These Those He She It I We They You His Her Its Our Their My Your What When Where Why "
    "How Who Which Whose Did Do Does Is Are Was Were Will Would Can Could Should There Here However But And So "
    "Then If In On At For As After Before Being Yet Still Now Some Many Most All No Not Each Every One".split()
)
_SHORT_LEAD_WORDS = 3  # "At 5 a.m. Mr. Smith ..." : an abbreviation this early is not a sentence end


def split_sentences(text: str, lang: str = "auto", limits: SentenceLimits | None = None) -> list[str]:
    """Split a paragraph into sentences, then cut sentences over ``limits`` at clause boundaries."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    limits = limits or SentenceLimits()
    out: list[str] = []
    for sentence in _sentence_spans(text):
        out.extend(split_long(sentence, limits))
    return out


def _sentence_spans(text: str) -> list[str]:
    """Sentences of ``text`` exactly as written (stripped), before any length limit."""
    text = text.strip()
    if not text:
        return []
    list_starts = _list_item_starts(text)
    cuts = sorted(set(list_starts) | set(_punctuation_cuts(text, list_starts)))
    pieces = [text[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(text)])]
    return _merge_fragments([p for p in pieces if p])


def _merge_fragments(pieces: list[str]) -> list[str]:
    """Attach pieces without any letter or digit (a stray ". . ." or "”") to a neighbour."""
    out: list[str] = []
    for piece in pieces:
        if out and not any(ch.isalnum() for ch in piece):
            out[-1] = f"{out[-1]} {piece}"
        elif out and not any(ch.isalnum() for ch in out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def _list_item_starts(text: str) -> list[int]:
    """Start offsets of the 2nd, 3rd, ... items of an enumerated list the paragraph opens with."""
    if text[0] in _BULLETS and not _LIST_MARKER.match(text):
        return [m.start() for m in re.finditer(rf"(?<=\s){re.escape(text[0])}(?=\s)", text)]
    first = _LIST_MARKER.match(text)
    if first is None:
        return []
    starts: list[int] = []
    expected = _successor(first.group("label"))
    for m in _LIST_MARKER.finditer(text, first.end()):
        if m.group("label") == expected and m.group("sep") == first.group("sep"):
            starts.append(m.start())
            expected = _successor(expected)
    return starts


def _successor(label: str) -> str:
    """The next list label: ``"9"`` -> ``"10"``, ``"a"`` -> ``"b"``."""
    return str(int(label) + 1) if label.isdigit() else chr(ord(label) + 1)


def _punctuation_cuts(text: str, list_starts: list[int]) -> list[int]:
    """Offsets where a sentence ends at terminal punctuation."""
    spans = [m.span() for m in _BRACKETED.finditer(text)] if any(c in text for c in "([（《〈【") else []
    span_starts = [s for s, _ in spans]
    cuts: list[int] = []
    segment_start = 0
    for m in _CANDIDATE.finditer(text):
        marker = bisect.bisect_right(list_starts, m.start())
        if marker:
            segment_start = max(segment_start, list_starts[marker - 1])
        if _in_aside(m, spans, span_starts, text, segment_start):
            continue
        cut = _decide(text, m, segment_start)
        if cut is not None:
            cuts.append(cut)
            segment_start = cut
    return cuts


def _in_aside(m: re.Match, spans: list[tuple[int, int]], starts: list[int], text: str, segment_start: int) -> bool:
    """True when the punctuation sits inside a bracketed aside that began mid-sentence."""
    i = bisect.bisect_left(starts, m.start()) - 1
    if i < 0:
        return False
    start, end = spans[i]
    if not (start < m.start() < end - 1):
        return False
    opens_sentence = not text[segment_start:start].strip(" " + _OPENERS)
    return not (opens_sentence and m.end() >= end)


def _decide(text: str, m: re.Match, segment_start: int) -> int | None:
    """The cut offset if this punctuation run ends a sentence, else None."""
    punct, end = m.group("punct"), m.end()
    if end >= len(text):
        return None
    nxt = text[end]
    if any(c in _CJK_STOPS for c in punct):
        return None if nxt in _CONTINUERS else end
    if not nxt.isspace():
        return end if _ends_before_cjk(text, m) else None
    j = end
    while j < len(text) and (text[j].isspace() or text[j] in _OPENERS):
        j += 1
    if j >= len(text):
        return None
    first = text[j]
    if not (first.isupper() or first.isdigit() or is_cjk(first) or first in _BULLETS or first == "."):
        return None
    if "!" in punct or "?" in punct or any(c in punct for c in "‼⁇⁈⁉"):
        return end
    if punct != ".":
        return _ellipsis_cut(text, m)
    return _period_cut(text, m, segment_start, j)


def _ends_before_cjk(text: str, m: re.Match) -> bool:
    """A terminal glued to a following CJK character (no space) ends a sentence in Chinese text."""
    if not is_cjk(text[m.end()]):
        return False
    punct = m.group("punct")
    if punct[0] in "!?" or m.group("close"):
        return True
    return punct == "." and m.start() > 0 and is_cjk(text[m.start() - 1])


def _ellipsis_cut(text: str, m: re.Match) -> int | None:
    """An ellipsis before a capital: a bare "..." is a pause inside the sentence; four dots or a closing quote end it.

    "word. . . . Next" is a full stop followed by an ellipsis that opens the next sentence.
    """
    punct, start = m.group("punct"), m.start()
    dots = punct.count(".") + 3 * punct.count("…") + 3 * punct.count("⋯")
    if dots <= 3 and not m.group("close"):
        return None
    if " " in punct and start > 0 and not text[start - 1].isspace():
        return start + 1
    return m.end()


def _period_cut(text: str, m: re.Match, segment_start: int, next_at: int) -> int | None:
    """Decide a single full stop followed by a capital, digit or quote: abbreviations, initials, list labels."""
    word_start = text.rfind(" ", segment_start, m.start()) + 1
    word_start = max(word_start, segment_start)
    word = _LEADING_OPENERS.sub("", text[word_start:m.start()])
    lower = word.lower()
    head = text[segment_start:word_start].strip()
    if (word.isdigit() and len(word) <= 3 or len(word) == 1 and word.isalpha()) and all(c in _BULLETS for c in head):
        return None  # "1. The first item", "a. The first item"
    if lower in _NEVER_FINAL:
        return None
    if lower in _BEFORE_NUMBER and text[next_at].isdigit():
        return None
    if len(word) == 1 and word.isupper():
        previous = text[segment_start:word_start].split()
        if previous and previous[-1][:1].isupper():
            return None  # an initial: "Jonas E. Smith"
        return m.end()
    if lower in _AMBIGUOUS or _DOTTED_ACRONYM.fullmatch(word):
        following = _NEXT_WORD.match(text, next_at)
        starter = following is not None and (
            following.group() in _SENTENCE_STARTERS or following.group().lower() in _NEVER_FINAL
        )
        long_enough = len(text[segment_start:m.start()].split()) > _SHORT_LEAD_WORDS
        return m.end() if starter and long_enough else None
    return m.end()
