"""Errors raised by the engine; the CLI prints them as one line."""
from __future__ import annotations

from text_prep.errors import PathProblem


class EngineError(Exception):
    """Base class of engine errors."""


class VoiceFileError(PathProblem, EngineError):
    """A voice or model file cannot be loaded; ``str()`` is ``"<path>: <problem>"``."""


class UnsupportedVoiceError(VoiceFileError):
    """A recognised voice format this engine does not support yet (v3, v4, v2Pro...)."""


class ReferenceAudioError(VoiceFileError):
    """A reference clip is unreadable or outside the allowed duration."""
