"""SpeakerEncoder: the SV model ready to listen to 32 kHz audio (REFERENCE §10.3-10.5).

Two outputs of one network:

* ``sv_vector``: what v2Pro/v2ProPlus voices condition on, computed exactly as the reference does
  (peak guard, sinc resampling 32 -> 16 kHz, Kaldi fbank without mean normalisation, ``forward3``);
* ``speaker_embedding``: the network's own speaker embedding (fbank with per-utterance mean
  normalisation, statistics pooling, ``seg_1``), unit length, the vector the model was trained to
  compare by cosine. The speaker-drift guard uses it, for voices of every version.

Example::

    encoder = SpeakerEncoder.load("sv/pretrained_eres2netv2w24s4ep4.ckpt")
    similarity = encoder.similarity(encoder.speaker_embedding(take), reference_embedding)
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from tts_engine.errors import VoiceFileError
from tts_engine.loader import SVCheckpoint, load_sv_file, load_weights
from tts_engine.spectrogram import SAMPLE_RATE as VOICE_SAMPLE_RATE
from tts_engine.sv.eres2netv2 import ERes2NetV2, ERes2NetV2Config
from tts_engine.sv.fbank import FRAME_LENGTH, SAMPLE_RATE, fbank
from tts_engine.sv.resample import resample

log = logging.getLogger(__name__)

PEAK_LIMIT = 2.0   # as for the reference spectrogram: a wave peaking above 1 is divided by min(2, peak)


class SpeakerEncoder:
    """An ERes2NetV2 checkpoint in eval mode on one device, float32."""

    def __init__(self, network: ERes2NetV2, device: torch.device | str = "cpu") -> None:
        self.network = network.to(device).eval()
        self.device = torch.device(device)

    @classmethod
    def from_checkpoint(cls, checkpoint: SVCheckpoint, device: torch.device | str = "cpu") -> SpeakerEncoder:
        """The network of a loaded SV checkpoint, sizes from its tensor shapes, weights loaded strictly."""
        shapes = {k: tuple(v.shape) for k, v in checkpoint.weights.items()}
        try:
            config = ERes2NetV2Config.from_shapes(shapes)
        except (KeyError, IndexError) as exc:
            raise VoiceFileError(checkpoint.path, f"speaker-verification checkpoint lacks {exc.args[0]!r}") from exc
        with torch.device("meta"):
            network = ERes2NetV2(config)
        network.to_empty(device="cpu")
        load_weights(network, checkpoint.weights, checkpoint.path)
        log.debug("loaded SV model %s (forward3 width %d)", checkpoint.path, config.sv_dim)
        return cls(network, device)

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu") -> SpeakerEncoder:
        """Read and build the SV model; VoiceFileError names a bad file."""
        return cls.from_checkpoint(load_sv_file(path), device)

    @property
    def sv_dim(self) -> int:
        """Width of the vector v2Pro voices condition on (20480 for the released model)."""
        return self.network.config.sv_dim

    @torch.inference_mode()
    def sv_vector(self, wave32k: np.ndarray | Tensor) -> Tensor:
        """(n,) 32 kHz wave -> (1, sv_dim) float32: the SV input of a v2Pro decode for this reference."""
        return self.network.forward3(self.features(wave32k, mean_normalise=False))

    @torch.inference_mode()
    def speaker_embedding(self, wave32k: np.ndarray | Tensor) -> Tensor | None:
        """(n,) 32 kHz wave -> (embedding_size,) unit-length speaker embedding; None if under one fbank frame."""
        if self._wave16k(wave32k).numel() < FRAME_LENGTH:
            return None
        return F.normalize(self.network(self.features(wave32k, mean_normalise=True))[0], dim=0)

    @staticmethod
    def similarity(a: Tensor, b: Tensor) -> float:
        """Cosine similarity of two embeddings."""
        return float(F.cosine_similarity(a.reshape(1, -1).float(), b.reshape(1, -1).float().to(a.device))[0])

    def _wave16k(self, wave32k: np.ndarray | Tensor) -> Tensor:
        """The peak-guarded wave resampled to the SV model's 16 kHz, float32 on the device."""
        wave = torch.as_tensor(np.asarray(wave32k, dtype=np.float32) if not isinstance(wave32k, Tensor) else wave32k)
        wave = wave.to(device=self.device, dtype=torch.float32).reshape(-1)
        peak = float(wave.abs().max()) if wave.numel() else 0.0
        if peak > 1.0:
            wave = wave / min(PEAK_LIMIT, peak)
        return resample(wave, VOICE_SAMPLE_RATE, SAMPLE_RATE)

    def features(self, wave32k: np.ndarray | Tensor, mean_normalise: bool) -> Tensor:
        """(1, frames, bins) fbank of a 32 kHz wave, per-utterance mean removed for the speaker embedding."""
        feats = fbank(self._wave16k(wave32k))
        if mean_normalise:
            feats = feats - feats.mean(dim=0, keepdim=True)
        return feats.unsqueeze(0)
