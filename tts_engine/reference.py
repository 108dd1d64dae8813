"""Reference clips -> VoicePrompt: semantic prompt tokens, timbre spectrograms, transcript phones/BERT.

REFERENCE §2: the main clip is read once, made mono, resampled to 16 kHz (HuBERT -> semantic
tokens) and to 32 kHz (linear spectrogram for the timbre encoder). Its duration must be 3-10 s,
measured on the 16 kHz samples before any padding. Further clips (the reference's
``aux_ref_audio_paths``) only add their spectrograms to the timbre, which the synthesizer averages;
v2Pro voices also need each clip's SV vector (§10.3), computed once here or handed in from a
cache. tts_engine never phonemises: the transcript's phone ids and segments come from the caller.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np
import soundfile as sf
import soxr
import torch
from torch import Tensor

from tts_engine.engine import TextSegment
from tts_engine.errors import ReferenceAudioError
from tts_engine.features import HUBERT_SAMPLE_RATE, BertFeatures, HubertFeatures
from tts_engine.spectrogram import SAMPLE_RATE as SOVITS_SAMPLE_RATE
from tts_engine.spectrogram import linear_spectrogram

log = logging.getLogger(__name__)

MIN_REFERENCE_SECONDS = 3
MAX_REFERENCE_SECONDS = 10
RESAMPLE_QUALITY = "HQ"      # soxr quality (librosa's default resampler in the reference)
PEAK_LIMIT = 2.0             # a 32 kHz wave peaking above 1 is divided by min(2, peak)


class LatentExtractor(Protocol):
    """The part of the SoVITS synthesizer that turns SSL features into semantic tokens."""

    def extract_latent(self, ssl: Tensor) -> Tensor:
        """(1, ssl_dim, T) -> codes (1, 1, T // 2)."""
        ...


@dataclass(frozen=True)
class ReferenceClip:
    """A reference recording, mono float32 at both model rates."""

    path: Path
    wave16k: np.ndarray   # (L16,) for HuBERT
    wave32k: np.ndarray   # (L32,) for the timbre spectrogram


@dataclass(frozen=True)
class VoicePrompt:
    """Everything a sentence borrows from the reference clip; build it once per clip, reuse per sentence."""

    semantic: Tensor      # (P,) int64 semantic tokens of the clip (25 per second)
    refer_spec: Tensor    # (1, spec_bins, F) linear spectrogram at 32 kHz (timbre)
    phone_ids: Tensor     # (N_p,) int64 phone ids of the clip's transcript (empty: reference-free mode)
    bert: Tensor          # (bert_dim, N_p) BERT features aligned with phone_ids
    aux_specs: tuple[Tensor, ...] = ()    # spectrograms of further clips, averaged into the timbre
    sv_vectors: tuple[Tensor, ...] = ()   # v2Pro: (1, sv_dim) per clip, main first; empty otherwise

    @property
    def refer_specs(self) -> tuple[Tensor, ...]:
        """Every clip's spectrogram, the main clip first."""
        return (self.refer_spec, *self.aux_specs)

    @property
    def gpt_semantic(self) -> Tensor:
        """The semantic tokens the GPT continues: none in reference-free mode (no transcript to pair them with)."""
        return self.semantic if self.phone_ids.numel() else self.semantic[:0]


def read_reference(path: str | Path, check_length: bool = True) -> ReferenceClip:
    """Read any soundfile-readable clip, check 3-10 s (unless told not to), resample to 16 and 32 kHz."""
    path = Path(path)
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)   # (n, channels)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise ReferenceAudioError(path, f"cannot read audio: {' '.join(str(exc).split())}") from exc
    if data.size == 0:
        raise ReferenceAudioError(path, "the audio file holds no samples")
    mono = data.mean(axis=1, dtype=np.float32)
    wave16k = _resample(mono, rate, HUBERT_SAMPLE_RATE)
    if check_length:
        check_duration(path, wave16k.shape[0])
    return ReferenceClip(path, wave16k, _resample(mono, rate, SOVITS_SAMPLE_RATE))


def check_duration(path: str | Path, n_samples_16k: int) -> None:
    """Raise ReferenceAudioError unless the clip lasts 3-10 s (counted at 16 kHz, before padding)."""
    seconds = n_samples_16k / HUBERT_SAMPLE_RATE
    shortest, longest = MIN_REFERENCE_SECONDS * HUBERT_SAMPLE_RATE, MAX_REFERENCE_SECONDS * HUBERT_SAMPLE_RATE
    if not shortest <= n_samples_16k <= longest:
        raise ReferenceAudioError(
            path, f"reference clip lasts {seconds:.2f} s; it must last "
                  f"{MIN_REFERENCE_SECONDS}-{MAX_REFERENCE_SECONDS} s")


def reference_spectrogram(wave32k: np.ndarray, device: torch.device | str = "cpu",
                          dtype: torch.dtype = torch.float32) -> Tensor:
    """(L,) 32 kHz wave -> (1, bins, L // hop) timbre spectrogram, after the reference's peak guard."""
    wave = torch.from_numpy(np.ascontiguousarray(wave32k, dtype=np.float32))
    peak = float(wave.abs().max()) if wave.numel() else 0.0
    if peak > 1.0:
        wave = wave / min(PEAK_LIMIT, peak)
    return linear_spectrogram(wave.unsqueeze(0)).to(device=device, dtype=dtype)


@torch.inference_mode()
def semantic_prompt(wave16k: np.ndarray, hubert: HubertFeatures, extractor: LatentExtractor) -> Tensor:
    """(L,) 16 kHz wave -> (P,) int64 semantic tokens, P = T_ssl // 2."""
    ssl = hubert(torch.from_numpy(np.ascontiguousarray(wave16k, dtype=np.float32)))   # (1, 768, T_ssl)
    codes = extractor.extract_latent(ssl)                                            # (1, 1, T_ssl // 2)
    return codes[0, 0].to(torch.long)


SVVectors = Callable[[np.ndarray], Tensor]   # a 32 kHz wave -> its (1, sv_dim) SV vector


def build_prompt(path: str | Path, phone_ids: Sequence[int], segments: Sequence[TextSegment],
                 hubert: HubertFeatures, bert: BertFeatures, extractor: LatentExtractor,
                 device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32,
                 aux_paths: Sequence[str | Path] = (), sv_vector: SVVectors | None = None,
                 sv_vectors: Sequence[Tensor] | None = None) -> VoicePrompt:
    """The VoicePrompt of a main clip and its transcript (phones and segments from text_prep), plus further clips.

    For v2Pro voices pass ``sv_vector`` (computes a clip's SV vector) or ``sv_vectors`` (one per clip,
    main first, e.g. from a profile's cache).
    """
    clip = read_reference(path)
    aux = [read_reference(p, check_length=False) for p in aux_paths]
    features = bert(segments).to(device=device, dtype=dtype)
    if features.shape[1] != len(phone_ids):
        raise ValueError(f"{path}: transcript segments cover {features.shape[1]} phones "
                         f"but {len(phone_ids)} phone ids were given")
    log.debug("reference %s: %.2f s (+%d clips)", clip.path, clip.wave16k.shape[0] / HUBERT_SAMPLE_RATE, len(aux))
    if sv_vectors is None and sv_vector is not None:
        sv_vectors = [sv_vector(c.wave32k) for c in (clip, *aux)]
    if sv_vectors is not None and len(sv_vectors) != 1 + len(aux):
        raise ValueError(f"{path}: {len(sv_vectors)} SV vectors for {1 + len(aux)} reference clips")
    return VoicePrompt(
        semantic=semantic_prompt(clip.wave16k, hubert, extractor),
        refer_spec=reference_spectrogram(clip.wave32k, device, dtype),
        phone_ids=torch.tensor(list(phone_ids), dtype=torch.long, device=device),
        bert=features,
        aux_specs=tuple(reference_spectrogram(c.wave32k, device, dtype) for c in aux),
        sv_vectors=tuple(v.to(device=device, dtype=torch.float32) for v in sv_vectors or ()),
    )


def _resample(wave: np.ndarray, rate: int, target: int) -> np.ndarray:
    """soxr resampling (identity when the rates agree), float32."""
    if rate == target:
        return wave.astype(np.float32, copy=False)
    return soxr.resample(wave, rate, target, quality=RESAMPLE_QUALITY).astype(np.float32, copy=False)
