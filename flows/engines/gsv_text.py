"""GPT-SoVITS's text conventions (REFERENCE §5.2-5.4) that the front-end leaves to the voice's path.

The reference shapes every text before its front-end sees it: a full stop after a text that does
not end in punctuation (prompt and target alike), a full stop before a target whose first clause
is very short, and a target with fewer than 6 phones phonemised again with a leading ".". The
project's front-end applies these, in this one place, only when a GPT-SoVITS voice speaks (the
draft voice reads the text as written).
"""
from __future__ import annotations

from typing import Callable, Protocol, TypeVar

from text_prep.phones.langseg import has_han

SPLITS = frozenset("，。？！,.?!~:：—…")   # the reference's sentence-final punctuation
MIN_PHONES = 6                           # §5.4: fewer phones -> phonemised again as "." + text
SHORT_FIRST_CLAUSE = 4                   # §5.3: a first clause shorter than this gets a full stop before it
RETRY_PREFIX = "."


class HasPhones(Protocol):
    phones: tuple[str, ...]


P = TypeVar("P", bound=HasPhones)


def full_stop(text: str, lang: str) -> str:
    """The full stop the reference adds: "." for English text, "。" otherwise ("auto": by the text's script)."""
    english = lang == "en" or (lang == "auto" and not has_han(text))
    return "." if english else "。"


def prompt_text(text: str, lang: str) -> str:
    """§5.2: the reference transcript, stripped, with a full stop appended unless it ends in punctuation."""
    text = text.strip("\n")
    return text if text and text[-1] in SPLITS else text + full_stop(text, lang)


def target_text(text: str, lang: str) -> str:
    """§5.3: a full stop before a first clause shorter than 4 characters, and after a text without one."""
    text = text.strip("\n")
    if not text:
        return text
    first_clause = next((text[:i] for i, ch in enumerate(text) if ch in SPLITS), text).strip()
    if text[0] not in SPLITS and len(first_clause) < SHORT_FIRST_CLAUSE:
        text = full_stop(text, lang) + text
    return text if text[-1] in SPLITS else text + full_stop(text, lang)


def phonemize_target(phonemize: Callable[[str], P], text: str, lang: str) -> P:
    """§5.3-5.4: phonemise the shaped target; under 6 phones, phonemise "." + it instead."""
    shaped = target_text(text, lang)
    phonemes = phonemize(shaped)
    if len(phonemes.phones) < MIN_PHONES:
        phonemes = phonemize(RETRY_PREFIX + shaped)
    return phonemes
