"""Decoding a text file of unknown encoding (BOMs, UTF-8, UTF-16, GB18030/GBK, Big5, Latin-1) with a detector."""
from __future__ import annotations

import codecs
import logging
import unicodedata
from pathlib import Path

import charset_normalizer

from text_prep.errors import BookError

log = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Detector answers widened to the superset codec that decodes everything the narrower one does.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "cp950": "big5hkscs", "ascii": "utf-8"}
_WESTERN = "cp1252"  # also decodes every printable Latin-1 byte the same way
_WESTERN_TOLERANCE = 0.1  # how much more "chaos" than the detector's favourite cp1252 may show
_MAX_CONTROL_RATIO = 0.01  # more control characters than this and it is not a text file
_SAMPLE_BYTES = 4096


def decode_text(data: bytes, path: Path) -> str:
    """Decode the bytes of a text file; BookError for empty, binary or undecodable data."""
    if not data.strip():
        raise BookError(path, "empty file")
    text = _decode(data, path)
    if not text.strip():
        raise BookError(path, "empty file")
    if _control_ratio(text) > _MAX_CONTROL_RATIO:
        raise BookError(path, "binary file, not text")
    return text


def _decode(data: bytes, path: Path) -> str:
    """Pick the codec: BOM, strict UTF-8, BOM-less UTF-16, then the detector."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _strict(data, codec, path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    utf16 = _bomless_utf16(data[:_SAMPLE_BYTES])
    if utf16:
        return _strict(data, utf16, path)
    codec = _detect(data)
    if codec is None:
        raise BookError(path, "binary file or unknown text encoding")
    log.info("%s: detected encoding %s", path, codec)
    return data.decode(codec, errors="replace")


def _detect(data: bytes) -> str | None:
    """The detector's codec; among equally plausible single-byte codecs, Western European (cp1252) wins."""
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    if best.encoding not in _SUPERSETS and not best.encoding.startswith(("utf", "gb", "big5", "euc", "shift", "cp9")):
        western = next((m for m in matches if m.encoding == _WESTERN), None)
        if western is not None and western.chaos <= best.chaos + _WESTERN_TOLERANCE:
            return _WESTERN
    return _SUPERSETS.get(best.encoding, best.encoding)


def _strict(data: bytes, codec: str, path: Path) -> str:
    """Decode with ``codec``, reporting broken bytes as a bad file."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise BookError(path, f"invalid {codec} text at byte {exc.start}") from exc


def _bomless_utf16(sample: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when NUL bytes sit on every other position, as in UTF-16 text without a BOM."""
    even, odd = sample[0::2], sample[1::2]
    if len(sample) < 4:
        return None
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _control_ratio(text: str) -> float:
    """Fraction of control characters other than ordinary whitespace in a prefix of ``text``."""
    head = text[:_SAMPLE_BYTES * 4]
    bad = sum(1 for ch in head if ch not in "\n\r\t\f\v" and unicodedata.category(ch) in ("Cc", "Cs"))
    return bad / max(len(head), 1)
