"""Errors raised for bad input files; the CLI prints them as one line."""
from __future__ import annotations

from pathlib import Path


class PathProblem(Exception):
    """A problem with one file or source; ``str()`` is ``"<path>: <problem>"``, the CLI's one-line form.

    The base of every package's file errors (input files here, voice files and downloads in
    tts_engine, outputs in flows), so the one-line format is defined once.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class InputFileError(PathProblem):
    """A user-supplied file cannot be used."""


class BookError(InputFileError):
    """A book file (EPUB or TXT) is missing, unreadable, encrypted or malformed."""


class LexiconError(InputFileError):
    """A pronunciation lexicon file is malformed."""
