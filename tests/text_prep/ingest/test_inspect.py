"""`bookvoice inspect`: summary and JSON output, and the real CLI over every EPUB fixture (no tracebacks)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.text_prep.ingest.test_epub import encryption_xml, make_epub, nav_doc, xhtml
from text_prep.ingest.inspect import inspect_book

REPO = Path(__file__).resolve().parents[3]
CLI_WORKERS = 2
ONE_LINE_ERROR = re.compile(r"^error: .+: .+\n$")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m flows.cli`` in a subprocess from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def small_book(tmp_path: Path) -> Path:
    docs = {"a.xhtml": xhtml('<h1 id="c1">Start</h1><p>One. Two.</p>'), "b.xhtml": xhtml("<p>Three.</p>")}
    nav = nav_doc('<li><a href="a.xhtml#c1">Start</a></li><li><a href="b.xhtml">Next</a></li>')
    return make_epub(tmp_path / "small.epub", docs, nav=nav, spine=["a.xhtml", "b.xhtml"])


def test_summary_lists_metadata_and_chapters(tmp_path: Path) -> None:
    out = inspect_book(small_book(tmp_path))
    assert "Title:      Test Book" in out and "Authors:    Ann Author" in out
    assert "Chapters:   2 (2 body, 0 front, 0 back)" in out
    rows = [line.split() for line in out.splitlines() if re.match(r"^\s+\d+\s+(body|front|back)\s", line)]
    assert rows == [["0", "body", "2", "3", "14", "Start"], ["1", "body", "1", "1", "6", "Next"]]


def test_json_has_the_whole_structure(tmp_path: Path) -> None:
    data = json.loads(inspect_book(small_book(tmp_path), as_json=True))
    assert data["metadata"]["title"] == "Test Book"
    first = data["chapters"][0]["paragraphs"][1]["sentences"][1]
    assert first == {"id": "0.1.1", "text": "Two.", "context_before": ["Start", "One."], "context_after": []}


def test_cli_exit_codes_and_one_line_errors(tmp_path: Path) -> None:
    ok = run_cli("inspect", str(small_book(tmp_path)), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["chapters"]
    missing = run_cli("inspect", str(tmp_path / "nope.epub"))
    assert missing.returncode == 2 and missing.stderr == f"error: {tmp_path / 'nope.epub'}: no such file\n"
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 20)
    binary = run_cli("inspect", str(tmp_path / "binary.txt"))
    assert binary.returncode == 2 and ONE_LINE_ERROR.match(binary.stderr), binary.stderr
    sealed = make_epub(tmp_path / "sealed.epub", {"a.xhtml": xhtml("<p>Sealed.</p>")},
                       extra={"META-INF/encryption.xml": encryption_xml("OEBPS/a.xhtml")})
    refused = run_cli("inspect", str(sealed))
    last = refused.stderr.splitlines()[-1]
    assert refused.returncode == 2 and last == f"error: {sealed}: DRM-encrypted EPUB (content documents are encrypted)"


@pytest.mark.slow  # ~57 CLI subprocesses: about 8 s on two idle cores
def test_cli_reads_or_cleanly_rejects_every_epub_fixture(corpora_dir: Path) -> None:
    fixtures = sorted((corpora_dir / "epub").glob("*/*.epub"))
    assert len(fixtures) > 50
    with ThreadPoolExecutor(CLI_WORKERS) as pool:
        results = list(pool.map(lambda f: (f, run_cli("inspect", str(f))), fixtures))
    for fixture, result in results:
        assert "Traceback" not in result.stderr, (fixture.name, result.stderr)
        assert result.returncode in (0, 2), (fixture.name, result.returncode, result.stderr)
        if result.returncode == 2:
            errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
            assert len(errors) == 1 and errors[0].startswith(f"error: {fixture}: "), (fixture.name, result.stderr)
            assert not fixture.stem.endswith("-valid"), (fixture.name, result.stderr)
        else:
            assert "Chapters:" in result.stdout
