"""Errors raised for bad input files; the CLI prints them as one line."""
from __future__ import annotations

from pathlib import Path


class InputFileError(Exception):
    """A user-supplied file cannot be used; ``str()`` is ``"<path>: <problem>"``."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class BookError(InputFileError):
    """A book file (EPUB or TXT) is missing, unreadable, encrypted or malformed."""


class LexiconError(InputFileError):
    """A pronunciation lexicon file is malformed."""
