"""``bookvoice new``: create a project folder with project.toml, an empty lexicon, and the book copied in."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Sequence

import tomli_w

from flows.errors import ProjectError
from flows.store.fsio import atomic_write_text
from flows.config.project import GSV_ENGINE, LEXICON_FILE, PROJECT_FILE, PauseConfig, Project, load_project
from text_prep.errors import BookError

LEXICON_TEMPLATE = """\
# Pronunciation lexicon: one entry a line, applied before the front-end's own rules.
#   长公主  chang2 gong1 zhu3
#   tomato  T AH0 M EY1 T OW2
"""


def create_project(parent: Path, name: str, book: Path, voice_files: Sequence[Path] = (),
                   engine: str = "draft", profile: str | None = None) -> Project:
    """Create ``parent/name`` for ``book``; refuses to overwrite an existing project.

    ``profile`` names a GPT-SoVITS voice profile (``bookvoice voice add``); the project then uses
    the gpt-sovits engine and its front-end follows the voice's phone-table version.
    """
    from flows.config.voices import default_user_voices_dir, find_profile

    root = Path(parent) / name
    if (root / PROJECT_FILE).exists():
        raise ProjectError(root / PROJECT_FILE, "a project already exists here")
    if not Path(book).is_file():
        raise BookError(book, "book file not found")
    for voice in voice_files:
        if not Path(voice).exists():
            raise ProjectError(voice, "voice file not found")
    if voice_files and engine == GSV_ENGINE:
        raise ProjectError(voice_files[0], "GPT-SoVITS weights are added as a voice profile: run `bookvoice voice add "
                                           "NAME --gpt X.ckpt --sovits Y.pth --ref CLIP --ref-text TEXT`, then "
                                           f"`bookvoice new {name} --book {Path(book).name} --profile NAME`")
    if profile is not None:
        if voice_files:
            raise ProjectError(root / PROJECT_FILE, "give voice files or a voice profile, not both")
        find_profile(profile, root, default_user_voices_dir())   # before anything is written
    root.mkdir(parents=True, exist_ok=True)
    book_copy = root / Path(book).name
    if Path(book).resolve() != book_copy.resolve():
        shutil.copyfile(book, book_copy)
    config = {
        "book": {"path": book_copy.name, "title": "", "author": ""},
        "voice": ({"engine": "gpt-sovits", "profile": profile, "settings": {}} if profile is not None else
                  {"engine": engine, "files": [str(Path(v).resolve()) for v in voice_files], "settings": {}}),
        "frontend": ({"lang": "auto", "lexicon": LEXICON_FILE} if profile is not None else
                     {"lang": "auto", "version": "v2", "lexicon": LEXICON_FILE}),
        "render": {"skip_chapters": [], "skip_kinds": ["front", "back"], "device": "auto"},
        "pauses": {k: getattr(PauseConfig, k) for k in PauseConfig.__dataclass_fields__},
    }
    atomic_write_text(root / LEXICON_FILE, LEXICON_TEMPLATE)
    atomic_write_text(root / PROJECT_FILE, tomli_w.dumps(config))
    return load_project(root)
