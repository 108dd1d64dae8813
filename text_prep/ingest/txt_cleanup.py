"""Cleaning plain-text books: line endings, Project Gutenberg header/footer, stray HTML, site adverts, markers."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_PG_START = re.compile(r"^\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK.*$", re.I | re.M)
_PG_END = re.compile(
    r"^(?:\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK.*|End of (?:the )?Project Gutenberg'?s? .*)$",
    re.I | re.M,
)
_PG_FIELD = re.compile(r"^(Title|Author|Language|Release [Dd]ate):\s*(.+)$", re.M)
_PG_NUMBER = re.compile(r"\[E-?Book #(\d+)\]", re.I)

_BLOCK_TAG = re.compile(r"<\s*/?\s*(?:br|p|div|li|tr|h[1-6]|hr)\b[^<>]{0,300}>", re.I)
_INLINE_TAG = re.compile(
    r"<\s*/?\s*(?:a|b|i|u|em|strong|span|font|img|center|small|big|sup|sub|html|head|body|title|meta|table|td|th"
    r"|ul|ol|blockquote|pre|code)\b[^<>]{0,300}>",
    re.I,
)
_SCRIPT = re.compile(r"<\s*(script|style)\b.*?<\s*/\s*\1\s*>", re.I | re.S)

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|cn|cc|info|tw|me)\b", re.I)
_AD_WORDS = re.compile(
    r"下[载載]|本站|[网網]址|小[说說]|txt|[阅閱][读讀]|更新|首[发發]|收藏|[书書]友|免[费費]|download|visit|e-?books?|free",
    re.I,
)
_AD_PHRASE = re.compile(
    r"^(?:本[书書]由.{0,40}(?:整理|提供|制作|製作|收集)|(?:更多|最新)(?:精彩|章[节節]).{0,30}|手机[阅閱][读讀].{0,30}"
    r"|天才一秒[记記]住.{0,40}|[请請][记記]住本.{0,40})$"
)
_MAX_AD_LINE = 100
_MAX_URL_LINE_REST = 20  # a line that is a URL plus at most this much other text
# [ \t] rather than \s: a marker line becomes an empty line, so line numbers stay those of the file
_ILLUSTRATION = re.compile(r"^[ \t]*\[Illustration(?::[^\]\n]*)?\][ \t]*$", re.I | re.M)
_SEPARATOR_LINE = re.compile(r"^[ \t]*(?:[*•·=~#-][ \t]*){3,}$", re.M)
# byte-order marks inside the text (files joined together) and zero-width characters before a heading
_INVISIBLE = re.compile("[\ufeff\u200b-\u200d\u2060]")
_UNDERSCORE_ITALIC = re.compile(r"(?<![\w_])_([^_\n]{1,200}?)_(?![\w_])")


@dataclass
class GutenbergInfo:
    """Fields from a Project Gutenberg header (empty when the file has none)."""

    fields: dict[str, str] = field(default_factory=dict)
    number: str = ""
    lines_cut: int = 0  # lines of header cut from the top of the file


def normalise_newlines(text: str) -> str:
    """CRLF, CR, form feeds and Unicode line/paragraph separators become ``\\n``; stray BOMs and zero-width marks go."""
    return _INVISIBLE.sub("", re.sub(r"\r\n?|[\f\v\u2028\u2029\x85]", "\n", text))


def strip_gutenberg(text: str) -> tuple[str, GutenbergInfo]:
    """Cut the Project Gutenberg header and licence footer, returning the header's metadata."""
    info = GutenbergInfo()
    start = _PG_START.search(text)
    if start is not None:
        header = text[: start.start()]
        info.fields = {k.lower(): v.strip() for k, v in _PG_FIELD.findall(header)}
        number = _PG_NUMBER.search(header)
        info.number = number.group(1) if number else ""
        info.lines_cut = text.count("\n", 0, start.end())
        text = text[start.end():]
    end = _PG_END.search(text)
    if end is not None:
        text = text[: end.start()]
    return text, info


def strip_markup(text: str) -> str:
    """Remove stray HTML tags (block tags become line breaks) and decode entities, only if tags are present."""
    if not (_BLOCK_TAG.search(text) or _INLINE_TAG.search(text)):
        return text
    text = _SCRIPT.sub("", text)
    text = _BLOCK_TAG.sub("\n", text)
    text = _INLINE_TAG.sub("", text)
    return html.unescape(text)


def strip_markers(text: str) -> str:
    """Drop "[Illustration]" lines and "* * *" separators; unwrap _italic_ underscores."""
    text = _ILLUSTRATION.sub("", text)
    text = _SEPARATOR_LINE.sub("", text)
    return _UNDERSCORE_ITALIC.sub(r"\1", text)


def is_advert(line: str) -> bool:
    """An obvious site advert: a bare URL line, a short line with a URL and download/visit wording, a stock phrase."""
    stripped = line.strip()
    if _AD_PHRASE.match(stripped):
        return True
    if not _URL.search(stripped):
        return False
    rest = _URL.sub("", stripped).strip()
    return len(rest) <= _MAX_URL_LINE_REST or (len(stripped) <= _MAX_AD_LINE and bool(_AD_WORDS.search(stripped)))
