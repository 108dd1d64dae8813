"""Voice profiles: ``voices/<name>.toml`` naming a cloned GPT-SoVITS voice and how to speak with it.

A profile holds the GPT and SoVITS weight files, one or more reference clips (3-10 s; the first with
its transcript and language, the others only add to the timbre), the base-model folders (HuBERT,
BERT), default sampling settings, the model version (v1, v2, v2Pro, v2ProPlus) and, when a
speaker-verification (SV) model is known, its path and the voice's calibrated speaker-drift
threshold. ``VoiceProfile`` checks its values in one place; ``check_voice_files`` checks the files
behind it (weights load and agree in version, the SV model fits, clips are usable, transcripts
phonemise) and returns every problem at once; ``add_voice`` runs both, computes each clip's speaker
vectors once (``<name>.speaker.npz`` beside the TOML), calibrates the drift threshold and writes the
TOML atomically.
"""
from __future__ import annotations

import dataclasses
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
MODEL_VERSIONS = ("v1", "v2", "v2Pro", "v2ProPlus")
PRO_MODELS = ("v2Pro", "v2ProPlus")
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
    references: tuple[VoiceReference, ...]  # the main clip first; the others only add to the timbre
    sampling: SamplingOptions = field(default_factory=SamplingOptions)
    speed: float = 1.0
    source: Path | None = None  # the TOML it was read from or written to
    model: str = ""  # "v1" | "v2" | "v2Pro" | "v2ProPlus" (empty: the same as version)
    sv_model: Path | None = None  # the SV model (needed by v2Pro voices; enables the drift guard)
    drift_threshold: float | None = None  # calibrated at `voice add`; None: no drift guard

    def __post_init__(self) -> None:
        if not NAME_PATTERN.fullmatch(self.name):
            raise ValueError(f"voice name {self.name!r} must be 1-64 letters, digits, '.', '_' or '-'")
        if self.version not in VERSIONS:
            raise ValueError(f"version must be one of {', '.join(VERSIONS)}, not {self.version!r}")
        if not self.model:
            object.__setattr__(self, "model", self.version)
        if self.model not in MODEL_VERSIONS:
            raise ValueError(f"model must be one of {', '.join(MODEL_VERSIONS)}, not {self.model!r}")
        if (self.model == "v1") != (self.version == "v1"):
            raise ValueError(f"a {self.model} model reads the {'v1' if self.model == 'v1' else 'v2'} symbol table, "
                             f"not {self.version}")
        if self.model in PRO_MODELS and self.sv_model is None:
            raise ValueError(f"a {self.model} voice needs the speaker-verification model (sv = \"...\")")
        if self.drift_threshold is not None and (self.sv_model is None or not -1 <= self.drift_threshold <= 1):
            raise ValueError("drift_threshold needs an SV model and must lie in [-1, 1]")
        if not self.references:
            raise ValueError("a voice needs at least one reference clip")
        if not self.references[0].text.strip():
            raise ValueError(f"{self.references[0].audio}: the reference transcript is empty")
        for ref in self.references:
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
    _refuse_unknown(data, {"version", "model", "gpt", "sovits", "hubert", "bert", "sv", "drift_threshold",
                           "sampling", "reference"}, "")
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
    drift = data.get("drift_threshold")
    if drift is not None and (isinstance(drift, bool) or not isinstance(drift, (int, float))):
        raise TypeError(f"'drift_threshold' must be a number, got {drift!r}")
    return VoiceProfile(
        name=path.stem,
        version=_typed(data, "version", str),
        gpt=file_path("gpt"),
        sovits=file_path("sovits"),
        hubert_dir=file_path("hubert"),
        bert_dir=file_path("bert"),
        references=tuple(
            VoiceReference(file_path("audio", r), _typed(r, "text", str) if i == 0 else str(r.get("text", "")),
                           r.get("lang", "zh")) for i, r in enumerate(refs)
        ),
        sampling=sampling,
        speed=float(_number(sampling_table, "speed")) if "speed" in sampling_table else 1.0,
        source=path,
        model=_typed(data, "model", str) if "model" in data else "",
        sv_model=file_path("sv") if "sv" in data else None,
        drift_threshold=float(drift) if drift is not None else None,
    )


def profile_to_toml(profile: VoiceProfile, base: Path) -> str:
    """PROFILE as TOML text; paths inside BASE are written relative to it."""
    sampling = {f.name: getattr(profile.sampling, f.name) for f in fields(SamplingOptions)}
    document: dict[str, Any] = {
        "version": profile.version,
        "gpt": _portable(profile.gpt, base),
        "sovits": _portable(profile.sovits, base),
        "hubert": _portable(profile.hubert_dir, base),
        "bert": _portable(profile.bert_dir, base),
    }
    if profile.model != profile.version:
        document["model"] = profile.model
    if profile.sv_model is not None:
        document["sv"] = _portable(profile.sv_model, base)
    if profile.drift_threshold is not None:
        document["drift_threshold"] = round(profile.drift_threshold, 4)
    document["sampling"] = {**sampling, "speed": profile.speed}
    document["reference"] = [{"audio": _portable(r.audio, base), "text": r.text, "lang": r.lang}
                             for r in profile.references]
    return f"# bookvoice voice profile '{profile.name}'\n" + tomli_w.dumps(document)


@dataclass(frozen=True)
class VoiceFilesCheck:
    """What check_voice_files found: the symbol table and model version (None if unknown) and every problem."""

    version: str | None
    problems: tuple[str, ...]
    model: str | None = None


def check_voice_files(
    gpt: Path, sovits: Path, references: Sequence[VoiceReference], hubert_dir: Path, bert_dir: Path,
    sv_model: Path | None = None,
) -> VoiceFilesCheck:
    """Check every file a voice needs and return all problems at once (each one line, naming its file)."""
    from tts_engine.errors import VoiceFileError
    from tts_engine.loader import load_gpt_file, load_sovits_file

    problems: list[str] = []
    gpt_version = model = sv_width = None
    if not gpt.is_file():
        problems.append(f"{gpt}: GPT weights file not found")
    else:
        try:
            gpt_version = load_gpt_file(gpt).version
        except VoiceFileError as error:
            problems.append(_one_line(error))
    if not sovits.is_file():
        problems.append(f"{sovits}: SoVITS weights file not found")
    else:
        try:
            checkpoint = load_sovits_file(sovits)
        except VoiceFileError as error:
            problems.append(_one_line(error))
        else:
            model = checkpoint.version
            sv_weight = checkpoint.weights.get("sv_emb.weight")
            sv_width = int(sv_weight.shape[1]) if checkpoint.needs_sv and sv_weight is not None else None
    symbols = None if model is None else ("v1" if model == "v1" else "v2")
    if gpt_version is not None and symbols is not None and gpt_version != symbols:
        problems.append(f"{gpt}: GPT weights are {gpt_version} but {sovits} is a {model} SoVITS voice; a {model} "
                        f"voice needs a {symbols} GPT (the {'v1' if symbols == 'v1' else 'v2/s1v3'} kind)")
    version = symbols or gpt_version
    problems.extend(_sv_problems(sv_model, model, sv_width, sovits))
    for i, ref in enumerate(references):
        problems.extend(_reference_problems(ref, version or VERSIONS[-1], main=i == 0))
    for folder, needed, what in ((hubert_dir, HUBERT_FILES, "HuBERT"), (bert_dir, BERT_FILES, "BERT")):
        missing = [name for name in needed if not (folder / name).is_file()]
        if missing:
            problems.append(f"{folder}: not a {what} model folder (missing {', '.join(missing)}); "
                            "run `bookvoice models pull` or pass the folder")
    return VoiceFilesCheck(version, tuple(problems), model)


def _sv_problems(sv_model: Path | None, model: str | None, sv_width: int | None, sovits: Path) -> list[str]:
    """Whether the SV model is there when needed, loads, and gives the vector width the voice projects."""
    from tts_engine.errors import VoiceFileError
    from tts_engine.sv.encoder import SpeakerEncoder

    if sv_model is None:
        if model in PRO_MODELS:
            return [f"{sovits}: a {model} voice needs the speaker-verification model; run `bookvoice models pull "
                    f"--version {model}` or pass --sv PATH"]
        return []
    if not sv_model.is_file():
        return [f"{sv_model}: speaker-verification model not found"]
    try:
        encoder = SpeakerEncoder.load(sv_model)
    except VoiceFileError as error:
        return [_one_line(error)]
    if sv_width is not None and encoder.sv_dim != sv_width:
        return [f"{sv_model}: SV checkpoint of the wrong shape: it gives {encoder.sv_dim}-wide vectors but "
                f"{sovits} projects {sv_width}-wide ones"]
    return []


def check_profile(profile: VoiceProfile) -> tuple[str, ...]:
    """Every problem with the files behind PROFILE, including weights of another version than it names."""
    checked = check_voice_files(profile.gpt, profile.sovits, profile.references, profile.hubert_dir,
                                profile.bert_dir, profile.sv_model)
    if checked.model is not None and checked.model != profile.model:
        return (*checked.problems, f"{profile.source or profile.name}: names version {profile.model} "
                                   f"but its weights are {checked.model}")
    return checked.problems


def _reference_problems(ref: VoiceReference, version: str, main: bool = True) -> list[str]:
    """Problems of one reference clip and (for the main clip) its transcript; every clip must last 3-10 s."""
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
    if main and ref.text.strip() and ref.lang in LANGS:
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
    aux_refs: Sequence[Path] = (),
    sv_model: Path | None = None,
    hubert_dir: Path | None = None,
    bert_dir: Path | None = None,
    models_dir: Path | None = None,
    sampling: SamplingOptions | None = None,
    speed: float = 1.0,
    overwrite: bool = False,
    calibrate: bool = True,
) -> VoiceProfile:
    """Validate a new voice completely and write DEST_DIR/<name>.toml; VoiceValidationError lists every problem.

    ``aux_refs``: further clips for the timbre. ``sv_model``: the SV checkpoint (default: the pulled one,
    if any). With an SV model, each clip's speaker vectors are computed once and cached beside the
    TOML, and (``calibrate``) the speaker-drift threshold is calibrated on a few sentences the voice speaks.
    """
    from tts_engine.hub import DEFAULT_VERSION, manifest_for, models_layout

    target = dest_dir / f"{name}{PROFILE_SUFFIX}"
    problems: list[str] = []
    if target.exists() and not overwrite:
        problems.append(f"voice {name!r} already exists at {target} (replace it with --force)")
    references = (VoiceReference(ref.expanduser().absolute(), ref_text, ref_lang),
                  *(VoiceReference(p.expanduser().absolute(), "", ref_lang) for p in aux_refs))
    pulled = models_layout(manifest_for(DEFAULT_VERSION), models_dir)
    hubert_dir = (hubert_dir or pulled.hubert_dir).expanduser().absolute()
    bert_dir = (bert_dir or pulled.bert_dir).expanduser().absolute()
    gpt, sovits = gpt.expanduser().absolute(), sovits.expanduser().absolute()
    if sv_model is None:
        pulled_sv = models_layout(manifest_for(PRO_MODELS[0]), models_dir).sv_path
        sv_model = pulled_sv if pulled_sv is not None and pulled_sv.is_file() else None
    sv_model = sv_model.expanduser().absolute() if sv_model is not None else None
    checked = check_voice_files(gpt, sovits, references, hubert_dir, bert_dir, sv_model)
    problems.extend(checked.problems)
    profile = None
    try:
        profile = VoiceProfile(name, checked.version or DEFAULT_VERSION, gpt, sovits, hubert_dir, bert_dir,
                               references, sampling or SamplingOptions(), speed, target,
                               model=checked.model or "", sv_model=sv_model)
    except ValueError as error:
        if not (sv_model is None and checked.model in PRO_MODELS):   # already reported by the files check
            problems.append(_one_line(error))
    if problems or profile is None:
        raise VoiceValidationError(target, problems)
    if profile.sv_model is not None:
        from flows.engines.gsv_speaker import calibrate_drift, write_speaker_cache

        write_speaker_cache(profile)
        if calibrate:
            try:
                threshold = calibrate_drift(profile)
            except ValueError as error:   # e.g. too few calibration takes long enough to judge
                raise VoiceValidationError(target, [f"drift calibration failed ({_one_line(error)}); "
                                                    "add the voice with --no-calibrate"]) from error
            profile = dataclasses.replace(profile, drift_threshold=round(threshold, 4))
    atomic_write_text(target, profile_to_toml(profile, dest_dir))
    logger.info("voice %s (%s) written to %s", name, profile.model, target)
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
