"""A project folder: ``project.toml`` parsed and validated in one place into a frozen ``Project``."""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.errors import ProjectError

PROJECT_FILE = "project.toml"
LEXICON_FILE = "lexicon.txt"
OUT_DIR = "out"
CACHE_DIR = "cache"
STATE_DIR = ".bookvoice"
TAKES_FILE = "takes.json"
REPORT_FILE = "report.json"

ACX_RMS_WINDOW_DB = (-23.0, -18.0)   # ACX: whole-file RMS between these
ACX_PEAK_MAX_DB = -3.0               # ACX: sample peak at most this
ROOM_TONE_HEAD_S = (0.5, 1.0)        # allowed room tone before the first word
ROOM_TONE_TAIL_S = (1.0, 5.0)        # allowed room tone after the last word
MAX_PART_MINUTES = 120.0             # chapters longer than this are split into parts
DRAFT_ENGINE, GSV_ENGINE = "draft", "gpt-sovits"


@dataclass(frozen=True)
class VoiceConfig:
    """Which engine speaks, from which voice files, with which settings."""

    engine: str = DRAFT_ENGINE
    files: tuple[Path, ...] = ()             # for gpt-sovits: the voice profile TOML ([voice] profile = "NAME")
    settings_json: str = "{}"   # engine settings as canonical JSON (hashable, stable for fingerprints)

    @property
    def settings(self) -> dict[str, Any]:
        """Engine settings as a fresh dict."""
        return json.loads(self.settings_json)


@dataclass(frozen=True)
class PauseConfig:
    """Silence (filled with room tone) inserted while assembling a chapter, in seconds."""

    sentence_s: float = 0.45
    paragraph_s: float = 0.9
    title_s: float = 1.8
    head_s: float = 0.75
    tail_s: float = 2.5


@dataclass(frozen=True)
class OutputConfig:
    """Loudness targets and file splitting; format is fixed by ACX (44.1 kHz mono 192 kbps CBR MP3)."""

    target_rms_db: float = -20.0
    peak_ceiling_db: float = -4.0
    room_tone_db: float = -70.0
    max_part_minutes: float = MAX_PART_MINUTES


@dataclass(frozen=True)
class Project:
    """Everything a render needs to know about one project folder."""

    root: Path
    name: str
    book: Path
    title: str = ""
    author: str = ""
    cover: Path | None = None
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    lang: str = "auto"
    phone_version: str = "v2"
    lexicon: Path | None = None
    batch_size: int = 8
    skip_chapters: tuple[int, ...] = ()
    skip_kinds: tuple[str, ...] = ("front", "back")
    pauses: PauseConfig = field(default_factory=PauseConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    @property
    def config_path(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def out_dir(self) -> Path:
        return self.root / OUT_DIR

    @property
    def cache_dir(self) -> Path:
        return self.root / CACHE_DIR

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def takes_path(self) -> Path:
        return self.root / TAKES_FILE

    @property
    def report_path(self) -> Path:
        return self.out_dir / REPORT_FILE


class _Table:
    """A TOML table read with typed accessors that raise ``ProjectError`` naming the key."""

    def __init__(self, path: Path, data: dict[str, Any], prefix: str) -> None:
        self.path, self.data, self.prefix = path, data, prefix

    def _bad(self, key: str, problem: str) -> ProjectError:
        return ProjectError(self.path, f"[{self.prefix}] {key}: {problem}")

    def table(self, key: str) -> "_Table":
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self._bad(key, "must be a table")
        return _Table(self.path, value, f"{self.prefix}.{key}" if self.prefix else key)

    def str(self, key: str, default: str) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            raise self._bad(key, "must be a string")
        return value

    def num(self, key: str, default: float, lo: float, hi: float) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise self._bad(key, f"must be a number in [{lo}, {hi}]")
        return float(value)

    def int_list(self, key: str) -> tuple[int, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise self._bad(key, "must be a list of integers")
        return tuple(value)

    def str_list(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._bad(key, "must be a list of strings")
        return tuple(value)


def resolve_path(base: Path, value: str) -> Path:
    """A path from a TOML file: ``~`` expanded, relative paths taken from ``base`` (the file's folder)."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _profile_voice(path: Path, root: Path, name: str, engine: str, files: tuple[Path, ...],
                   version: str) -> tuple[tuple[Path, ...], str]:
    """``[voice] profile``: the profile TOML as the voice file, and its phone-table version for the front-end."""
    from flows.config.voices import default_user_voices_dir, find_profile, load_profile

    if engine != GSV_ENGINE:
        raise ProjectError(path, f"[voice] profile: voice profiles are for engine = \"{GSV_ENGINE}\"")
    if files:
        raise ProjectError(path, "[voice] give a profile or files, not both")
    profile = load_profile(find_profile(name, root, default_user_voices_dir()))
    if version and version != profile.version:
        raise ProjectError(path, f"[frontend] version: {version} does not match voice {name!r}, which is "
                                 f"{profile.version} (remove the line to follow the voice)")
    return (profile.source,), profile.version


def load_project(root: Path) -> Project:
    """Read and validate ``root/project.toml``; raise ``ProjectError`` on any problem."""
    root = Path(root).resolve()
    path = root / PROJECT_FILE
    if not path.is_file():
        raise ProjectError(path, "no project.toml here (create one with `bookvoice new`)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProjectError(path, f"cannot read: {exc}") from exc
    top = _Table(path, data, "")
    book, voice, front = top.table("book"), top.table("voice"), top.table("frontend")
    render, pauses, output = top.table("render"), top.table("pauses"), top.table("output")

    book_file = book.str("path", "")
    if not book_file:
        raise ProjectError(path, "[book] path: missing")
    cover, lexicon = book.str("cover", ""), front.str("lexicon", "")
    version = front.str("version", "")
    if version not in ("", "v1", "v2"):
        raise ProjectError(path, "[frontend] version: must be v1 or v2")
    profile = voice.str("profile", "")
    engine = voice.str("engine", GSV_ENGINE if profile else DRAFT_ENGINE)
    voice_files = tuple(resolve_path(root, f) for f in voice.str_list("files"))
    if profile:
        voice_files, version = _profile_voice(path, root, profile, engine, voice_files, version)
    version = version or "v2"

    head = pauses.num("head_s", PauseConfig.head_s, *ROOM_TONE_HEAD_S)
    tail = pauses.num("tail_s", PauseConfig.tail_s, *ROOM_TONE_TAIL_S)
    return Project(
        root=root,
        name=root.name,
        book=resolve_path(root, book_file),
        title=book.str("title", ""),
        author=book.str("author", ""),
        cover=resolve_path(root, cover) if cover else None,
        voice=VoiceConfig(
            engine=engine,
            files=voice_files,
            settings_json=json.dumps(voice.table("settings").data, sort_keys=True),
        ),
        lang=front.str("lang", "auto"),
        phone_version=version,
        lexicon=resolve_path(root, lexicon) if lexicon else None,
        batch_size=int(render.num("batch_size", Project.batch_size, 1, 1024)),
        skip_chapters=render.int_list("skip_chapters"),
        skip_kinds=render.str_list("skip_kinds", Project.skip_kinds),
        pauses=PauseConfig(
            sentence_s=pauses.num("sentence_s", PauseConfig.sentence_s, 0.0, 10.0),
            paragraph_s=pauses.num("paragraph_s", PauseConfig.paragraph_s, 0.0, 10.0),
            title_s=pauses.num("title_s", PauseConfig.title_s, 0.0, 10.0),
            head_s=head,
            tail_s=tail,
        ),
        output=OutputConfig(
            target_rms_db=output.num("target_rms_db", OutputConfig.target_rms_db, *ACX_RMS_WINDOW_DB),
            peak_ceiling_db=output.num("peak_ceiling_db", OutputConfig.peak_ceiling_db, -20.0, ACX_PEAK_MAX_DB),
            room_tone_db=output.num("room_tone_db", OutputConfig.room_tone_db, -90.0, -60.0),
            max_part_minutes=output.num("max_part_minutes", OutputConfig.max_part_minutes, 0.1, MAX_PART_MINUTES),
        ),
    )
