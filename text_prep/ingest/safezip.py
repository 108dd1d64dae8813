"""A zip archive opened defensively: members escaping the archive, zip bombs and oversize files are refused.

Member names are UTF-8 (as OCF requires, also where a zip tool did not set the UTF-8 flag) and are
compared in Unicode NFC: a manifest naming "café.xhtml" composed finds a member stored decomposed
(as macOS tools write it), and the other way round.
"""
from __future__ import annotations

import posixpath
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from text_prep.errors import BookError


_UTF8_FLAG = 0x800  # general purpose bit 11: the name is UTF-8


@dataclass(frozen=True)
class ZipLimits:
    """What an untrusted archive may contain before it is refused."""

    max_members: int = 10_000
    max_member_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024
    max_ratio: float = 200.0  # uncompressed / compressed, checked for members over ratio_floor_bytes
    ratio_floor_bytes: int = 1024 * 1024


class SafeZip:
    """Read-only view of a checked archive; ``read(name)`` raises KeyError for an absent member."""

    def __init__(self, path: Path, limits: ZipLimits | None = None) -> None:
        self.path = path
        self.limits = limits or ZipLimits()
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
            raise BookError(path, f"not a readable zip archive ({exc})") from exc
        self._members = self._check()

    def _check(self) -> dict[str, zipfile.ZipInfo]:
        """Validate every member's name and declared size before anything is read."""
        infos = self._zip.infolist()
        if len(infos) > self.limits.max_members:
            raise BookError(self.path, f"archive has {len(infos)} members (limit {self.limits.max_members})")
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename
            if _escapes(name):
                raise BookError(self.path, f"archive member escapes the archive: {name!r}")
            if info.file_size > self.limits.max_member_bytes:
                raise BookError(self.path, f"archive member too large: {name} ({info.file_size} bytes)")
            if info.file_size > self.limits.ratio_floor_bytes and info.file_size > self.limits.max_ratio * max(
                info.compress_size, 1
            ):
                raise BookError(self.path, f"archive member looks like a zip bomb: {name}")
            total += info.file_size
            if not info.is_dir():
                members[member_key(_utf8_name(info))] = info
        if total > self.limits.max_total_bytes:
            raise BookError(self.path, f"archive expands to {total} bytes (limit {self.limits.max_total_bytes})")
        return members

    def names(self) -> list[str]:
        """Normalised member names (files only)."""
        return list(self._members)

    def __contains__(self, name: str) -> bool:
        return member_key(name) in self._members

    def read(self, name: str) -> bytes:
        """The member's bytes, never more than its declared size; KeyError if absent."""
        info = self._members[member_key(name)]
        try:
            with self._zip.open(info) as stream:
                data = stream.read(info.file_size + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
            raise BookError(self.path, f"cannot read archive member {info.filename} ({exc})") from exc
        if len(data) > info.file_size:
            raise BookError(self.path, f"archive member larger than declared: {info.filename}")
        return data

    def close(self) -> None:
        """Close the underlying archive."""
        self._zip.close()

    def __enter__(self) -> "SafeZip":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _utf8_name(info: zipfile.ZipInfo) -> str:
    """The member's name as UTF-8 (OCF's encoding) even when the archive did not set the zip UTF-8 flag."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")  # zipfile decoded the raw bytes as cp437
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def member_key(name: str) -> str:
    """How member names are compared: normalised path, Unicode NFC."""
    return unicodedata.normalize("NFC", posixpath.normpath(name))


def _escapes(name: str) -> bool:
    """True for absolute names, drive letters, backslashes or ``..`` that climb out of the archive."""
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return True
    return posixpath.normpath(name).startswith("..")
