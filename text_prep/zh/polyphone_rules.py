"""Grammar rules for polyphones that neither dictionaries nor the context model get right.

The context model learnt from encyclopedic text, where 地 is nearly always the noun di4; in
fiction it is mostly the adverbial particle de5 (慢慢地走). The particle follows adverbial
forms that are easy to recognise: reduplications (慢慢地, 高高兴兴地, 静悄悄地) and
adjectives in -然 / -性 (突然地, 习惯性地). Rules only speak for characters that no
dictionary word covers; the converter treats them like curated phrase readings.
"""
from __future__ import annotations

PARTICLE_DE = ("地", "de5")
ADVERBIAL_SUFFIXES = frozenset("然性")


def _is_han(ch: str) -> bool:
    """True for a CJK unified ideograph (the ranges that hold ordinary Chinese text)."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def rule_readings(text: str) -> dict[int, str]:
    """Positions of ``text`` that a grammar rule reads, with their tone3 reading."""
    char, reading = PARTICLE_DE
    out: dict[int, str] = {}
    start = text.find(char)
    while start != -1:
        before = text[max(0, start - 2):start]
        reduplicated = len(before) == 2 and before[0] == before[1] and _is_han(before[0])
        if reduplicated or (before[-1:] in ADVERBIAL_SUFFIXES and len(before) == 2 and _is_han(before[0])):
            out[start] = reading
        start = text.find(char, start + 1)
    return out
