"""The run report (``out/report.json``) and the per-chapter manifests that let unchanged chapters be skipped."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flows.store.fsio import atomic_write_text

MANIFEST_DIR = "chapters"


@dataclass(frozen=True)
class FlaggedLine:
    """A line worth listening to: engine flags or an implausible speaking rate."""

    id: str
    text: str
    flags: list[str]
    chars_per_s: float


@dataclass(frozen=True)
class EditedLine:
    """A line read from a text override (set in the studio) instead of the book's own text."""

    id: str
    original: str
    text: str


@dataclass(frozen=True)
class PartFile:
    """One written MP3 and its levels measured on the encoded audio."""

    file: str
    duration_s: float
    rms_db: float
    peak_db: float
    lufs: float


@dataclass(frozen=True)
class ChapterOutput:
    """What assembling a chapter produced; stored in its manifest and reused while the inputs match."""

    index: int
    title: str
    parts: list[PartFile]
    flagged: list[FlaggedLine]

    @classmethod
    def from_dict(cls, data: dict) -> "ChapterOutput":
        return cls(data["index"], data["title"], [PartFile(**p) for p in data["parts"]],
                   [FlaggedLine(**f) for f in data["flagged"]])


@dataclass(frozen=True)
class ChapterReport:
    """One chapter's entry in the run report (multi-part chapters list their first file, parts after)."""

    index: int
    title: str
    file: str
    duration_s: float
    rms_db: float
    peak_db: float
    lufs: float
    sentences: int
    synthesized: int
    cached: int
    flagged: list[FlaggedLine]
    parts: list[PartFile] = field(default_factory=list)

    @classmethod
    def build(cls, output: ChapterOutput, sentences: int, synthesized: int) -> "ChapterReport":
        first = output.parts[0]
        return cls(output.index, output.title, first.file, round(sum(p.duration_s for p in output.parts), 3),
                   max(p.rms_db for p in output.parts) if len(output.parts) > 1 else first.rms_db,
                   max(p.peak_db for p in output.parts), first.lufs, sentences, synthesized,
                   sentences - synthesized, output.flagged, output.parts if len(output.parts) > 1 else [])


@dataclass(frozen=True)
class RunReport:
    """The whole report of one render."""

    project: str
    book: dict
    rendered_at: str
    engine: dict
    totals: dict
    chapters: list[ChapterReport]
    edits: list[EditedLine] = field(default_factory=list)
    files: list[str] = field(default_factory=list)     # every delivered file (relative to out/ when inside it)

    def to_json(self) -> str:
        data = asdict(self)
        for chapter in data["chapters"]:
            if not chapter["parts"]:
                del chapter["parts"]
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class ChapterManifest:
    """The input hash a chapter's files were assembled from, and what they came out as."""

    input_hash: str
    output: ChapterOutput

    @staticmethod
    def path(state_dir: Path, chapter_index: int) -> Path:
        return state_dir / MANIFEST_DIR / f"{chapter_index:04d}.json"

    @classmethod
    def load(cls, state_dir: Path, chapter_index: int) -> "ChapterManifest | None":
        """The stored manifest, or None when absent or unreadable (the chapter is then re-assembled)."""
        try:
            data = json.loads(cls.path(state_dir, chapter_index).read_text(encoding="utf-8"))
            return cls(data["input_hash"], ChapterOutput.from_dict(data["output"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, state_dir: Path) -> None:
        atomic_write_text(self.path(state_dir, self.output.index),
                          json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n")

    def is_current(self, input_hash: str, out_dir: Path) -> bool:
        """Whether the files on disk were made from exactly these inputs."""
        return self.input_hash == input_hash and all((out_dir / p.file).is_file() for p in self.output.parts)
