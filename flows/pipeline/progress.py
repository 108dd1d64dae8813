"""Progress reporting from inside the flow: a sink chosen by the caller (Rich bars in the CLI, nothing otherwise)."""
from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator, Protocol


PLAN, SYNTHESIZE, ASSEMBLE = "plan", "synthesize", "assemble"   # the stages of a render, in order
STAGE_UNITS = {PLAN: "chapters", SYNTHESIZE: "sentences", ASSEMBLE: "chapters"}


class ProgressSink(Protocol):
    """What the render pipeline reports while it works: stages with totals, their progress, finished chapters."""

    def stage_started(self, stage: str, total: int) -> None: ...
    def advanced(self, stage: str, n: int = 1) -> None: ...
    def chapter_done(self, index: int, title: str) -> None: ...


class NullProgress:
    """Reports nothing (deployments, tests)."""

    def stage_started(self, stage: str, total: int) -> None:
        pass

    def advanced(self, stage: str, n: int = 1) -> None:
        pass

    def chapter_done(self, index: int, title: str) -> None:
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
    """One Rich bar per stage with ETA: planning (chapters), synthesis (sentences), assembly (chapters)."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeRemainingColumn(), transient=False)
        self._bars: dict[str, int] = {}

    def __enter__(self) -> "RichProgress":
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def stage_started(self, stage: str, total: int) -> None:
        self._bars[stage] = self._progress.add_task(f"{stage} ({STAGE_UNITS.get(stage, 'items')})", total=total)

    def advanced(self, stage: str, n: int = 1) -> None:
        if stage in self._bars:
            self._progress.advance(self._bars[stage], n)

    def chapter_done(self, index: int, title: str) -> None:
        self._progress.console.log(f"chapter {index}: {title[:40]} done")
