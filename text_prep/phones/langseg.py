"""Language segmentation of mixed text: Chinese runs, English runs, and numbers/symbols given to a neighbour.

Chinese characters are zh and Latin words (with glued digits: H100, GPT-4, don't) are en. A number takes
the language of a word it is glued to (第3章, 3个, 3.5km keeps its unit), otherwise of its neighbours when
they agree, otherwise the default. Punctuation, spaces and symbols go with the run before them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f\u3007"
_HAN = re.compile(f"[{HAN_CLASS}]")
_TOKEN = re.compile(
    rf"(?P<han>[{HAN_CLASS}]+)"
    r"|(?P<num>[0-9]{1,2}:[0-9]{2}\s?[aApP]\.?[mM]\.?(?![A-Za-z])"                   # 8:00 a.m.
    r"|[0-9]+(?:[.,:/][0-9]+)*(?:°?[A-Za-z]{1,3}[²³]?(?:/[A-Za-z]{1,3})?(?![A-Za-z]))?)"
    r"|(?P<en>[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f0-9]*(?:(?<=[0-9])\.[0-9]+)*"    # v2.0 stays whole
    r"(?:['’\-][A-Za-z\u00c0-\u024f0-9]+(?:(?<=[0-9])\.[0-9]+)*)*)"
    r"|(?P<other>.)",
    re.DOTALL,
)
_FULL_WIDTH = {c: c - 0xFEE0 for c in list(range(0xFF10, 0xFF1A)) + list(range(0xFF21, 0xFF3B))
               + list(range(0xFF41, 0xFF5B))}
LANGS = ("zh", "en")


@dataclass(frozen=True)
class LangRun:
    """A stretch of text in one language."""

    lang: str
    text: str


def fold_width(text: str) -> str:
    """Full-width ASCII letters and digits -> half-width (punctuation is left to the normalisers)."""
    return text.translate(_FULL_WIDTH)


def has_han(text: str) -> bool:
    """True when ``text`` contains a Chinese character."""
    return _HAN.search(text) is not None


def _number_lang(tokens: list[tuple[str, str]], i: int, default: str) -> str:
    """Language of the number token ``i``: glued word first (han preferred), then agreeing neighbours."""
    glued = []
    if i > 0 and tokens[i - 1][0] in LANGS:
        glued.append(tokens[i - 1][0])
    if i + 1 < len(tokens) and tokens[i + 1][0] in LANGS:
        glued.append(tokens[i + 1][0])
    if glued:
        return "zh" if "zh" in glued else glued[0]
    before = next((kind for kind, _ in reversed(tokens[:i]) if kind in LANGS), None)
    after = next((kind for kind, _ in tokens[i + 1:] if kind in LANGS), None)
    if before == after and before is not None:
        return before
    return default


def segment(text: str, default: str = "zh") -> list[LangRun]:
    """Split ``text`` into alternating zh/en runs; ``default`` decides numbers and symbols with no clear side."""
    if default not in LANGS:
        raise ValueError(f"default language must be one of {LANGS}, not {default!r}")
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(fold_width(text)):
        kind = "zh" if match.lastgroup == "han" else "en" if match.lastgroup == "en" else match.lastgroup
        tokens.append((kind, match.group()))
    labels: list[str | None] = []
    for i, (kind, _) in enumerate(tokens):
        if kind in LANGS:
            labels.append(kind)
        elif kind == "num":
            labels.append(_number_lang(tokens, i, default))
        else:
            labels.append(None)                      # decided below: the run before it
    runs: list[LangRun] = []
    pending = ""                                     # symbols before the first labelled token
    for (_, piece), label in zip(tokens, labels):
        if label is None:
            if runs:
                runs[-1] = LangRun(runs[-1].lang, runs[-1].text + piece)
            else:
                pending += piece
            continue
        if runs and runs[-1].lang == label:
            runs[-1] = LangRun(label, runs[-1].text + piece)
        else:
            runs.append(LangRun(label, pending + piece))
            pending = ""
    if pending:
        runs.append(LangRun(default, pending))
    return runs
