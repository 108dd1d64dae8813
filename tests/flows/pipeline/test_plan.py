"""Planning chapters: on worker processes for big books (same plans as in-process), remembered between runs."""
from __future__ import annotations

import flows.pipeline.plan as plan_module
from flows.config.project import load_project
from flows.config.takes import Takes
from flows.pipeline.plan import PlanCache, plan_chapters
from flows.pipeline.workspace import FrontEnd
from tests.flows.conftest import REPO, make_book, write_project

CHAPTERS = [[["长安点了点头。", "The stairs had 312 steps."], ["他们一级一级地爬上去。"]],
            [["海很安静。", "“Is this the lighthouse?” she asked."]]]


def test_a_process_pool_plans_what_the_process_itself_plans(tmp_path, monkeypatch):
    project = load_project(write_project(tmp_path / "p", None))
    frontend = FrontEnd("auto", "v2", FrontEnd.for_project(load_project(REPO / "projects" / "demo")).lexicon)
    chapters = make_book(CHAPTERS).chapters
    alone = plan_chapters(chapters, frontend, "fp", Takes(), workers=1)
    monkeypatch.setattr(plan_module, "POOL_MIN_SENTENCES", 1)
    pooled = plan_chapters(chapters, frontend, "fp", Takes(), workers=2)
    assert pooled == alone and [p.index for p in pooled] == [1, 2] and project.name == "p"


def test_remembered_plans_are_reused_until_a_line_or_take_changes(tmp_path):
    calls = []

    def phonemize(text):
        calls.append(text)
        from tests.flows.conftest import fake_phonemize

        return fake_phonemize(text)

    cache = PlanCache(tmp_path, "frontend-1")
    chapters = make_book([[["One line.", "Two lines."]]]).chapters
    first = plan_chapters(chapters, phonemize, "fp", Takes(), 1, cache)
    n = len(calls)
    assert plan_chapters(chapters, phonemize, "fp", Takes(), 1, cache) == first and len(calls) == n
    takes = Takes()
    takes.choose("1.0.1", "Two lines.", 7)
    again = plan_chapters(chapters, phonemize, "fp", takes, 1, cache)
    assert len(calls) > n and again[0].lines[-1].job.seed == 7
    other = PlanCache(tmp_path, "frontend-2")            # another lexicon or language: planned afresh
    n = len(calls)
    plan_chapters(chapters, phonemize, "fp", takes, 1, other)
    assert len(calls) > n
