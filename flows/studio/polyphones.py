"""Polyphonic characters of a line for the studio: the reading chosen, its alternatives, and whether it is a guess.

Low confidence is the front-end's own judgement (``text_prep.zh.pinyin.uncertain_readings``); a reading a
lexicon entry fixed is never a guess.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Polyphone:
    """One polyphonic character at ``index`` of the normalised text."""

    index: int
    char: str
    reading: str
    alternatives: tuple[str, ...]
    low_confidence: bool
    source: str               # what decided it: a Method value of text_prep.zh.pinyin, or lexicon


def _lexicon_readings(text: str, lexicon: object) -> dict[int, str]:
    """Character positions covered by a Chinese lexicon entry, with the entry's reading."""
    from text_prep.phones.lexicon import ZhEntry

    out: dict[int, str] = {}
    pos = 0
    for piece in lexicon.split(text):   # type: ignore[attr-defined]
        if isinstance(piece, ZhEntry):
            out.update((pos + i, reading) for i, reading in enumerate(piece.pinyins))
            pos += len(piece.word)
        else:
            pos += len(piece if isinstance(piece, str) else piece.word)
    return out


def find_polyphones(norm_text: str, lexicon: object) -> list[Polyphone]:
    """The polyphonic Chinese characters of ``norm_text`` as the front-end reads them (citation tones)."""
    from text_prep.phones.langseg import has_han
    from text_prep.zh.pinyin import default_converter, uncertain_readings
    from text_prep.zh.polyphone_dict import char_readings

    if not has_han(norm_text):
        return []
    converter = default_converter()
    evidence = converter.evidence(norm_text)
    fixed = _lexicon_readings(norm_text, lexicon)
    uncertain = {u.index: u for u in uncertain_readings(norm_text)}
    out = []
    for i, (ev, (reading, method)) in enumerate(zip(evidence, converter.decide_all(evidence))):
        readings = char_readings(ev.char)
        if len(readings) < 2 or reading is None or (method.value == "default" and i not in fixed):
            continue         # "default": a character the polyphone model does not count as polyphonic
        if i in fixed:
            out.append(Polyphone(i, ev.char, fixed[i], tuple(r for r in readings if r != fixed[i]), False, "lexicon"))
            continue
        guess = uncertain.get(i)
        likely = tuple(r for r, _ in guess.alternatives) if guess is not None else ()
        alternatives = likely + tuple(r for r in readings if r != reading and r not in likely)
        out.append(Polyphone(i, ev.char, reading, alternatives, guess is not None, method.value))
    return out
