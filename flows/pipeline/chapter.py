"""Pure chapter work for the flow: input hash, file names, tags, quality flags, assembling and writing files."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict

from flows.audio.assemble import LineSpan, part_source, split_parts
from flows.audio.samples import OUTPUT_SAMPLE_RATE
from flows.delivery.timings import ChapterTimings, PartTimings, save_timings
from flows.store.cache import SentenceCache
from flows.audio.export import Tags, write_part_file
from flows.pipeline.plan import ChapterPlan
from flows.config.project import Project
from flows.report.model import ChapterOutput, FlaggedLine, PartFile

ASSEMBLY_VERSION = "1"      # bump when assembly or encoding changes what identical inputs produce
SLUG_MAX_CHARS = 40
IMAGE_MIME = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def slug(title: str) -> str:
    """A file-name-safe form of a chapter title (letters of any script kept)."""
    cleaned = re.sub(r"[^\w]+", "-", title, flags=re.UNICODE).strip("-_").lower()
    return cleaned[:SLUG_MAX_CHARS].rstrip("-_") or "chapter"


def part_names(number: int, title: str, n_parts: int) -> list[str]:
    """File names of a chapter's MP3s, by its number in the book: ``03-title.mp3`` or ``03-title-part1.mp3``..."""
    stem = f"{number:02d}-{slug(title)}"
    return [f"{stem}.mp3"] if n_parts == 1 else [f"{stem}-part{i}.mp3" for i in range(1, n_parts + 1)]


def image_mime(data: bytes) -> str:
    """MIME type of cover art from its magic bytes (JPEG when unknown)."""
    return next((mime for magic, mime in IMAGE_MIME.items() if data.startswith(magic)), "image/jpeg")


def input_hash(plan: ChapterPlan, tags: Tags, project: Project) -> str:
    """Hash of everything a chapter's files are made from; unchanged hash + files present = nothing to do."""
    cover = hashlib.sha256(tags.cover).hexdigest() if tags.cover else ""
    blob = json.dumps({"assembly": ASSEMBLY_VERSION, "keys": list(plan.keys),
                       "pauses": [line.pause for line in plan.lines], "labels": [line.label for line in plan.lines],
                       "texts": [line.text for line in plan.lines],
                       "tags": {**asdict(tags), "cover": cover}, "pause_config": asdict(project.pauses),
                       "output": asdict(project.output)}, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def flag_lines(plan: ChapterPlan, cache: SentenceCache) -> list[FlaggedLine]:
    """Lines whose engine raised quality flags, with their speaking rate."""
    flagged = []
    for line in plan.lines:
        info = cache.info(line.job.key)
        if info.flags:
            rate = len(line.job.text) / info.duration_s if info.duration_s else 0.0
            flagged.append(FlaggedLine(line.label, line.text, list(info.flags), round(rate, 2)))
    return flagged


def write_chapter(plan: ChapterPlan, tags: Tags, project: Project, cache: SentenceCache) -> ChapterOutput:
    """Assemble the chapter from cached audio, split it if too long, and write its MP3s atomically (streamed)."""
    parts = split_parts(plan, cache, project.pauses, project.output.max_part_minutes * 60.0)
    names = part_names(plan.index, plan.title, len(parts))
    files, timed = [], []
    for i, (lines, name) in enumerate(zip(parts, names)):
        part_title = tags.title if len(parts) == 1 else f"{tags.title} ({i + 1}/{len(parts)})"
        spans: list[LineSpan] = []
        encoded = write_part_file(part_source(lines, i, cache, project.pauses, project.output, spans),
                                  Tags(**{**asdict(tags), "title": part_title}), project.out_dir / name, project.output)
        levels = encoded.levels
        files.append(PartFile(name, round(encoded.duration_s, 3), round(levels.rms_db, 2),
                              round(levels.peak_db, 2), round(levels.lufs, 2)))
        timed.append(PartTimings(name, encoded.n_samples, tuple(spans)))
    save_timings(project.state_dir, ChapterTimings(plan.index, plan.title, OUTPUT_SAMPLE_RATE, tuple(timed)))
    return ChapterOutput(plan.index, plan.title, files, flag_lines(plan, cache))
