"""Errors raised by the production flow for bad projects and failed writes; the CLI prints them as one line."""
from __future__ import annotations

import errno
from pathlib import Path

from text_prep.errors import InputFileError, PathProblem


class ProjectError(InputFileError):
    """A project folder or its ``project.toml`` is missing, unreadable or invalid."""


class OutputError(PathProblem):
    """An output or cache file could not be written (disk full, permissions); ``str()`` is ``"<path>: <problem>"``."""

    @classmethod
    def from_os_error(cls, path: str | Path, exc: OSError) -> "OutputError":
        """Describe an OSError raised while writing ``path`` in one line."""
        problem = "disk full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (exc.strerror or str(exc))
        return cls(path, f"cannot write: {problem}")
