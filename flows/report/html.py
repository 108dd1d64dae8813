"""The run report as one self-contained HTML page (``out/report.html``), opened by ``bookvoice report``.

Per chapter: an audio player on its MP3 (one per part when a long chapter was split), duration and
loudness figures, and the flagged sentences (guards that fired, retries, suspicious speed) with the plain
``bookvoice rerender`` commands that redo them. No scripts, no external resources; every piece of
book text is HTML-escaped.
"""
from __future__ import annotations

import json
import logging
import shlex
from html import escape
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote

from flows.store.fsio import atomic_write_text
from flows.config.project import ACX_PEAK_MAX_DB, ACX_RMS_WINDOW_DB
from flows.report.model import ChapterReport, EditedLine, FlaggedLine, PartFile, RunReport
from text_prep.errors import InputFileError

logger = logging.getLogger(__name__)

REPORT_HTML = "report.html"


class ReportError(InputFileError):
    """report.json is missing or is not a run report."""


def load_report(path: Path) -> RunReport:
    """Read and check a report.json; ReportError (one line, with the path) when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(path, "no run report yet: render the project first") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ReportError(path, f"unreadable run report ({error})") from None
    try:
        return _run_report(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ReportError(path, f"not a run report: bad or missing field {error}") from None


def _run_report(data: Mapping[str, Any]) -> RunReport:
    """The report's dataclasses from parsed JSON, numbers coerced (KeyError/TypeError/ValueError if malformed)."""
    return RunReport(
        project=str(data["project"]),
        book=dict(data.get("book") or {}),
        rendered_at=str(data.get("rendered_at", "")),
        engine=dict(data.get("engine") or {}),
        totals={k: float(v) for k, v in (data.get("totals") or {}).items()},
        chapters=[_chapter(c) for c in data["chapters"]],
        edits=[EditedLine(str(e["id"]), str(e.get("original", "")), str(e["text"])) for e in data.get("edits") or ()],
        files=[str(f) for f in data.get("files") or ()],
    )


def _chapter(data: Mapping[str, Any]) -> ChapterReport:
    return ChapterReport(
        index=int(data["index"]), title=str(data.get("title", "")), file=str(data["file"]),
        duration_s=float(data["duration_s"]), rms_db=float(data["rms_db"]), peak_db=float(data["peak_db"]),
        lufs=float(data["lufs"]), sentences=int(data.get("sentences", 0)),
        synthesized=int(data.get("synthesized", 0)), cached=int(data.get("cached", 0)),
        flagged=[FlaggedLine(str(f["id"]), str(f.get("text", "")), [str(x) for x in f.get("flags") or ()],
                             float(f.get("chars_per_s") or 0.0)) for f in data.get("flagged") or ()],
        parts=[PartFile(str(p["file"]), float(p["duration_s"]), float(p["rms_db"]), float(p["peak_db"]),
                        float(p["lufs"])) for p in data.get("parts") or ()],
    )


def rerender_command(project: str, chapter: int, line: FlaggedLine) -> str:
    """The shell command that gives LINE a new take (rerender's default: the next seed) and re-assembles."""
    return shlex.join(["bookvoice", "rerender", project, "--chapter", str(chapter), "--sentence", line.id])


def render_report_html(report: RunReport, project_ref: str | None = None) -> str:
    """The whole page for REPORT (pure: no I/O); PROJECT_REF is the PROJECT argument of the fix commands."""
    book_title = str(report.book.get("title") or report.project)
    authors = ", ".join(str(a) for a in report.book.get("authors") or () if a)
    chapters = "\n".join(_chapter_section(project_ref or report.project, c) for c in report.chapters)
    totals = report.totals
    summary = (
        f"{_fmt_int(totals.get('sentences'))} sentences: {_fmt_int(totals.get('synthesized'))} synthesised, "
        f"{_fmt_int(totals.get('cached'))} from cache, in {_fmt_duration(totals.get('seconds', 0.0))}; "
        f"{sum(len(c.flagged) for c in report.chapters)} flagged"
    )
    fingerprint = str(report.engine.get("fingerprint", ""))
    engine = str(report.engine.get("name", "")) + (f" ({fingerprint[:12]})" if fingerprint else "")
    return f"""<!DOCTYPE html>
<html lang="mul">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(book_title)} — run report</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{escape(book_title)}</h1>
<p class="meta">{escape(authors)}</p>
<p class="meta">project <code>{escape(report.project)}</code> · rendered {escape(report.rendered_at)} · engine {escape(engine)}</p>
<p class="summary" id="summary">{escape(summary)}</p>
</header>
<main>
{_edits_section(report.edits)}
{_files_section(report.files)}
{chapters}
</main>
</body>
</html>
"""


def _files_section(files: list[str]) -> str:
    """Links to every file the render delivered (MP3s, M4B, subtitles, read-along EPUB, library folder)."""
    if not files:
        return ""
    items = "\n".join(f'<li><a href="{escape(quote(f))}">{escape(f)}</a></li>' for f in files)
    return f"""<section class="chapter" id="files">
<h2>Files ({len(files)})</h2>
<ul class="files">
{items}
</ul>
</section>"""


def _edits_section(edits: list[EditedLine]) -> str:
    """The lines read from text overrides (``bookvoice studio``), book text and spoken text side by side."""
    if not edits:
        return ""
    rows = "\n".join(f"<tr><td><code>{escape(e.id)}</code></td><td>{escape(e.original)}</td><td>{escape(e.text)}</td></tr>"
                     for e in edits)
    return f"""<section class="chapter" id="edits">
<h2>Edited text ({len(edits)})</h2>
<table class="flagged"><thead><tr><th>line</th><th>book text</th><th>read as</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</section>"""


def _chapter_section(project: str, chapter: ChapterReport) -> str:
    """One chapter: a player per file with its figures, flagged sentences and their fix commands."""
    heading = f"{chapter.index}. {chapter.title}" if chapter.title else f"Chapter {chapter.index}"
    files = chapter.parts or [PartFile(chapter.file, chapter.duration_s, chapter.rms_db, chapter.peak_db, chapter.lufs)]
    players = "\n".join(_player(part) for part in files)
    counts = f"{chapter.sentences} sentences ({chapter.synthesized} synthesised, {chapter.cached} from cache)"
    if chapter.flagged:
        rows = "\n".join(_flagged_row(line) for line in chapter.flagged)
        commands = "\n".join(
            f"<li><code>{escape(rerender_command(project, chapter.index, line))}</code></li>" for line in chapter.flagged
        )
        flagged = f"""<table class="flagged">
<thead><tr><th>sentence</th><th>text</th><th>flags</th><th>chars/s</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p class="fix-title">To redo these sentences with a new take, run:</p>
<ul class="commands">
{commands}
</ul>"""
    else:
        flagged = '<p class="clean">No flagged sentences.</p>'
    return f"""<section class="chapter" id="chapter-{chapter.index}">
<h2>{escape(heading)}</h2>
{players}
<p class="counts">{escape(counts)}</p>
{flagged}
</section>"""


def _player(part: PartFile) -> str:
    """An audio player on one MP3 (path relative to the page) with its duration and loudness figures."""
    src = escape(quote(part.file))
    figures = "".join((
        _figure("duration", _fmt_duration(part.duration_s), ok=True),
        _figure("RMS", f"{part.rms_db:.1f} dB", ok=ACX_RMS_WINDOW_DB[0] <= part.rms_db <= ACX_RMS_WINDOW_DB[1]),
        _figure("peak", f"{part.peak_db:.1f} dB", ok=part.peak_db <= ACX_PEAK_MAX_DB),
        _figure("loudness", f"{part.lufs:.1f} LUFS", ok=True),
    ))
    return f"""<div class="part">
<audio controls preload="none" src="{src}"></audio>
<p class="file"><a href="{src}">{escape(part.file)}</a></p>
<dl class="figures">{figures}</dl>
</div>"""


def _flagged_row(line: FlaggedLine) -> str:
    flags = " ".join(f'<span class="flag">{escape(f)}</span>' for f in line.flags)
    return (f'<tr id="s-{escape(line.id)}"><td class="sid">{escape(line.id)}</td>'
            f'<td>{escape(line.text)}</td><td>{flags}</td><td class="num">{line.chars_per_s:.1f}</td></tr>')


def _figure(name: str, value: str, ok: bool) -> str:
    css = "" if ok else ' class="out-of-range" title="outside the ACX window"'
    return f"<div{css}><dt>{escape(name)}</dt><dd>{escape(value)}</dd></div>"


def _fmt_duration(seconds: float | None) -> str:
    total = round(seconds or 0.0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _fmt_int(value: float | None) -> str:
    return str(int(value or 0))


def write_report_html(report_json: Path, out_html: Path | None = None, project_ref: str | None = None) -> Path:
    """Render PROJECT/out/report.json to report.html beside it (or OUT_HTML), written atomically.

    PROJECT_REF is how the fix commands name the project (default: the folder holding ``out/``).
    """
    report = load_report(report_json)
    target = out_html or report_json.with_name(REPORT_HTML)
    atomic_write_text(target, render_report_html(report, project_ref or str(report_json.parent.parent)))
    logger.info("wrote %s", target)
    return target


_CSS = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5d6675; --line: #dde2ea; --warn: #b3261e; --accent: #2f5fb3; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, "Noto Sans", "Noto Sans CJK SC", "PingFang SC", sans-serif;
       color: var(--ink); background: #f6f7f9; }
header { padding: 24px 32px 12px; background: #fff; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 4px; font-size: 26px; }
.meta { margin: 0; color: var(--muted); }
.summary { margin: 10px 0 0; font-weight: 600; }
main { padding: 16px 32px 40px; display: grid; gap: 16px; }
.chapter { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; }
h2 { margin: 0 0 10px; font-size: 19px; }
audio { width: 100%; max-width: 640px; }
.part { margin-bottom: 6px; }
.file { margin: 2px 0 6px; font-size: 13px; }
.counts { margin: 0 0 10px; color: var(--muted); }
.file a { color: var(--accent); }
.figures { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 4px 0 12px; }
.figures div { min-width: 90px; }
dt { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
dd { margin: 0; font-variant-numeric: tabular-nums; font-weight: 600; }
.out-of-range dd { color: var(--warn); }
table.flagged { border-collapse: collapse; width: 100%; font-size: 14px; table-layout: fixed; }
.flagged th:nth-child(1) { width: 8em; } .flagged th:nth-child(3) { width: 16em; } .flagged th:nth-child(4) { width: 7em; }
.flagged th, .flagged td { text-align: left; padding: 6px 8px; border-top: 1px solid var(--line); vertical-align: top; }
.flagged td { overflow-wrap: anywhere; }
.flagged th { white-space: nowrap; font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.sid, .num { white-space: nowrap; font-variant-numeric: tabular-nums; }
.flag { display: inline-block; margin: 0 4px 2px 0; padding: 0 6px; border-radius: 4px;
        background: #fde8e6; color: var(--warn); font-size: 12px; }
.fix-title { margin: 12px 0 4px; color: var(--muted); }
.commands { margin: 0; padding-left: 20px; }
.commands code { font-size: 13px; user-select: all; }
.clean { color: #2e7d32; margin: 0; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
"""
