"""Polyphonic characters of a line for the studio: the reading chosen, its alternatives, and whether it is a guess."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

LOW_CONFIDENCE_PROB = 0.9     # a model-decided reading below this probability is shown as a guess


@dataclass(frozen=True)
class Polyphone:
    """One polyphonic character at ``index`` of the normalised text."""

    index: int
    char: str
    reading: str
    alternatives: tuple[str, ...]
    low_confidence: bool
    source: str               # what decided it: phrase, fallback, model, default or lexicon


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


def _is_low(method: str, model: Mapping[str, float]) -> bool:
    """A reading no dictionary settled and the polyphone model chose with hesitation.

    A character the model does not list as polyphonic gets its common reading ("default"): its other
    readings are rare enough for the model's training dictionary to ignore, so it is not flagged.
    """
    return method.startswith("model") and max(model.values(), default=0.0) < LOW_CONFIDENCE_PROB


def find_polyphones(norm_text: str, lexicon: object) -> list[Polyphone]:
    """The polyphonic Chinese characters of ``norm_text`` as the front-end reads them (citation tones)."""
    from text_prep.phones.langseg import has_han
    from text_prep.zh.pinyin import default_converter
    from text_prep.zh.polyphone_dict import char_readings

    if not has_han(norm_text):
        return []
    converter = default_converter()
    evidence = converter.evidence(norm_text)
    fixed = _lexicon_readings(norm_text, lexicon)
    out = []
    for i, (ev, (reading, method)) in enumerate(zip(evidence, converter.decide_all(evidence))):
        readings = char_readings(ev.char)
        if len(readings) < 2 or reading is None:
            continue
        if i in fixed:
            reading, source, low = fixed[i], "lexicon", False
        else:
            source, low = method.value, _is_low(method.value, ev.model)
        alternatives = tuple(r for r in readings if r != reading)
        out.append(Polyphone(i, ev.char, reading, alternatives, low, source))
    return out
