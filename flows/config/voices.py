"""Voice profiles: ``voices/<name>.toml`` naming a cloned GPT-SoVITS voice and how to speak with it.

A profile holds the GPT and SoVITS weight files, one or more reference clips (3-10 s) with their
transcript and language, the base-model folders (HuBERT, BERT) and default sampling settings.
``VoiceProfile`` checks its values in one place; ``check_voice_files`` checks the files behind it
(weights load and agree in version, clips are usable, transcripts phonemise) and returns every
problem at once; ``add_voice`` runs both and writes the TOML atomically.
"""
from __future__ import annotations

import logging
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, Sequence

import tomli_w

from flows.store.fsio import atomic_write_text
from flows.config.project import resolve_path
from text_prep.errors import InputFileError
from text_prep.phones.frontend import LANG_CHOICES as LANGS
from text_prep.phones.frontend import phonemize
from text_prep.phones.symbols import PUNCTUATION, VERSIONS
from tts_engine.gpt.sampling import SamplingOptions

logger = logging.getLogger(__name__)

VOICES_DIR = "voices"  # inside a project folder
PROFILE_SUFFIX = ".toml"
SPEED_RANGE = (0.5, 2.0)
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
HUBERT_FILES = ("config.json",)
BERT_FILES = ("config.json", "tokenizer.json")
# soundfile subtypes too coarse for a voice reference (8-bit, telephone codecs, ADPCM).
COARSE_SUBTYPES = frozenset({
    "PCM_S8", "PCM_U8", "ULAW", "ALAW", "IMA_ADPCM", "MS_ADPCM", "GSM610", "G721_32", "G723_24",
    "G723_40", "VOX_ADPCM", "NMS_ADPCM_16", "NMS_ADPCM_24", "NMS_ADPCM_32", "DPCM_8", "DWVW_12",
})


class VoiceProfileError(InputFileError):
    """A voice profile is missing, malformed or names unusable files; one line, with the path."""


class VoiceValidationError(VoiceProfileError):
    """``add_voice`` found problems; ``problems`` lists every one of them."""

    def __init__(self, path: str | Path, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(path, f"voice not added, {count}: " + "; ".join(self.problems))


@dataclass(frozen=True)
class VoiceReference:
    """A reference clip and what is said in it."""

    audio: Path
    text: str
    lang: str = "zh"


@dataclass(frozen=True)
class VoiceProfile:
    """Everything needed to speak with one cloned voice; values are checked here, files by check_voice_files."""

    name: str
    version: str  # "v1" | "v2": the symbol table the voice was trained with
    gpt: Path
    sovits: Path
    hubert_dir: Path
    bert_dir: Path
    references: tuple[VoiceReference, ...]
    sampling: SamplingOptions = field(default_factory=SamplingOptions)
    speed: float = 1.0
    source: Path | None = None  # the TOML it was read from or written to

    def __post_init__(self) -> None:
        if not NAME_PATTERN.fullmatch(self.name):
            raise ValueError(f"voice name {self.name!r} must be 1-64 letters, digits, '.', '_' or '-'")
        if self.version not in VERSIONS:
            raise ValueError(f"version must be one of {', '.join(VERSIONS)}, not {self.version!r}")
        if not self.references:
            raise ValueError("a voice needs at least one reference clip")
        for ref in self.references:
            if not ref.text.strip():
                raise ValueError(f"{ref.audio}: the reference transcript is empty")
            if ref.lang not in LANGS:
                raise ValueError(f"{ref.audio}: reference language must be one of {', '.join(LANGS)}, not {ref.lang!r}")
        if not SPEED_RANGE[0] <= self.speed <= SPEED_RANGE[1]:
            raise ValueError(f"speed must be in [{SPEED_RANGE[0]}, {SPEED_RANGE[1]}], got {self.speed}")


def default_user_voices_dir() -> Path:
    """``$XDG_CONFIG_HOME/bookvoice/voices`` (``~/.config/bookvoice/voices`` when unset)."""
    config = os.environ.get("XDG_CONFIG_HOME") or "~/.config"
    return Path(config).expanduser() / "bookvoice" / VOICES_DIR


def find_profile(name: str, project_dir: Path | None, user_dir: Path | None) -> Path:
    """The TOML of voice NAME: PROJECT_DIR/voices first, then USER_DIR; VoiceProfileError if neither has it."""
    if not NAME_PATTERN.fullmatch(name):
        raise VoiceProfileError(name, "not a voice name (letters, digits, '.', '_' or '-')")
    candidates = [d / f"{name}{PROFILE_SUFFIX}" for d in
                  ((project_dir / VOICES_DIR) if project_dir else None, user_dir) if d is not None]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c.parent) for c in candidates) or "no voice folders given"
    raise VoiceProfileError(name, f"no such voice (looked in {looked}); add it with `bookvoice voice add`")


def load_profile(path: Path) -> VoiceProfile:
    """Read voices/<name>.toml; relative paths are taken from the TOML's folder; one-line error when malformed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VoiceProfileError(path, "voice profile not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise VoiceProfileError(path, f"cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise VoiceProfileError(path, f"malformed TOML: {error}") from None
    try:
        return _profile_from_toml(path, data)
    except (KeyError, TypeError, ValueError) as error:
        raise VoiceProfileError(path, _one_line(error.args[0] if error.args else error)) from None


def _profile_from_toml(path: Path, data: Mapping[str, Any]) -> VoiceProfile:
    """Build the profile from parsed TOML; KeyError/TypeError/ValueError name what is wrong."""
    _refuse_unknown(data, {"version", "gpt", "sovits", "hubert", "bert", "sampling", "reference"}, "")
    base = path.parent

    def file_path(key: str, table: Mapping[str, Any] = data) -> Path:
        value = _typed(table, key, str)
        return resolve_path(base, value)

    sampling_table = data.get("sampling", {})
    if not isinstance(sampling_table, dict):
        raise TypeError("[sampling] must be a table")
    option_names = {f.name for f in fields(SamplingOptions)}
    _refuse_unknown(sampling_table, option_names | {"speed"}, "[sampling] ")
    sampling = SamplingOptions(**{k: _number(sampling_table, k, integer=k == "top_k")
                                  for k in option_names if k in sampling_table})
    refs = data.get("reference")
    if not isinstance(refs, list) or not all(isinstance(r, dict) for r in refs):
        raise ValueError("needs at least one [[reference]] table (audio, text, lang)")
    for ref in refs:
        _refuse_unknown(ref, {"audio", "text", "lang"}, "[[reference]] ")
    return VoiceProfile(
        name=path.stem,
        version=_typed(data, "version", str),
        gpt=file_path("gpt"),
        sovits=file_path("sovits"),
        hubert_dir=file_path("hubert"),
        bert_dir=file_path("bert"),
        references=tuple(
            VoiceReference(file_path("audio", r), _typed(r, "text", str), r.get("lang", "zh")) for r in refs
        ),
        sampling=sampling,
        speed=float(_number(sampling_table, "speed")) if "speed" in sampling_table else 1.0,
        source=path,
    )


def profile_to_toml(profile: VoiceProfile, base: Path) -> str:
    """PROFILE as TOML text; paths inside BASE are written relative to it."""
    sampling = {f.name: getattr(profile.sampling, f.name) for f in fields(SamplingOptions)}
    document = {
        "version": profile.version,
        "gpt": _portable(profile.gpt, base),
        "sovits": _portable(profile.sovits, base),
        "hubert": _portable(profile.hubert_dir, base),
        "bert": _portable(profile.bert_dir, base),
        "sampling": {**sampling, "speed": profile.speed},
        "reference": [{"audio": _portable(r.audio, base), "text": r.text, "lang": r.lang} for r in profile.references],
    }
    return f"# bookvoice voice profile '{profile.name}'\n" + tomli_w.dumps(document)


@dataclass(frozen=True)
class VoiceFilesCheck:
    """What check_voice_files found: the weights' version (None if unknown) and every problem."""

    version: str | None
    problems: tuple[str, ...]


def check_voice_files(
    gpt: Path, sovits: Path, references: Sequence[VoiceReference], hubert_dir: Path, bert_dir: Path
) -> VoiceFilesCheck:
    """Check every file a voice needs and return all problems at once (each one line, naming its file)."""
    from tts_engine.errors import VoiceFileError
    from tts_engine.loader import load_gpt_file, load_sovits_file

    problems: list[str] = []
    versions: dict[str, str] = {}
    for kind, path, loader in (("GPT", gpt, load_gpt_file), ("SoVITS", sovits, load_sovits_file)):
        if not path.is_file():
            problems.append(f"{path}: {kind} weights file not found")
            continue
        try:
            versions[kind] = loader(path).version
        except VoiceFileError as error:
            problems.append(_one_line(error))
    agreed = set(versions.values())
    if len(agreed) > 1:
        problems.append(f"{gpt}: GPT weights are {versions['GPT']} but {sovits} is a {versions['SoVITS']} "
                        "SoVITS voice; both files must come from the same GPT-SoVITS version")
    version = agreed.pop() if len(agreed) == 1 else None
    for ref in references:
        problems.extend(_reference_problems(ref, version or VERSIONS[-1]))
    for folder, needed, what in ((hubert_dir, HUBERT_FILES, "HuBERT"), (bert_dir, BERT_FILES, "BERT")):
        missing = [name for name in needed if not (folder / name).is_file()]
        if missing:
            problems.append(f"{folder}: not a {what} model folder (missing {', '.join(missing)}); "
                            "run `bookvoice models pull` or pass the folder")
    return VoiceFilesCheck(version, tuple(problems))


def check_profile(profile: VoiceProfile) -> tuple[str, ...]:
    """Every problem with the files behind PROFILE, including weights of another version than it names."""
    checked = check_voice_files(profile.gpt, profile.sovits, profile.references, profile.hubert_dir, profile.bert_dir)
    if checked.version is not None and checked.version != profile.version:
        return (*checked.problems, f"{profile.source or profile.name}: names version {profile.version} "
                                   f"but its weights are {checked.version}")
    return checked.problems


def _reference_problems(ref: VoiceReference, version: str) -> list[str]:
    """Problems of one reference clip and its transcript."""
    import soundfile as sf

    from tts_engine.features import HUBERT_SAMPLE_RATE
    from tts_engine.reference import MAX_REFERENCE_SECONDS, MIN_REFERENCE_SECONDS

    problems: list[str] = []
    if not ref.audio.is_file():
        problems.append(f"{ref.audio}: reference clip not found")
    else:
        try:
            info = sf.info(str(ref.audio))
        except (RuntimeError, OSError) as error:
            problems.append(f"{ref.audio}: unreadable audio ({_one_line(error)})")
        else:
            seconds = info.frames / info.samplerate
            if info.subtype in COARSE_SUBTYPES:
                problems.append(f"{ref.audio}: sample format {info.subtype} ({info.subtype_info}) is too coarse "
                                "for a voice reference; use 16-bit PCM or better")
            if info.samplerate < HUBERT_SAMPLE_RATE:
                problems.append(f"{ref.audio}: sample rate {info.samplerate} Hz is below the "
                                f"{HUBERT_SAMPLE_RATE} Hz the models listen at")
            if not MIN_REFERENCE_SECONDS <= seconds <= MAX_REFERENCE_SECONDS:
                problems.append(f"{ref.audio}: clip lasts {seconds:.1f} s; a reference must last "
                                f"{MIN_REFERENCE_SECONDS}-{MAX_REFERENCE_SECONDS} s")
    if ref.text.strip() and ref.lang in LANGS:
        problem = _transcript_problem(ref, version)
        if problem:
            problems.append(problem)
    return problems


def _transcript_problem(ref: VoiceReference, version: str) -> str | None:
    """Why REF's transcript does not phonemise, or None when it does."""
    try:
        phones = phonemize(ref.text, lang=ref.lang, version=version).phones
    except ValueError as error:
        return f"{ref.audio}: transcript {ref.text!r} does not phonemise ({_one_line(error)})"
    if not [p for p in phones if p not in PUNCTUATION]:
        return f"{ref.audio}: transcript {ref.text!r} gives no spoken phones in language {ref.lang!r}"
    return None


def add_voice(
    name: str,
    gpt: Path,
    sovits: Path,
    ref: Path,
    ref_text: str,
    ref_lang: str,
    dest_dir: Path,
    *,
    hubert_dir: Path | None = None,
    bert_dir: Path | None = None,
    models_dir: Path | None = None,
    sampling: SamplingOptions | None = None,
    speed: float = 1.0,
    overwrite: bool = False,
) -> VoiceProfile:
    """Validate a new voice completely and write DEST_DIR/<name>.toml; VoiceValidationError lists every problem."""
    from tts_engine.hub import DEFAULT_VERSION, manifest_for, models_layout

    target = dest_dir / f"{name}{PROFILE_SUFFIX}"
    problems: list[str] = []
    if target.exists() and not overwrite:
        problems.append(f"voice {name!r} already exists at {target} (replace it with --force)")
    references = (VoiceReference(ref.expanduser().absolute(), ref_text, ref_lang),)
    pulled = models_layout(manifest_for(DEFAULT_VERSION), models_dir)
    hubert_dir = (hubert_dir or pulled.hubert_dir).expanduser().absolute()
    bert_dir = (bert_dir or pulled.bert_dir).expanduser().absolute()
    gpt, sovits = gpt.expanduser().absolute(), sovits.expanduser().absolute()
    checked = check_voice_files(gpt, sovits, references, hubert_dir, bert_dir)
    problems.extend(checked.problems)
    profile = None
    try:
        profile = VoiceProfile(name, checked.version or DEFAULT_VERSION, gpt, sovits, hubert_dir, bert_dir,
                               references, sampling or SamplingOptions(), speed, target)
    except ValueError as error:
        problems.append(_one_line(error))
    if problems or profile is None:
        raise VoiceValidationError(target, problems)
    atomic_write_text(target, profile_to_toml(profile, dest_dir))
    logger.info("voice %s (%s) written to %s", name, profile.version, target)
    return profile


def _refuse_unknown(table: Mapping[str, Any], known: set[str], where: str) -> None:
    """ValueError naming the keys of TABLE that are not KNOWN (typos must not pass silently)."""
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"{where}unknown key{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")


def _typed(table: Mapping[str, Any], key: str, kind: type) -> Any:
    if key not in table:
        raise KeyError(f"missing key '{key}'")
    value = table[key]
    if not isinstance(value, kind):
        raise TypeError(f"'{key}' must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _number(table: Mapping[str, Any], key: str, integer: bool = False) -> float | int:
    value = table[key]
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TypeError(f"[sampling] {key} must be {'an integer' if integer else 'a number'}, got {value!r}")
    return value


def _portable(path: Path, base: Path) -> str:
    """PATH relative to BASE when it lies inside it, else absolute (so the TOML survives moving the project)."""
    absolute, root = path.absolute(), base.absolute()
    return absolute.relative_to(root).as_posix() if absolute.is_relative_to(root) else str(absolute)


def _one_line(error: object) -> str:
    return " ".join(str(error).split())
