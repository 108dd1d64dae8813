"""Whitespace helpers shared by the readers: CJK-aware collapsing and joining of hard-wrapped lines."""
from __future__ import annotations

import re
from typing import Iterable

# Ideographs (basic, extension A, compatibility, supplementary planes) and kana.
CJK_LETTERS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# CJK symbols and punctuation, full-width forms, small form variants (﹔), ellipsis and em dash.
CJK_PUNCTUATION = "\u3000-\u303f\uff00-\uffef\ufe30-\ufe6f\u2026\u2014"
_CJK_ANY = f"[{CJK_LETTERS}{CJK_PUNCTUATION}]"

_IS_CJK_LETTER = re.compile(f"[{CJK_LETTERS}]")
_IS_CJK_ANY = re.compile(_CJK_ANY)
_WRAP_BETWEEN_CJK = re.compile(rf"(?<={_CJK_ANY})[ \t\u3000]*\n\s*(?={_CJK_ANY})")
_ANY_SPACE = re.compile(r"\s+")


def is_cjk(char: str) -> bool:
    """True for a Chinese/Japanese ideograph or kana character."""
    return bool(_IS_CJK_LETTER.match(char))


def cjk_ratio(text: str, sample: int = 20_000) -> float:
    """Fraction of the non-space characters in (a prefix of) ``text`` that are CJK letters."""
    head = _ANY_SPACE.sub("", text[:sample])
    if not head:
        return 0.0
    return len(_IS_CJK_LETTER.findall(head)) / len(head)


def collapse_whitespace(text: str) -> str:
    """Drop line breaks between CJK characters, then collapse every other whitespace run to one space."""
    return _ANY_SPACE.sub(" ", _WRAP_BETWEEN_CJK.sub("", text)).strip()


def join_lines(lines: Iterable[str]) -> str:
    """Undo hard wrapping: CJK lines join directly, ``word-`` + ``word`` keep the hyphen, others join with a space."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not out:
            out = line
        elif _joins_tight(out[-1], line[0], out[-2:-1]):
            out += line
        else:
            out += " " + line
    return collapse_whitespace(out)


def _joins_tight(last: str, first: str, before_last: str) -> bool:
    """Whether two wrapped lines meet without a space between them."""
    if _IS_CJK_ANY.match(last) and _IS_CJK_ANY.match(first):
        return True
    return last == "-" and before_last.isalpha() and first.isalpha()
