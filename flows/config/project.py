"""A project folder: ``project.toml`` parsed and validated in one place into a frozen ``Project``."""
from __future__ import annotations

import difflib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.delivery.formats import DEFAULT_FORMATS, parse_formats
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
DEVICE_KINDS = ("cpu", "cuda", "mps")
SHARD_SENTENCES = 64                 # sentences per farm shard (a worker's unit of work)


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
class SpeedConfig:
    """How fast a render runs, never what it sounds like: none of this enters a cache key.

    ``0`` means "the engine's or machine's default". ``device`` names where the engine runs; the audio
    depends only on the resolved precision, which the voice settings decide.
    """

    device: str = "auto"              # auto | cpu | cuda | cuda:N | mps
    gpt_rows: int = 0                 # live sentences in GPT decoding
    chunk: int = 0                    # sentences per engine round (BERT -> GPT -> SoVITS)
    assembly_workers: int = 0         # chapters assembled and encoded at once (0: CPU cores - 1, at least 1)
    shard_sentences: int = SHARD_SENTENCES   # sentences per farm shard

    def __post_init__(self) -> None:
        if self.device != "auto" and self.device.split(":")[0] not in DEVICE_KINDS:
            raise ValueError(f"device must be auto, cpu, cuda[:N] or mps, not {self.device!r}")

    def engine_knobs(self) -> dict[str, Any]:
        """The knobs an engine factory reads (zeros dropped: the engine's defaults apply)."""
        knobs = {"device": self.device, "gpt_rows": self.gpt_rows, "chunk": self.chunk}
        return {k: v for k, v in knobs.items() if v}


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
class DeliveryConfig:
    """What a render delivers besides the chapter MP3s (``[output] formats``), and an optional library folder."""

    formats: tuple[str, ...] = DEFAULT_FORMATS
    library: Path | None = None             # ``[output] library``: also lay the book out as <library>/Author/Title


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
    heading_pattern: str = ""        # TXT books: a regular expression that overrides heading detection
    speed: SpeedConfig = field(default_factory=SpeedConfig)
    skip_chapters: tuple[int, ...] = ()
    skip_kinds: tuple[str, ...] = ("front", "back")
    pauses: PauseConfig = field(default_factory=PauseConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)

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
    """A TOML table read with typed accessors that raise ``ProjectError`` naming the key.

    Every key read is remembered, so that ``refuse_unknown`` can name a misspelt key or section
    (with the nearest valid one) instead of silently ignoring it.
    """

    def __init__(self, path: Path, data: dict[str, Any], prefix: str) -> None:
        self.path, self.data, self.prefix = path, data, prefix
        self.known: dict[str, _Table | None] = {}

    def _bad(self, key: str, problem: str) -> ProjectError:
        return ProjectError(self.path, f"[{self.prefix}] {key}: {problem}" if self.prefix else f"{key}: {problem}")

    def _get(self, key: str, default: Any) -> Any:
        self.known.setdefault(key, None)
        return self.data.get(key, default)

    def table(self, key: str) -> "_Table":
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self._bad(key, "must be a table")
        child = _Table(self.path, value, f"{self.prefix}.{key}" if self.prefix else key)
        self.known[key] = child
        return child

    def free_table(self, key: str) -> dict[str, Any]:
        """A table whose keys someone else validates (an engine's settings)."""
        value = self._get(key, {})
        if not isinstance(value, dict):
            raise self._bad(key, "must be a table")
        return value

    def refuse_unknown(self) -> None:
        """``ProjectError`` for the first key or section nobody read, naming the nearest valid one."""
        for key in self.data:
            if key not in self.known:
                section = f"{self.prefix}.{key}" if self.prefix else key
                where = f"[{section}]" if isinstance(self.data[key], dict) else key
                nearest = difflib.get_close_matches(key, list(self.known), n=1, cutoff=0.5)
                hint = f" (did you mean {nearest[0]!r}?)" if nearest else \
                    f" (valid here: {', '.join(sorted(self.known))})"
                raise self._bad(where, f"unknown {'section' if isinstance(self.data[key], dict) else 'key'}{hint}")
        for child in self.known.values():
            if child is not None:
                child.refuse_unknown()

    def str(self, key: str, default: str) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            raise self._bad(key, "must be a string")
        return value

    def num(self, key: str, default: float, lo: float, hi: float) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise self._bad(key, f"must be a number in [{lo}, {hi}]")
        return float(value)

    def int_list(self, key: str) -> tuple[int, ...]:
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise self._bad(key, "must be a list of integers")
        return tuple(value)

    def str_list(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self._get(key, list(default))
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
    settings = voice.free_table("settings")
    speed = _speed(path, render)
    head = pauses.num("head_s", PauseConfig.head_s, *ROOM_TONE_HEAD_S)
    tail = pauses.num("tail_s", PauseConfig.tail_s, *ROOM_TONE_TAIL_S)
    fields = dict(
        root=root,
        name=root.name,
        book=resolve_path(root, book_file),
        title=book.str("title", ""),
        author=book.str("author", ""),
        cover=resolve_path(root, cover) if cover else None,
        heading_pattern=_pattern(path, book.str("heading_pattern", "")),
        lang=front.str("lang", "auto"),
        lexicon=resolve_path(root, lexicon) if lexicon else None,
        speed=speed,
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
        delivery=_delivery(path, root, output),
    )
    top.refuse_unknown()
    if profile:
        voice_files, version = _profile_voice(path, root, profile, engine, voice_files, version)
    voice_config = VoiceConfig(engine=engine, files=voice_files, settings_json=json.dumps(settings, sort_keys=True))
    return Project(voice=voice_config, phone_version=version or "v2", **fields)


def _delivery(path: Path, root: Path, output: _Table) -> DeliveryConfig:
    """``[output] formats`` (checked against the known formats) and ``[output] library``."""
    try:
        formats = parse_formats(output.str_list("formats", DEFAULT_FORMATS))
    except ValueError as exc:
        raise ProjectError(path, f"[output] formats: {exc}") from exc
    library = output.str("library", "")
    return DeliveryConfig(formats, resolve_path(root, library) if library else None)


def _speed(path: Path, render: _Table) -> SpeedConfig:
    """The ``[render]`` speed knobs (``batch_size``, the old name of ``chunk``, still read)."""
    chunk = int(render.num("chunk", 0, 0, 65536)) or int(render.num("batch_size", 0, 0, 65536))
    try:
        return SpeedConfig(
            device=render.str("device", SpeedConfig.device),
            gpt_rows=int(render.num("gpt_rows", 0, 0, 4096)),
            chunk=chunk,
            assembly_workers=int(render.num("assembly_workers", 0, 0, 256)),
            shard_sentences=int(render.num("shard_sentences", SHARD_SENTENCES, 1, 100000)),
        )
    except ValueError as exc:
        raise ProjectError(path, f"[render] {exc}") from exc


def _pattern(path: Path, pattern: str) -> str:
    """A heading regular expression, compiled once here so a bad one is reported before anything runs."""
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ProjectError(path, f"[book] heading_pattern: not a regular expression ({exc})") from exc
    return pattern
