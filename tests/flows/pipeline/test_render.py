"""The render flow in-process (Prefect test server, fake engine and front-end): resume, incremental, cache."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.store.cache import SentenceCache
from flows.pipeline.render import run_render
from tests.flows.conftest import make_book, write_project
from tests.flows.fake_engine import synthesized_keys

CHAPTERS = [
    [["The lighthouse stood alone.", "Its lamp was old."], ["Chen climbed the stairs!", "He counted them.", "There were many."]],
    [["Ingrid waited at the top.", "She smiled."], ["The machine hummed.", "It was still working."]],
    [["Morning came.", "The rain stopped."], ["They went home."]],
]


@pytest.fixture
def project(tmp_path: Path, prefect_server: str) -> Path:
    return write_project(tmp_path / "proj", tmp_path / "synth.log")


def _render(project: Path) -> dict:
    return run_render(project)


def test_first_render_writes_one_mp3_per_chapter_and_the_report(project, inject):
    inject(make_book(CHAPTERS))
    totals = _render(project)
    assert totals["synthesized"] == totals["sentences"] == 3 + 12  # three titles + twelve sentences
    report = json.loads((project / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["project"] == "proj" and report["book"] == {"title": "Test Book", "authors": ["A. Writer"]}
    assert [c["file"] for c in report["chapters"]] == ["01-chapter-1.mp3", "02-chapter-2.mp3", "03-chapter-3.mp3"]
    assert all((project / "out" / c["file"]).is_file() for c in report["chapters"])
    first = report["chapters"][0]
    assert first["flagged"] == [{"id": "1.1.0", "text": "Chen climbed the stairs!", "flags": ["no_eos"],
                                 "chars_per_s": pytest.approx(first["flagged"][0]["chars_per_s"])}]
    assert -23 <= first["rms_db"] <= -18 and first["peak_db"] <= -3


def test_second_run_without_changes_synthesises_and_assembles_nothing(project, inject, tmp_path):
    inject(make_book(CHAPTERS))
    _render(project)
    before = {p.name: p.stat().st_mtime_ns for p in (project / "out").glob("*.mp3")}
    n_synth = len(synthesized_keys(tmp_path / "synth.log"))
    totals = _render(project)
    assert totals["synthesized"] == 0 and totals["cached"] == totals["sentences"]
    assert len(synthesized_keys(tmp_path / "synth.log")) == n_synth
    assert {p.name: p.stat().st_mtime_ns for p in (project / "out").glob("*.mp3")} == before


def test_editing_a_sentence_and_the_lexicon_rerenders_only_affected_lines_and_chapters(project, inject, tmp_path):
    inject(make_book(CHAPTERS))
    _render(project)
    log = tmp_path / "synth.log"
    n_before = len(synthesized_keys(log))
    mtimes = {p.name: p.stat().st_mtime_ns for p in (project / "out").glob("*.mp3")}

    edited = [[list(p) for p in ch] for ch in CHAPTERS]
    edited[2][1][0] = "They walked home."                                    # chapter 3, its last sentence
    inject(make_book(edited))
    (project / "lexicon.txt").write_text("Ingrid Ing-grid\n", encoding="utf-8")   # chapter 2, first sentence
    totals = _render(project)

    # chapter 3: the edited line plus the two lines whose context window holds it; chapter 2: the lexicon line
    # plus the two whose window holds its (now different) normalised text
    assert totals["synthesized"] == 3 + 3
    assert len(synthesized_keys(log)) == n_before + 6
    after = {p.name: p.stat().st_mtime_ns for p in (project / "out").glob("*.mp3")}
    assert after["01-chapter-1.mp3"] == mtimes["01-chapter-1.mp3"]
    assert after["02-chapter-2.mp3"] != mtimes["02-chapter-2.mp3"]
    assert after["03-chapter-3.mp3"] != mtimes["03-chapter-3.mp3"]


def test_corrupted_cache_entry_is_detected_and_rerendered(project, inject, tmp_path):
    inject(make_book(CHAPTERS))
    _render(project)
    cache = SentenceCache(project / "cache")
    victim = sorted((project / "cache").rglob("*.pcm"))[0]
    blob = bytearray(victim.read_bytes())
    blob[-10] ^= 0xFF
    victim.write_bytes(bytes(blob))
    assert not cache.verify(victim.stem)
    for mp3 in (project / "out").glob("*.mp3"):
        mp3.unlink()
    totals = _render(project)
    assert totals["synthesized"] == 1
    assert synthesized_keys(tmp_path / "synth.log")[-1] == victim.stem
    assert cache.verify(victim.stem)


def test_rerender_forces_a_new_take_of_one_sentence(project, inject, tmp_path, monkeypatch):
    import flows.pipeline.rerender

    book = make_book(CHAPTERS)
    inject(book)
    monkeypatch.setattr(flows.pipeline.rerender, "load_book", lambda project: book)
    _render(project)
    labels = flows.pipeline.rerender.choose_passage(project, chapter=2, match="smiled")
    assert labels == ["2.0.1"]
    totals = run_render(project, force=labels)
    assert totals["synthesized"] == 1
    again = run_render(project)
    assert again["synthesized"] == 0          # the chosen take is kept in takes.json


def test_long_chapter_is_split_into_parts(tmp_path, prefect_server, inject):
    project = write_project(tmp_path / "proj", tmp_path / "synth.log", output={"max_part_minutes": 0.1})
    inject(make_book([[["A fairly long sentence number %d in this chapter." % i] for i in range(12)]]))
    _render(project)
    report = json.loads((project / "out" / "report.json").read_text(encoding="utf-8"))
    parts = report["chapters"][0]["parts"]
    assert len(parts) >= 2 and all(p["duration_s"] <= 6.5 for p in parts)
    assert sorted(p.name for p in (project / "out").glob("*.mp3")) == sorted(p["file"] for p in parts)


def test_status_reports_done_cached_and_stale_chapters(project, inject, monkeypatch):
    import flows.pipeline.status

    book = make_book(CHAPTERS)
    inject(book)
    assert [s.state for s in flows.pipeline.status.project_status(project)] == ["stale"] * 3
    _render(project)
    (project / "out" / "02-chapter-2.mp3").unlink()
    edited = [[list(p) for p in ch] for ch in CHAPTERS]
    edited[2][0][0] = "Evening came."
    inject(make_book(edited))
    rows = flows.pipeline.status.project_status(project)
    assert [(r.state, r.lines - r.cached) for r in rows] == [("done", 0), ("cached", 0), ("stale", 3)]


def test_new_creates_a_loadable_project_with_the_book_copied_in(tmp_path):
    from flows.config.project import load_project
    from flows.config.scaffold import create_project

    book = tmp_path / "story.txt"
    book.write_text("第一章 开始\n\n你好。\n", encoding="utf-8")
    project = create_project(tmp_path / "projects", "story", book)
    assert project.book == tmp_path / "projects" / "story" / "story.txt" and project.book.is_file()
    assert load_project(project.root).voice.engine == "draft"
    with pytest.raises(Exception, match="already exists"):
        create_project(tmp_path / "projects", "story", book)


@pytest.mark.parametrize("knob", [{"gpt_rows": 64}, {"chunk": 256}, {"device": "cpu"}, {"assembly_workers": 3},
                                  {"shard_sentences": 7}])
def test_throughput_knobs_never_re_render(project, inject, tmp_path, knob):
    import tomllib

    import tomli_w

    inject(make_book(CHAPTERS))
    _render(project)
    before = {p.name: p.read_bytes() for p in (project / "out").glob("*.mp3")}
    config = tomllib.loads((project / "project.toml").read_text(encoding="utf-8"))
    config["render"] = {**config["render"], **knob}
    (project / "project.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    n_synth = len(synthesized_keys(tmp_path / "synth.log"))
    totals = _render(project)
    assert totals["synthesized"] == 0 and len(synthesized_keys(tmp_path / "synth.log")) == n_synth
    manifests = sorted((project / ".bookvoice" / "chapters").glob("*.json"))
    assert {p.name: p.read_bytes() for p in (project / "out").glob("*.mp3")} == before and manifests


def test_only_the_chosen_chapters_render_and_the_others_files_stay(project, inject):
    inject(make_book(CHAPTERS))
    totals = run_render(project, chapters=(1, 3))
    assert totals["sentences"] == (1 + 5) + (1 + 3)       # titles included
    assert sorted(p.name for p in (project / "out").glob("*.mp3")) == ["01-chapter-1.mp3", "03-chapter-3.mp3"]
    run_render(project, chapters=(2,))
    assert sorted(p.name for p in (project / "out").glob("*.mp3")) == [
        "01-chapter-1.mp3", "02-chapter-2.mp3", "03-chapter-3.mp3"]


def test_a_transient_write_failure_is_retried_and_a_full_disk_is_not(project, inject, monkeypatch):
    import errno

    import flows.pipeline.render
    from flows.errors import OutputError

    inject(make_book(CHAPTERS[:1]))
    real, calls = flows.pipeline.render.write_chapter, []

    def flaky(plan, tags, proj, cache):
        calls.append(plan.index)
        if len(calls) == 1:
            raise OSError(errno.EIO, "Input/output error")     # an NFS hiccup: worth another try
        return real(plan, tags, proj, cache)

    monkeypatch.setattr(flows.pipeline.render, "write_chapter", flaky)
    assert run_render(project)["sentences"] == 6 and calls == [1, 1]

    def full(plan, tags, proj, cache):
        calls.append(plan.index)
        raise OutputError(proj.out_dir / "01-chapter-1.mp3", "cannot write: disk full")

    monkeypatch.setattr(flows.pipeline.render, "write_chapter", full)
    (project / "out" / "01-chapter-1.mp3").unlink()
    calls.clear()
    with pytest.raises(OutputError, match="disk full"):
        run_render(project)
    assert calls == [1]                                       # never retried
