"""Progress reporting from inside the flow: a sink chosen by the caller (Rich bars in the CLI, nothing otherwise)."""
from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator, Protocol


class ProgressSink(Protocol):
    """What the render flow reports while it works."""

    def book_started(self, n_chapters: int, n_lines: int) -> None: ...
    def chapter_started(self, index: int, title: str, n_lines: int) -> None: ...
    def lines_done(self, n: int) -> None: ...
    def chapter_done(self, index: int) -> None: ...


class NullProgress:
    """Reports nothing (deployments, tests)."""

    def book_started(self, n_chapters: int, n_lines: int) -> None:
        pass

    def chapter_started(self, index: int, title: str, n_lines: int) -> None:
        pass

    def lines_done(self, n: int) -> None:
        pass

    def chapter_done(self, index: int) -> None:
        pass


_SINK: contextvars.ContextVar[ProgressSink] = contextvars.ContextVar("bookvoice_progress", default=NullProgress())


def current() -> ProgressSink:
    """The sink of the surrounding ``reporting()`` block (a no-op sink outside one)."""
    return _SINK.get()


@contextlib.contextmanager
def reporting(sink: ProgressSink) -> Iterator[ProgressSink]:
    """Send the flow's progress to ``sink`` for the duration of the block."""
    token = _SINK.set(sink)
    try:
        yield sink
    finally:
        _SINK.reset(token)


class RichProgress:
    """Two Rich bars with ETA: the whole book (sentences) and the current chapter."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeRemainingColumn(), transient=False)
        self._book = None
        self._chapter = None
        self._chapter_total = 0

    def __enter__(self) -> "RichProgress":
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def book_started(self, n_chapters: int, n_lines: int) -> None:
        self._book = self._progress.add_task(f"book ({n_chapters} chapters)", total=n_lines)

    def chapter_started(self, index: int, title: str, n_lines: int) -> None:
        if self._chapter is not None:
            self._progress.remove_task(self._chapter)
        self._chapter = self._progress.add_task(f"chapter {index}: {title[:30]}", total=n_lines)
        self._chapter_total = n_lines

    def lines_done(self, n: int) -> None:
        for task_id in (self._book, self._chapter):
            if task_id is not None:
                self._progress.advance(task_id, n)

    def chapter_done(self, index: int) -> None:
        if self._chapter is not None:
            self._progress.update(self._chapter, completed=self._chapter_total)
