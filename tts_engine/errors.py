"""Errors raised by the engine; the CLI prints them as one line."""
from __future__ import annotations

from pathlib import Path


class EngineError(Exception):
    """Base class of engine errors."""


class VoiceFileError(EngineError):
    """A voice or model file cannot be loaded; ``str()`` is ``"<path>: <problem>"``."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnsupportedVoiceError(VoiceFileError):
    """A recognised voice format this engine does not support yet (v3, v4, v2Pro...)."""


class ReferenceAudioError(VoiceFileError):
    """A reference clip is unreadable or outside the allowed duration."""
