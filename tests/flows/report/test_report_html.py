"""The HTML run report: content, escaping, and how it looks in headless Chromium."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from flows.report.html import (
    ReportError,
    load_report,
    render_report_html,
    rerender_command,
    write_report_html,
)

HOSTILE = '</td><script>alert("x")</script><img src=x onerror=alert(1)>'
WINDOW = (1200, 900)


def sample_report() -> dict:
    """A report.json per the schema: two chapters, three flagged sentences (one hostile text)."""
    return {
        "project": "demo",
        "book": {"title": "灯塔 & The Lighthouse", "authors": ["Lin <Wei>", "A. Writer"]},
        "rendered_at": "2025-01-02T03:04:05+00:00",
        "engine": {"name": "gpt-sovits", "fingerprint": "ab12cd34ef56ab12cd34ef56"},
        "totals": {"sentences": 120, "synthesized": 80, "cached": 40, "seconds": 3725.4},
        "chapters": [
            {"index": 1, "title": "第一章 海边", "file": "01-第一章.mp3", "duration_s": 754.2,
             "rms_db": -20.1, "peak_db": -3.6, "lufs": -19.4, "sentences": 70, "synthesized": 50, "cached": 20,
             "flagged": [
                 {"id": "1.0.3", "text": "他说：“我们明天2025年1月3日见。”", "flags": ["no_eos", "retried:2"],
                  "chars_per_s": 11.8},
                 {"id": "1.4.7", "text": HOSTILE, "flags": ["too_fast"], "chars_per_s": 31.0, "seed": 7},
             ]},
            {"index": 2, "title": "Chapter Two: The Storm", "file": "02-chapter-two-part1.mp3", "duration_s": 8700.0,
             "rms_db": -25.0, "peak_db": -1.0, "lufs": -24.0, "sentences": 50, "synthesized": 30, "cached": 20,
             "parts": [
                 {"file": "02-chapter-two-part1.mp3", "duration_s": 7000.0, "rms_db": -20.0, "peak_db": -4.0,
                  "lufs": -19.0},
                 {"file": "02-chapter-two-part2.mp3", "duration_s": 1700.0, "rms_db": -25.0, "peak_db": -1.0,
                  "lufs": -24.0},
             ],
             "flagged": [
                 {"id": "2.1.0", "text": "The wind rose at 9:45 p.m.", "flags": ["silence_tail"], "chars_per_s": 2.1},
             ]},
        ],
    }


@pytest.fixture
def report_dir(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text(json.dumps(sample_report(), ensure_ascii=False), encoding="utf-8")
    return out


def test_rerender_commands_name_project_chapter_and_sentence(report_dir: Path) -> None:
    report = load_report(report_dir / "report.json")
    first, hostile = report.chapters[0].flagged
    assert rerender_command("projects/demo", 1, first) == "bookvoice rerender projects/demo --chapter 1 --sentence 1.0.3"
    assert rerender_command("my book", 2, first) == "bookvoice rerender 'my book' --chapter 2 --sentence 1.0.3"
    assert report.chapters[1].parts[1].file == "02-chapter-two-part2.mp3"


def test_book_text_is_escaped_and_nothing_is_fetched(report_dir: Path) -> None:
    page = render_report_html(load_report(report_dir / "report.json"))
    assert "<script" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;" in page and "Lin &lt;Wei&gt;" in page
    assert "http://" not in page and "https://" not in page, "the page must be self-contained"
    assert 'src="01-%E7%AC%AC%E4%B8%80%E7%AB%A0.mp3"' in page, "audio points at the chapter file, relative"


def test_write_is_atomic_and_beside_the_json(report_dir: Path) -> None:
    html = write_report_html(report_dir / "report.json")
    assert html == report_dir / "report.html"
    assert sorted(p.name for p in report_dir.iterdir()) == ["report.html", "report.json"]
    project_folder = str(report_dir.parent)  # commands name the project folder the report lies in
    assert f"bookvoice rerender {project_folder} --chapter 2 --sentence 2.1.0" in html.read_text(encoding="utf-8")


@pytest.mark.parametrize("content, problem", [
    (None, "no run report yet"),
    ("{not json", "unreadable run report"),
    ('{"project": "demo"}', "not a run report"),
    ('{"project": "demo", "chapters": [{"index": "one", "file": "a.mp3"}]}', "not a run report"),
])
def test_bad_report_json_is_one_line_with_the_path(tmp_path: Path, content: str | None, problem: str) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        write_report_html(path)
    assert str(caught.value).startswith(f"{path}: {problem}") and "\n" not in str(caught.value)
    assert not (tmp_path / "report.html").exists()


# --- headless Chromium -------------------------------------------------------------------------

def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium not installed (Debian: apt-get install -y chromium); CI installs it")
    return found


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, timeout=120, check=True)


def grey_pixels(png: Path) -> np.ndarray:
    """Decode PNG to a (H, W) uint8 array with the bundled ffmpeg (no imaging library needed)."""
    import imageio_ffmpeg

    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(png),
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(WINDOW[1], WINDOW[0])


def test_page_renders_in_headless_chromium(report_dir: Path, tmp_path: Path) -> None:
    binary = chromium()
    html = write_report_html(report_dir / "report.json", project_ref="projects/demo")
    png = tmp_path / "report.png"
    run_chromium(binary, tmp_path / "profile", f"--screenshot={png}",
                 f"--window-size={WINDOW[0]},{WINDOW[1]}", html.as_uri())
    pixels = grey_pixels(png)
    background = np.bincount(pixels.ravel()).argmax()
    assert (pixels != background).mean() > 0.05, "screenshot is (nearly) blank"
    assert pixels.std() > 10

    dom = run_chromium(binary, tmp_path / "profile", "--dump-dom", html.as_uri()).stdout.decode("utf-8")
    for text in ("第一章 海边", "Chapter Two: The Storm", "1.0.3", "1.4.7", "2.1.0",
                 "bookvoice rerender projects/demo --chapter 1 --sentence 1.0.3",
                 "bookvoice rerender projects/demo --chapter 2 --sentence 2.1.0",
                 "12:34", "1:56:40", "28:20", "-20.1 dB", "-19.4 LUFS", "02-chapter-two-part2.mp3"):
        assert text in dom, text
    assert "<script" not in dom and "&lt;script&gt;" in dom, "hostile book text must stay text"
    assert dom.count("<audio") == 3 and "<button" not in dom, "a player per file, parts included; no buttons"
