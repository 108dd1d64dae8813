"""The GPT-SoVITS voice in the flow: a voice profile + ``[voice.settings]`` -> the batched engine, loaded once.

``project.toml``::

    [voice]
    engine = "gpt-sovits"
    profile = "alice"            # voices/alice.toml in the project, else in the user voices folder

    [voice.settings]             # all optional; what the audio depends on (part of every cache key)
    precision = "auto"           # auto (fp16 on CUDA; bf16 GPT + generator on bf16 CPUs) | fp32 | bf16 | fp16
    text_context = true          # BERT reads each sentence's ±2-sentence window; false = the reference

    [render]                     # speed only (never in a cache key)
    device = "auto"              # auto (CUDA when present) | cpu | cuda | cuda:N
    gpt_rows = 16                # sentences decoded at once
    chunk = 128                  # sentences per engine round

The engine is cheap to create: its fingerprint (the cache keys' voice part) hashes the voice files,
the reference clip, the base-model folders, the audio settings, the resolved precision and the engine
version without loading a model; neither the device's name nor any batch size enters it. The models
load on the first synthesis and stay loaded for the process (one load per worker).
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import soundfile as sf
import torch

from flows.store.fsio import atomic_write_bytes, remembered_sha256
from flows.engines.gsv_speaker import drift_guard, load_speaker_vectors
from flows.engines.gsv_text import phonemize_target, prompt_text
from flows.pipeline.plan import make_job, text_segments
from flows.config.voices import PROFILE_SUFFIX, VoiceProfile, load_profile
from text_prep.phones.frontend import phonemize
from tts_engine.batch import ENGINE_NAME, EngineOptions, GSVEngine, GuardOptions
from tts_engine.batch.engine import ENGINE_VERSION
from tts_engine.engine import SentenceAudio, SentenceJob
from tts_engine.errors import EngineError, VoiceFileError
from tts_engine.gpt import SamplingOptions
from tts_engine.precision import PRECISION_CHOICES, Precision
from tts_engine.spectrogram import SAMPLE_RATE
from tts_engine.voice import Voice

log = logging.getLogger(__name__)

ADAPTER_VERSION = "1"        # bump when this adapter changes what a job sounds like


@dataclass(frozen=True)
class GSVSettings:
    """``[voice.settings]`` of a GPT-SoVITS project: what decides the audio, validated here; unknown keys refused."""

    precision: str = "auto"
    text_context: bool = True
    max_retries: int = GuardOptions.max_retries
    max_tokens_per_phone: float = GuardOptions.max_tokens_per_phone   # also the decoding budget per phone
    budget_slack: int = GuardOptions.budget_slack

    def __post_init__(self) -> None:
        if self.precision not in PRECISION_CHOICES:
            raise EngineError(f"gpt-sovits setting precision must be one of {', '.join(PRECISION_CHOICES)}, "
                              f"not {self.precision!r}")
        try:
            self.engine_options(SamplingOptions(), 1.0, GSVSpeed())
        except ValueError as exc:
            raise EngineError(f"gpt-sovits settings: {exc}") from exc

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> "GSVSettings":
        """Build from a project's ``[voice.settings]`` table; EngineError names unknown or mistyped keys."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(settings) - set(known))
        moved = [key for key in unknown if key in SPEED_KEYS]
        if moved:
            raise EngineError(f"[voice.settings] {', '.join(moved)}: a speed setting, not part of the voice: "
                              f"move it to [render]")
        if unknown:
            raise EngineError(f"unknown gpt-sovits voice settings: {', '.join(unknown)}")
        for key, value in settings.items():
            kind = type(known[key].default)
            if not _fits(value, kind):
                raise EngineError(f"gpt-sovits setting {key} must be {kind.__name__}, got {value!r}")
        return cls(**settings)

    def engine_options(self, sampling: SamplingOptions, speed: float, knobs: "GSVSpeed") -> EngineOptions:
        """The batched engine's options for a voice's sampling settings and speed, and the speed knobs."""
        guards = GuardOptions(max_retries=self.max_retries, max_tokens_per_phone=self.max_tokens_per_phone,
                              budget_slack=self.budget_slack)
        return EngineOptions(sampling=sampling, speed=speed, text_context=self.text_context, guards=guards,
                             gpt_rows=knobs.gpt_rows, chunk=knobs.chunk)


SPEED_KEYS = ("device", "gpt_rows", "chunk")


@dataclass(frozen=True)
class GSVSpeed:
    """The ``[render]`` knobs this engine reads: where it runs and how wide it batches (never in a key)."""

    device: str = "auto"
    gpt_rows: int = EngineOptions.gpt_rows
    chunk: int = EngineOptions.chunk

    @classmethod
    def from_mapping(cls, knobs: Mapping[str, Any]) -> "GSVSpeed":
        """Keep the knobs this engine knows (others are for the flow)."""
        return cls(**{k: v for k, v in knobs.items() if k in SPEED_KEYS})

    def resolve_device(self) -> torch.device:
        """The device to run on: CUDA when asked and present; the CPU (with a warning) when CUDA is absent."""
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        device = torch.device(self.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            log.warning("CUDA was requested (device = %r) but is not available; synthesising on the CPU", self.device)
            return torch.device("cpu")
        return device



class GSVVoiceEngine:
    """The ``Engine`` protocol for a voice profile: lazy, with one model load per process and settings."""

    name = ENGINE_NAME
    sample_rate = SAMPLE_RATE

    def __init__(self, profile: VoiceProfile, settings: GSVSettings = GSVSettings(),
                 knobs: GSVSpeed = GSVSpeed()) -> None:
        self.profile = profile
        self.settings = settings
        self.device = knobs.resolve_device()
        self.precision = Precision.named(settings.precision, self.device)
        self.options = settings.engine_options(profile.sampling, profile.speed, knobs)
        self._fingerprint: str | None = None
        missing = [p for p in (profile.gpt, profile.sovits, *(r.audio for r in profile.references),
                               *((profile.sv_model,) if profile.sv_model else ())) if not p.is_file()]
        missing += [p for p in (profile.hubert_dir, profile.bert_dir) if not p.is_dir()]
        if missing:
            raise VoiceFileError(missing[0], f"voice file of profile {profile.name!r} not found")

    @classmethod
    def from_project(cls, files: Sequence[Path], settings: Mapping[str, Any],
                     knobs: Mapping[str, Any] | None = None) -> "GSVVoiceEngine":
        """Registry factory: ``files`` is the one voice profile (``[voice] profile`` resolves to it)."""
        if len(files) != 1 or files[0].suffix != PROFILE_SUFFIX:
            raise EngineError("the gpt-sovits engine needs one voice profile: set [voice] profile = \"NAME\" "
                              "(add one with `bookvoice voice add`)")
        return cls(load_profile(files[0]), GSVSettings.from_mapping(settings), GSVSpeed.from_mapping(knobs or {}))

    def fingerprint(self) -> str:
        """Hash of the engine version, the settings, and the voice files, reference clip and base models."""
        if self._fingerprint is None:
            profile, ref = self.profile, self.profile.references[0]
            blob = {"engine": self.name, "engine_version": ENGINE_VERSION, "adapter": ADAPTER_VERSION,
                    "version": profile.version, "gpt": _file_digest(profile.gpt),
                    "sovits": _file_digest(profile.sovits), "hubert": _folder_digest(profile.hubert_dir),
                    "bert": _folder_digest(profile.bert_dir),
                    "reference": {"audio": _file_digest(ref.audio), "text": ref.text, "lang": ref.lang},
                    "precision": str(self.precision), "options": _audio_options(self.options)}
            # Only present when used, so the keys of single-clip v1/v2 voices without a drift guard stay as they were.
            if len(profile.references) > 1:
                blob["aux_references"] = [_file_digest(r.audio) for r in profile.references[1:]]
            if profile.model != profile.version:
                blob["model"] = profile.model
            if profile.sv_model is not None and (profile.model != profile.version or profile.drift_threshold is not None):
                blob["sv"] = _file_digest(profile.sv_model)
            if profile.drift_threshold is not None:
                blob["drift_threshold"] = profile.drift_threshold
            self._fingerprint = hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()
        return self._fingerprint

    def engine(self) -> GSVEngine:
        """The loaded batched engine (loaded on first use, then shared by every engine of this process)."""
        return _load_engine(self.profile, str(self.device), self.precision, self.options)

    def synthesize(self, jobs: Sequence[SentenceJob]) -> Iterator[SentenceAudio]:
        """Synthesise the jobs with the batched engine, one result per job in order."""
        yield from self.engine().synthesize(jobs)

    def speak(self, text: str, lang: str = "auto") -> np.ndarray:
        """One sentence of text -> 32 kHz float32 audio (for `bookvoice voice test`)."""
        phonemes = phonemize_target(lambda t: phonemize(t, lang=lang, version=self.profile.version), text, lang)
        if not phonemes.phones:
            raise EngineError(f"nothing to say in {text!r}")
        job = make_job(phonemes, (), (), self.fingerprint(), forced_seed=None)
        return next(iter(self.synthesize([job]))).audio


@functools.lru_cache(maxsize=2)
def _load_engine(profile: VoiceProfile, device: str, precision: Precision, options: EngineOptions) -> GSVEngine:
    """Load the voice, prepare its reference prompt and wrap both in the batched engine (cached per process)."""
    voice = Voice.load(profile.gpt, profile.sovits, profile.hubert_dir, profile.bert_dir, device, precision,
                       sv_path=profile.sv_model)
    ref = profile.references[0]
    said = phonemize(prompt_text(ref.text, ref.lang), lang=ref.lang, version=profile.version)
    vectors = load_speaker_vectors(profile, voice.speaker) if voice.speaker is not None else None
    prompt = voice.prompt_from(ref.audio, said.phone_ids, text_segments(said),
                               aux_refs=[r.audio for r in profile.references[1:]],
                               sv_vectors=vectors.sv_vectors if vectors is not None and vectors.sv_vectors else None)
    drift = drift_guard(profile, voice.speaker, vectors) if vectors is not None else None
    log.info("voice %s (%s) ready on %s (%s)%s", profile.name, profile.model, device, precision,
             f", drift guard below {drift.threshold:.3f}" if drift else "")
    return GSVEngine(voice, prompt, options, drift)


def _audio_options(options: EngineOptions) -> dict[str, Any]:
    """The engine options that decide the audio (sampling, speed, noise, text context, guards): the key's part."""
    return {"sampling": asdict(options.sampling), "speed": options.speed, "noise_scale": options.noise_scale,
            "text_context": options.text_context, "guards": asdict(options.guards)}


def write_wav(path: Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write mono float audio as 16-bit PCM WAV, atomically."""
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio, -1.0, 1.0), sample_rate, format="WAV", subtype="PCM_16")
    atomic_write_bytes(path, buffer.getvalue())
    return path


def _fits(value: object, kind: type) -> bool:
    """Whether a TOML value has the setting's type (an integer may stand for a float, a bool for nothing else)."""
    if isinstance(value, bool) or kind is bool:
        return isinstance(value, bool) and kind is bool
    return isinstance(value, kind) or (kind is float and isinstance(value, int))


@functools.lru_cache(maxsize=64)
def _hash_cached(path: Path, size: int, mtime_ns: int) -> str:
    return remembered_sha256(path)


def _file_digest(path: Path) -> str:
    """sha256 of a file, computed once while its size and modification time stay the same (across runs)."""
    stat = path.stat()
    return _hash_cached(path.resolve(), stat.st_size, stat.st_mtime_ns)


def _folder_digest(folder: Path) -> str:
    """sha256 over a model folder's visible files (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()
                       and not any(part.startswith(".") for part in p.relative_to(folder).parts)):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(_file_digest(path).encode())
    return digest.hexdigest()
