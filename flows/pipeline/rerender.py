"""``bookvoice rerender``: choose the lines of a passage and give them a new take (seed) to be re-synthesised."""
from __future__ import annotations

from pathlib import Path

from flows.errors import ProjectError
from flows.config.project import load_project
from flows.config.takes import Takes
from flows.pipeline.workspace import load_book, selected_chapters
from text_prep.book import SentenceId


def choose_passage(project_dir: Path, chapter: int, sentence: str | None = None, match: str | None = None,
                   seed: int | None = None) -> list[str]:
    """Record new takes for the chosen lines and return their labels (to be forced on the next render).

    Without ``--sentence``/``--match`` the whole chapter (title included) is chosen. Without ``seed`` each
    line gets the next seed after its current take, so a bad take is replaced by a different one.
    """
    project = load_project(project_dir)
    book = load_book(project)
    found = next((c for c in selected_chapters(book, project) if c.index == chapter), None)   # numbered as `status`
    if found is None:
        raise ProjectError(project.book, f"no rendered chapter {chapter} (see `bookvoice status`)")
    lines = [(f"{found.index}.title", found.title)] + [(str(s.id), s.text) for s in found.sentences()]
    if sentence is not None:
        wanted = str(SentenceId.parse(sentence))
        lines = [line for line in lines if line[0] == wanted]
    elif match is not None:
        lines = [line for line in lines if match in line[1]]
    if not lines:
        raise ProjectError(project.book, f"chapter {chapter} has no sentence matching {sentence or match!r}")
    takes = Takes.load(project.takes_path)
    for label, text in lines:
        current = takes.seed_for(label, text)
        takes.choose(label, text, seed if seed is not None else (current or 0) + 1)
    takes.save(project.takes_path)
    return [label for label, _ in lines]
