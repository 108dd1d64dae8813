"""English G2P as the reference GPT-SoVITS front-end reads English: spoken-form text -> ARPAbet and pause phones.

The text is reduced to letters, spaces and ' . , ? ! - (accents stripped, a capital inside a mixed-case word
starts a new word: ChatGPT -> Chat GPT), runs of marks collapse to the first, and NLTK's TweetTokenizer
splits it. Each token, in the reference's order: a mark is its pause phone (' is -); a single letter is
its dictionary entry; a homograph takes its pronunciation by part of speech (NLTK's tagger); then the
reference dictionary; the name list for a title-case word; words of up to three letters are spelled;
a possessive is its stem + S/IH0 Z/Z; a run-together word is split (wordsegment) and each part read;
anything else is g2p_en's network's guess. Deliberate differences from the reference (its bugs) are
listed in ``text_prep.phones.differences``: pauses for ; : and dashes, curly apostrophes, the article A,
words in capitals.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable, Sequence

from text_prep.en.dictionary import homograph_phones, homographs, names, pronunciations
from text_prep.en.neural_g2p import neural_g2p
from text_prep.en.tagger import pos_tags, tokenizer

VOWELS = ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW")
CONSONANTS = ("B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S", "SH",
              "T", "TH", "V", "W", "Y", "Z", "ZH")
ARPABET = frozenset([v + s for v in VOWELS for s in "012"] + list(CONSONANTS))
VOICELESS_ENDINGS = frozenset(("P", "T", "K", "F", "TH", "HH"))
SIBILANT_ENDINGS = frozenset(("S", "Z", "SH", "ZH", "CH", "JH"))
MARK_PHONES = {",": ",", ".": ".", "!": "!", "?": "?", "-": "-", "'": "-"}
MARKS = ",.!?-"
TAG_LOOKAHEAD = 2                # NLTK's tagger looks at the next two words
MAX_SPELLED = 3                  # the reference spells unknown words up to this long
MAX_SPELLED_ACRONYM = 3          # a word in capitals this short is an acronym even if it is a dictionary word
LETTER_A = ("EY1",)              # the reference's name of the letter a
_CURLY_APOSTROPHE = re.compile(r"(?<=[A-Za-z])[’‘](?=[A-Za-z])")
_PAUSE_MARKS = re.compile(r"\s*(?:[;:；：，、]|—+|–|--+|―)\s*")
_WIDE_MARKS = str.maketrans({"。": ".", "！": "!", "？": "?"})
_NOT_KEPT = re.compile(r"[^ A-Za-z'.,?!\-]")
_MIXED_CASE_CAPITAL = re.compile(r"(?<!^)(?<![\sA-Z])([A-Z])")
_MARK_RUN = re.compile(rf"([{re.escape(MARKS)}\s])[{re.escape(MARKS)}]+")
_DIGITS = re.compile(r"[0-9]+")
_POSSESSIVE = re.compile(r"^[a-z]+'s$")


def _number_words(match: re.Match[str]) -> str:
    from num2words import num2words

    return f" {num2words(int(match.group()))} "


def prepare(text: str) -> str:
    """The text the tokenizer sees (the reference's character handling, without its bugs)."""
    text = _CURLY_APOSTROPHE.sub("'", text).translate(_WIDE_MARKS)
    text = _PAUSE_MARKS.sub(", ", text).replace("…", "...")
    text = _DIGITS.sub(_number_words, text)
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    text = _NOT_KEPT.sub("", text.replace("%", " percent"))
    text = re.sub(r"(?i)i\.e\.", "that is", text)
    text = re.sub(r"(?i)e\.g\.", "for example", text)
    text = _MIXED_CASE_CAPITAL.sub(r" \1", text)
    return _MARK_RUN.sub(r"\1", text)


def spell(word: str) -> list[str]:
    """Letter-by-letter reading (the reference names the letter a EY1; ' and - are pauses, as there)."""
    table = pronunciations()
    out: list[str] = []
    for ch in word.lower():
        if ch == "a":
            out.extend(LETTER_A)
        elif ch.isalpha():
            out.extend(table.get(ch, ()))
        elif ch in MARK_PHONES:
            out.append(MARK_PHONES[ch])
    return out


def _possessive(stem: Sequence[str]) -> list[str]:
    if not stem:
        return []
    last = stem[-1]
    if last in VOICELESS_ENDINGS:
        return [*stem, "S"]
    if last in SIBILANT_ENDINGS:
        return [*stem, "AH0", "Z"]
    return [*stem, "Z"]


@lru_cache(maxsize=1)
def _segmenter() -> Callable[[str], list[str]]:
    """wordsegment's segment(), its tables loaded on first use."""
    import wordsegment

    wordsegment.load()
    return wordsegment.segment


@lru_cache(maxsize=65536)
def lookup(word: str) -> tuple[str, ...]:
    """The reference's lookup of one word without a part of speech (dictionary, names, spelling, parts, guess)."""
    lower = word.lower()
    table = pronunciations()
    if len(lower) > 1 and lower in table:
        return table[lower]
    if word.istitle() and lower in names():
        return names()[lower]
    if len(lower) <= MAX_SPELLED:
        return tuple(spell(lower))
    if _POSSESSIVE.match(lower):
        return tuple(_possessive(lookup(lower[:-2])))
    parts = _segmenter()(lower)
    if len(parts) <= 1:
        return neural_g2p().predict(lower)
    return tuple(p for part in parts for p in lookup(part))


def word_phones(word: str, tag: str = "", shouting: bool = False, article: bool = False) -> tuple[str, ...]:
    """ARPAbet for one token; ``tag`` picks homographs, ``article`` reads a capital A as 'a'."""
    lower = word.lower()
    if len(lower) == 1:
        if word == "A" and not article:
            return LETTER_A
        return pronunciations().get(lower, ())
    if word.isupper() and not shouting and word.isalpha():
        if len(lower) <= MAX_SPELLED_ACRONYM or lower not in pronunciations():
            return tuple(spell(word))                # an acronym: GPU, IT
    if lower in homographs():
        return homograph_phones(lower, tag)
    return lookup(word)


def _caps_word(token: str) -> bool:
    return len(token) > 1 and token.isalpha() and token.isupper()


def _shouted(tokens: Sequence[str]) -> list[bool]:
    """Tokens in a run of two or more words in capitals, at least half of them dictionary words (DRINK ME)."""
    out = [False] * len(tokens)
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and _caps_word(tokens[j]):
            j += 1
        run = tokens[i:j]
        if len(run) >= 2 and sum(w.lower() in pronunciations() for w in run) * 2 >= len(run):
            out[i:j] = [True] * len(run)
        i = max(j, i + 1)
    return out


def g2p_en(text: str) -> list[str]:
    """Phones for spoken-form English ``text``: ARPAbet words and the pause phones , . ! ? -."""
    tokens = tokenizer()(prepare(text))
    words = [t for t in tokens if re.search("[A-Za-z]", t)]
    shouting = _shouted(tokens)
    tags = [""] * len(tokens)
    last = max((i for i, t in enumerate(tokens) if t.lower() in homographs()), default=-1)
    if last >= 0:       # the tagger reads two words ahead: the tags up to ``last`` are those of the whole text
        tags[:last + 1] = pos_tags(tokens[:last + TAG_LOOKAHEAD + 1])[:last + 1]
    phones: list[str] = []
    for i, (token, tag) in enumerate(zip(tokens, tags)):
        if not re.search("[A-Za-z]", token):
            mark = MARK_PHONES.get(token)
            if mark:
                phones.append(mark)
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        article = token == "A" and following[:1].islower()
        phones.extend(word_phones(token, tag, shouting[i], article))
    return phones
