"""A voice's speaker vectors, computed once per clip and cached beside its profile, and its drift calibration.

For every reference clip the SV model gives two vectors: the v2Pro conditioning vector (only for
v2Pro/v2ProPlus voices) and the speaker embedding the drift guard compares takes with. Both are
computed at `voice add` and kept in ``voices/<name>.speaker.npz``, keyed by the sha256 of each clip and
of the SV model, so loading the voice does not listen to its clips again; a stale cache is ignored
and the vectors recomputed.

The drift threshold is the voice's own: ``calibrate_drift`` has the voice speak a few ordinary
sentences, measures how similar each take is to the reference embedding, and puts the threshold
below that spread (``tts_engine.batch.guards.drift_threshold``).
"""
from __future__ import annotations

import dataclasses
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from flows.config.voices import PRO_MODELS, VoiceProfile
from flows.store.fsio import atomic_write_bytes, remembered_sha256
from tts_engine.batch.guards import DriftGuard, drift_threshold
from tts_engine.reference import read_reference
from tts_engine.spectrogram import SAMPLE_RATE
from tts_engine.sv.encoder import SpeakerEncoder

log = logging.getLogger(__name__)

SPEAKER_SUFFIX = ".speaker.npz"
# Ordinary sentences the voice speaks to calibrate its drift threshold (by the main clip's language).
CALIBRATION_TEXTS = {
    "zh": ("今天的天气很好，我们一起去公园散步吧。", "他把书放在桌子上，然后慢慢地走出了房间。",
           "这个问题并不简单，需要大家认真地想一想。", "晚上的风有点凉，记得多穿一件衣服。"),
    "en": ("The morning was quiet, and the road was still wet from the rain.",
           "She closed the book and looked out of the window for a long time.",
           "Nobody in the village knew where the old man had come from.",
           "We walked along the river until the lights of the town appeared."),
}


@dataclass(frozen=True)
class SpeakerVectors:
    """Per clip, main first: the v2Pro conditioning vectors (empty for other versions) and speaker embeddings."""

    sv_vectors: tuple[torch.Tensor, ...]   # (1, sv_dim) each
    embeddings: torch.Tensor               # (clips, embedding_size), unit rows

    @property
    def reference_embedding(self) -> torch.Tensor:
        """The voice's reference embedding: the clips' embeddings averaged, unit length."""
        return F.normalize(self.embeddings.mean(dim=0), dim=0)


def speaker_cache_path(profile: VoiceProfile) -> Path | None:
    """``voices/<name>.speaker.npz`` beside the profile's TOML (None for a profile not read from a file)."""
    return None if profile.source is None else profile.source.with_name(profile.source.stem + SPEAKER_SUFFIX)


def compute_speaker_vectors(profile: VoiceProfile, encoder: SpeakerEncoder) -> SpeakerVectors:
    """Listen to every clip of the profile once."""
    svs, embeddings = [], []
    for ref in profile.references:
        wave32k = read_reference(ref.audio, check_length=False).wave32k
        if profile.model in PRO_MODELS:
            svs.append(encoder.sv_vector(wave32k))
        embedding = encoder.speaker_embedding(wave32k)
        if embedding is None:
            raise ValueError(f"{ref.audio}: too short for the speaker-verification model")
        embeddings.append(embedding)
    return SpeakerVectors(tuple(svs), torch.stack(embeddings))


def write_speaker_cache(profile: VoiceProfile, encoder: SpeakerEncoder | None = None) -> SpeakerVectors:
    """Compute the profile's speaker vectors and store them beside its TOML (atomically)."""
    if profile.sv_model is None:
        raise ValueError(f"voice {profile.name!r} names no speaker-verification model")
    vectors = compute_speaker_vectors(profile, encoder or SpeakerEncoder.load(profile.sv_model))
    path = speaker_cache_path(profile)
    if path is not None:
        buffer = io.BytesIO()
        arrays = {"embeddings": vectors.embeddings.numpy()}
        if vectors.sv_vectors:
            arrays["sv_vectors"] = torch.cat(vectors.sv_vectors).numpy()
        np.savez(buffer, key=np.array(json.dumps(_cache_key(profile))), **arrays)
        atomic_write_bytes(path, buffer.getvalue())
    return vectors


def load_speaker_vectors(profile: VoiceProfile, encoder: SpeakerEncoder) -> SpeakerVectors:
    """The cached vectors when they belong to these clips and this SV model; else computed now."""
    path = speaker_cache_path(profile)
    if path is not None and path.is_file():
        try:
            with np.load(path) as cached:
                if json.loads(str(cached["key"])) == _cache_key(profile):
                    svs = cached["sv_vectors"] if "sv_vectors" in cached.files else np.zeros((0, 1), np.float32)
                    return SpeakerVectors(tuple(torch.from_numpy(v[None].copy()) for v in svs),
                                          torch.from_numpy(cached["embeddings"].copy()))
        except (OSError, ValueError, KeyError) as error:
            log.warning("%s: unreadable speaker cache (%s); listening to the clips again", path, error)
        log.info("%s: speaker cache is stale; listening to the clips again", path)
    return compute_speaker_vectors(profile, encoder)


def drift_guard(profile: VoiceProfile, encoder: SpeakerEncoder, vectors: SpeakerVectors) -> DriftGuard | None:
    """The profile's drift guard (None until a threshold was calibrated)."""
    if profile.drift_threshold is None:
        return None
    return DriftGuard(encoder, vectors.reference_embedding, profile.drift_threshold)


def calibrate_drift(profile: VoiceProfile) -> float:
    """The voice speaks CALIBRATION_TEXTS on the CPU; its threshold comes from the spread of their similarities."""
    from flows.engines.gsv import GSVSettings, GSVSpeed, GSVVoiceEngine

    engine = GSVVoiceEngine(dataclasses.replace(profile, drift_threshold=None), GSVSettings(precision="fp32"),
                            GSVSpeed(device="cpu"))
    loaded = engine.engine()
    encoder = loaded.voice.speaker
    reference = load_speaker_vectors(profile, encoder).reference_embedding
    lang = profile.references[0].lang if profile.references[0].lang in CALIBRATION_TEXTS else "zh"
    guard = DriftGuard(encoder, reference, -1.0)
    similarities = [guard.similarity(engine.speak(text, lang), SAMPLE_RATE) for text in CALIBRATION_TEXTS[lang]]
    measured = [s for s in similarities if s is not None]
    threshold = drift_threshold(measured)
    log.info("voice %s: calibration similarities %s -> drift threshold %.3f", profile.name,
             ", ".join(f"{s:.3f}" for s in measured), threshold)
    return threshold


def _cache_key(profile: VoiceProfile) -> dict[str, object]:
    """What the cached vectors depend on: every clip's and the SV model's sha256, and the model version."""
    return {"model": profile.model, "sv": remembered_sha256(profile.sv_model) if profile.sv_model else None,
            "clips": [remembered_sha256(r.audio) for r in profile.references]}
