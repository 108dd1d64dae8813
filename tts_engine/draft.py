"""The zero-setup draft voice: eSpeak NG from the ``espeakng-loader`` wheel, driven through ctypes."""
from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from tts_engine.engine import SentenceAudio, SentenceJob
from tts_engine.errors import EngineError, VoiceFileError

log = logging.getLogger(__name__)

DRAFT_ENGINE_NAME = "draft-espeak"
DRAFT_VERSION = "1"                 # bump when this wrapper changes the audio it produces
INT16_SCALE = 32768.0

# speak_lib.h constants
AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_INITIALIZE_DONT_EXIT = 0x8000
ESPEAK_CHARS_UTF8 = 1
POS_CHARACTER = 1
EE_OK = 0
ESPEAK_RATE, ESPEAK_VOLUME, ESPEAK_PITCH = 1, 2, 3

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


@dataclass(frozen=True)
class DraftSettings:
    """eSpeak NG voice choice and prosody; validated once here."""

    voice_zh: str = "cmn"
    voice_en: str = "en-us"
    rate_wpm: int = 165       # espeak words per minute (80..450)
    pitch: int = 50           # 0..100
    volume: int = 60          # 0..200; 100 clips on loud vowels

    def __post_init__(self) -> None:
        for name, lo, hi in (("rate_wpm", 80, 450), ("pitch", 0, 100), ("volume", 1, 200)):
            value = getattr(self, name)
            if not isinstance(value, int) or not lo <= value <= hi:
                raise EngineError(f"draft voice setting {name} must be an integer in [{lo}, {hi}], got {value!r}")

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> "DraftSettings":
        """Build from a project's ``[voice.settings]`` table, rejecting unknown keys."""
        unknown = set(settings) - set(cls.__dataclass_fields__)
        if unknown:
            raise EngineError(f"unknown draft voice settings: {', '.join(sorted(unknown))}")
        return cls(**settings)


class _Espeak:
    """The process-wide eSpeak NG library (it keeps global state, so one instance, used under a lock)."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data_dir = Path(espeakng_loader.get_data_path())
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.espeak_Info.restype = ctypes.c_char_p
        self.lib.espeak_Info.argtypes = [ctypes.c_void_p]
        self.sample_rate = self.lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_dir.parent).encode(), ESPEAK_INITIALIZE_DONT_EXIT)
        if self.sample_rate <= 0:
            raise VoiceFileError(data_dir, "eSpeak NG failed to initialise")
        self.version = self.lib.espeak_Info(None).decode()
        self.lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._callback = _SynthCallback(self._collect)   # keep a reference: C holds only the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: ctypes.POINTER(ctypes.c_short), n_samples: int, _events: int) -> int:
        if n_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
        return 0

    def has_voice(self, name: str) -> bool:
        """Whether eSpeak NG can load the voice ``name``."""
        with self.lock:
            return self.lib.espeak_SetVoiceByName(name.encode()) == EE_OK

    def speak(self, text: str, voice: str, settings: DraftSettings) -> np.ndarray:
        """Synthesise ``text`` with ``voice``: (samples,) int16 at ``self.sample_rate``."""
        data = text.encode("utf-8")
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != EE_OK:
                raise VoiceFileError(voice, "eSpeak NG has no such voice")
            self.lib.espeak_SetParameter(ESPEAK_RATE, settings.rate_wpm, 0)
            self.lib.espeak_SetParameter(ESPEAK_PITCH, settings.pitch, 0)
            self.lib.espeak_SetParameter(ESPEAK_VOLUME, settings.volume, 0)
            self._chunks = []
            status = self.lib.espeak_Synth(data, len(data) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
            chunks, self._chunks = self._chunks, []
        if status != EE_OK:
            raise EngineError(f"eSpeak NG synthesis failed (status {status}) for {text[:40]!r}")
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


@functools.lru_cache(maxsize=1)
def _espeak() -> _Espeak:
    """Load and initialise eSpeak NG once per process, on first use."""
    return _Espeak()


class DraftEngine:
    """Engine protocol over eSpeak NG: Chinese runs read by ``voice_zh``, the rest by ``voice_en``."""

    name = DRAFT_ENGINE_NAME

    def __init__(self, settings: DraftSettings | None = None) -> None:
        self.settings = settings or DraftSettings()
        self._espeak = _espeak()
        self.sample_rate = self._espeak.sample_rate
        for voice in (self.settings.voice_zh, self.settings.voice_en):
            if not self._espeak.has_voice(voice):
                raise VoiceFileError(voice, "eSpeak NG has no such voice")

    @classmethod
    def from_project(cls, files: Sequence[Path], settings: Mapping[str, Any],
                     speed: Mapping[str, Any] | None = None) -> "DraftEngine":
        """Registry factory: the draft voice needs no files, only optional settings (speed knobs do not apply)."""
        if files:
            raise EngineError("the draft voice takes no voice files (remove [voice] files)")
        return cls(DraftSettings.from_mapping(settings))

    def fingerprint(self) -> str:
        """Hash of the eSpeak NG version, this wrapper's version and the settings."""
        blob = json.dumps({"engine": self.name, "wrapper": DRAFT_VERSION, "espeak": self._espeak.version,
                           "settings": asdict(self.settings)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _voice_for(self, lang: str) -> str:
        return self.settings.voice_zh if lang == "zh" else self.settings.voice_en

    def synthesize(self, jobs: Sequence[SentenceJob]) -> Iterator[SentenceAudio]:
        """Speak each job segment by segment (or whole, by ``job.lang``), yielding float32 audio in order."""
        for job in jobs:
            runs = [(seg.lang, seg.norm_text) for seg in job.segments] or [(job.lang, job.text)]
            pieces = [self._espeak.speak(text, self._voice_for(lang), self.settings)
                      for lang, text in runs if text.strip()]
            pcm = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)
            flags = [] if pcm.size else ["empty_audio"]
            yield SentenceAudio(job.key, pcm.astype(np.float32) / INT16_SCALE, self.sample_rate, flags)
