"""The delivery formats a render can produce, and the one parser of a format list (config and CLI use it)."""
from __future__ import annotations

from typing import Iterable

FORMATS = ("mp3", "m4b", "srt", "vtt", "epub3")
DEFAULT_FORMATS = ("mp3",)
ALWAYS = "mp3"                      # the chapter files every other format is made from
SUBTITLE_FORMATS = ("srt", "vtt")


def parse_formats(values: Iterable[str]) -> tuple[str, ...]:
    """The formats in canonical order with ``mp3`` included; items may be comma-separated.

    ValueError names the first unknown format.
    """
    wanted = {item.strip().lower() for value in values for item in value.split(",") if item.strip()}
    unknown = sorted(wanted - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r} (known: {', '.join(FORMATS)})")
    return tuple(fmt for fmt in FORMATS if fmt in wanted or fmt == ALWAYS)
