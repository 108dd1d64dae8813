"""Tone3 pinyin syllable -> the two GPT-SoVITS phones [initial, final+tone], derived by rule (REFERENCE §6.2)."""
from __future__ import annotations

from functools import lru_cache

CONSONANTS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h",
              "j", "q", "x", "r", "z", "c", "s")
GLIDES = ("y", "w")
ZERO_INITIALS = {"a": "AA", "e": "EE", "o": "OO"}   # pseudo-initial by the syllable's first letter
FINALS = frozenset((
    "a ai an ang ao e ei en eng er i i0 ir ia ian iang iao ie in ing iong iu o ong ou "
    "u ua uai uan uang ui un uo v van ve vn E En").split())
TONES = "12345"
PALATALS = ("j", "q", "x")             # u after these (and y) is really ü
RETROFLEX = ("zh", "ch", "sh", "r")    # their bare -i is "ir"
DENTAL_SIBILANTS = ("z", "c", "s")     # their bare -i is "i0"
# Standard spelling of zero-initial finals written without y/w (pypinyin "strict" finals).
_ZERO_SPELLING = {"ing": "ying", "i": "yi", "in": "yin", "u": "wu"}
_ZERO_FIRST_LETTER = {"v": "yu", "i": "y", "u": "w"}
# Long-form finals that written pinyin contracts after an initial.
_CONTRACTED = {"uei": "ui", "iou": "iu", "uen": "un"}
# Syllabic nasals, interjections and the bare erhua "r" the table lacks, read as their nearest syllable.
_INTERJECTIONS = {"r": "er", "n": "en", "ng": "eng", "m": "mu", "hm": "hen", "hng": "heng", "ê": "ei"}


class PinyinError(ValueError):
    """A string that is not a tone3 pinyin syllable the phone inventory can express."""


def split_tone(syllable: str) -> tuple[str, str]:
    """'zhang3' -> ('zhang', '3'); raise PinyinError without a tone digit 1-5."""
    if len(syllable) < 2 or syllable[-1] not in TONES:
        raise PinyinError(f"{syllable!r}: pinyin needs a tone digit 1-5 at the end (5 = neutral)")
    return syllable[:-1], syllable[-1]


def _split_initial(base: str) -> tuple[str, str]:
    """Spelling -> (initial or '', rest)."""
    for initial in CONSONANTS + GLIDES:
        if base.startswith(initial) and len(base) > len(initial):
            return initial, base[len(initial):]
    return "", base


def _final_after(initial: str, rest: str) -> str:
    """The phone-inventory final written as ``rest`` after ``initial`` (the opencpop-strict exceptions)."""
    rest = _CONTRACTED.get(rest, rest)
    if initial in PALATALS + ("y",) and rest.startswith("u"):
        rest = "v" + rest[1:]
    if initial == "y":
        return {"an": "En", "e": "E", "i": "i", "in": "in", "ing": "ing"}.get(rest, rest)
    if rest == "i" and initial in RETROFLEX:
        return "ir"
    if rest == "i" and initial in DENTAL_SIBILANTS:
        return "i0"
    return rest


def _check_pair(syllable: str, initial: str, final: str) -> None:
    """Reject initial/final pairs that no Mandarin syllable has."""
    if final not in FINALS:
        raise PinyinError(f"{syllable!r}: unknown final {final!r}")
    front = final[0] in "iv" and final not in ("ir", "i0")
    if initial in PALATALS and not front:
        raise PinyinError(f"{syllable!r}: {initial} must be followed by i or ü")
    if initial in ("g", "k", "h", "f") + RETROFLEX + DENTAL_SIBILANTS and (front or final in ("ir", "i0")) \
            and not (final == "ir" and initial in RETROFLEX) and not (final == "i0" and initial in DENTAL_SIBILANTS):
        raise PinyinError(f"{syllable!r}: {initial} cannot be followed by {final}")


@lru_cache(maxsize=4096)
def syllable_phones(syllable: str) -> tuple[str, str]:
    """'zhang3' -> ('zh', 'ang3'); 'ai4' -> ('AA', 'ai4'); 'yan2' -> ('y', 'En2'). Raises PinyinError."""
    base, tone = split_tone(syllable.strip().lower().replace("ü", "v").replace("u:", "v"))
    base = _INTERJECTIONS.get(base, base)
    initial, rest = _split_initial(base)
    if not initial:
        if base in _ZERO_SPELLING:
            return syllable_phones(_ZERO_SPELLING[base] + tone)
        if base[0] in _ZERO_FIRST_LETTER:
            return syllable_phones(_ZERO_FIRST_LETTER[base[0]] + base[1:] + tone)
        if base[0] not in ZERO_INITIALS or base not in FINALS:
            raise PinyinError(f"{syllable!r}: not a pinyin syllable")
        return ZERO_INITIALS[base[0]], base + tone
    final = _final_after(initial, rest)
    _check_pair(syllable, initial, final)
    return initial, final + tone


def is_syllable(syllable: str) -> bool:
    """True when ``syllable`` is a tone3 pinyin syllable the inventory can express."""
    try:
        syllable_phones(syllable)
    except PinyinError:
        return False
    return True
