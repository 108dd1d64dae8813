"""Character-level clean-up shared by both languages: full-/half-width unification and
removal of emoji and other symbols that have no spoken form (with a logged warning)."""
from __future__ import annotations

import functools
import logging
import re
import unicodedata

from text_prep.normalize.rules import compiled
from text_prep.normalize.symbols import SPOKEN_SYMBOLS

logger = logging.getLogger(__name__)

FULLWIDTH_FIRST, FULLWIDTH_LAST = 0xFF01, 0xFF5E  # "！" .. "～", the full-width ASCII block
FULLWIDTH_OFFSET = 0xFEE0  # distance from a full-width form to its ASCII character
SPACE_LIKE = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
DASH_LIKE = "\u2500\u2501"  # box-drawing lines used as dashes ("──") in Chinese books
INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
# Categories of characters that cannot be read aloud: symbols (emoji, dingbats, box drawing...),
# private-use, surrogate, unassigned and control code points.
UNSPOKEN_CATEGORIES = frozenset({"So", "Sk", "Sm", "Co", "Cs", "Cn", "Cc", "Cf", "Me"})
# Anything outside these ranges is looked at one by one (the common text is skipped in C).
_SUSPECT = (
    r"[^\t\n\r\x20-\x7e\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u2010-\u2027\u2030-\u205e"
    r"\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff01-\uff5e]"
)
MAX_REPORTED = 20  # characters quoted in one warning


@functools.lru_cache(maxsize=1)
def _width_table() -> dict[int, str]:
    """str.translate table: full-width ASCII forms and exotic spaces to plain ASCII."""
    table = {code: chr(code - FULLWIDTH_OFFSET) for code in range(FULLWIDTH_FIRST, FULLWIDTH_LAST + 1)}
    table.update({ord(ch): " " for ch in SPACE_LIKE})
    table.update({ord(ch): "\u2014" for ch in DASH_LIKE})
    table.update({ord(ch): None for ch in INVISIBLE})
    return table


def unify_width(text: str) -> str:
    """Full-width ASCII forms to half-width; odd spaces to " ", "─" to "—"; invisible characters removed."""
    return text.translate(_width_table())


def _is_unspoken(ch: str) -> bool:
    """True for a character with no spoken form that no normalisation rule reads."""
    if ch in SPOKEN_SYMBOLS or ch in "\t\n\r":
        return False
    code = ord(ch)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return True
    return unicodedata.category(ch) in UNSPOKEN_CATEGORIES


def drop_unspoken(text: str) -> str:
    """``text`` without emoji and other unpronounceable symbols; logs one warning when any were dropped."""
    dropped: list[str] = []

    def check(match: re.Match[str]) -> str:
        ch = match.group()
        if _is_unspoken(ch):
            dropped.append(ch)
            return ""
        return ch

    cleaned = compiled(_SUSPECT).sub(check, text)
    visible = [ch for ch in dropped if unicodedata.category(ch) not in ("Mn", "Me", "Cf")]
    if visible:
        shown = "".join(dict.fromkeys(visible))[:MAX_REPORTED]
        logger.warning("dropped %d unpronounceable character(s): %r", len(visible), shown)
    return cleaned
