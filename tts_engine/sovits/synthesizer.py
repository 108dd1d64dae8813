"""The SoVITS synthesizer of v1/v2 voices at inference: semantic tokens + phones + timbre -> 32 kHz waveform.

Submodule and parameter names are those of the reference's ``SynthesizerTrn`` state dict, so official voice
files load as they are (minus the training-only posterior encoder ``enc_q``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from tts_engine.errors import VoiceFileError
from tts_engine.loader import SOVITS_OPTIONAL_PREFIXES, SoVITSCheckpoint, load_weights
from tts_engine.sovits.attention import length_mask
from tts_engine.sovits.config import SoVITSConfig
from tts_engine.sovits.flow import Flow
from tts_engine.sovits.generator import Generator
from tts_engine.sovits.quantizer import SemanticQuantizer
from tts_engine.sovits.ref_encoder import MelStyleEncoder
from tts_engine.sovits.text_encoder import TextEncoder
from tts_engine.sovits.weight_norm import fold_weight_norm

log = logging.getLogger(__name__)

DEFAULT_NOISE_SCALE = 0.5


@dataclass(frozen=True)
class DecodeTrace:
    """A decode's waveform with the intermediates the conformance kit checks."""

    audio: torch.Tensor   # (B, 1, frames * hop)
    ge: torch.Tensor      # (B, gin, 1) timbre vector
    m_p: torch.Tensor     # (B, inter, frames) prior mean
    logs_p: torch.Tensor  # (B, inter, frames) prior log-std
    z: torch.Tensor       # (B, inter, frames) reverse-flow output


class Synthesizer(nn.Module):
    """SoVITS v1/v2 (SynthesizerTrn) for inference; sizes from a SoVITSConfig."""

    def __init__(self, config: SoVITSConfig) -> None:
        super().__init__()
        self.config = config
        self.enc_p = TextEncoder(config)
        self.dec = Generator(config)
        self.flow = Flow(config)
        self.ref_enc = MelStyleEncoder(config)
        self.ssl_proj = nn.Conv1d(config.ssl_channels, config.ssl_channels,
                                  config.semantic_stride, stride=config.semantic_stride)
        self.quantizer = SemanticQuantizer(config.codebook_size, config.ssl_channels)

    @classmethod
    def from_checkpoint(cls, checkpoint: SoVITSCheckpoint) -> Synthesizer:
        """The model of a loaded voice: weights loaded strictly (enc_q optional), weight norm folded; eval, CPU."""
        path = checkpoint.path
        shapes = {k: tuple(v.shape) for k, v in checkpoint.weights.items()}
        try:
            config = SoVITSConfig.from_reference(checkpoint.config, shapes)
        except KeyError as exc:
            raise VoiceFileError(path, f"voice config or weights lack {exc.args[0]!r}") from exc
        except (TypeError, ValueError) as exc:
            raise VoiceFileError(path, f"inconsistent voice config: {exc}") from exc
        with torch.device("meta"):
            model = cls(config)
        model.to_empty(device="cpu")
        load_weights(model, checkpoint.weights, path, optional_prefixes=SOVITS_OPTIONAL_PREFIXES)
        if not bool(model.quantizer.codebook.inited.all()):
            raise VoiceFileError(path, "the semantic codebook was never initialised (an untrained model?)")
        fold_weight_norm(model)
        log.debug("loaded SoVITS %s voice %s (%s)", checkpoint.version, path, checkpoint.info)
        return model.eval()

    @property
    def samples_per_token(self) -> int:
        """Output samples per semantic token at speed 1."""
        return self.config.samples_per_token

    def extract_latent(self, ssl: torch.Tensor) -> torch.Tensor:
        """HuBERT features (B, ssl, T) -> semantic tokens (B, 1, T // stride)."""
        return self.quantizer.encode(self.ssl_proj(ssl)).unsqueeze(1)

    def timbre(self, refer_specs: Sequence[torch.Tensor]) -> torch.Tensor:
        """Timbre vector ge (1, gin, 1): the style encoding averaged over reference spectrograms (1, bins, F_r)."""
        if not refer_specs:
            raise ValueError("at least one reference spectrogram is needed")
        return torch.stack([self.ref_enc(spec) for spec in refer_specs]).mean(dim=0)

    def forward(self, codes: torch.Tensor, phones: torch.Tensor, ge: torch.Tensor, speed: float = 1.0,
                noise_scale: float = DEFAULT_NOISE_SCALE, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Tokens (B, 1, T), phones (B, N), ge (B, gin, 1) -> audio (B, 1, L), m_p, logs_p, z (the decode path)."""
        frames = self.quantizer.decode(codes[:, 0])                        # (B, ssl, T)
        frames = frames.repeat_interleave(self.config.semantic_stride, dim=-1)  # (B, ssl, T2) nearest upsampling
        m_p, logs_p = self.enc_p(frames, phones, ge, speed)                # (B, inter, T2')
        # A generator draws on its own device (same seed, same noise anywhere); without one, the global RNG.
        noise_device = generator.device if generator is not None else m_p.device
        noise = torch.randn(m_p.shape, generator=generator, device=noise_device, dtype=m_p.dtype).to(m_p.device)
        z_p = m_p + noise * torch.exp(logs_p) * noise_scale
        z = self.flow.reverse(z_p, ge)
        audio = self.vocode(z, ge)                                         # (B, 1, T2' * hop)
        return audio, m_p, logs_p, z

    def forward_padded(self, codes: torch.Tensor, code_lengths: torch.Tensor, phones: torch.Tensor,
                       phone_lengths: torch.Tensor, ge: torch.Tensor, noise: torch.Tensor,
                       noise_scale: float = DEFAULT_NOISE_SCALE) -> torch.Tensor:
        """A right-padded batch at speed 1, each row decoded as if alone: audio (B, 1, 2T * hop).

        codes (B, 1, T) with code_lengths (B,); phones (B, N) with phone_lengths (B,); ge (B, gin, 1);
        noise (B, inter, 2T): row b's standard-normal draw for its first 2 * code_lengths[b] frames
        (what ``forward`` would draw for it alone), anything after. Row b's audio is its first
        code_lengths[b] * samples_per_token samples; the rest is zero.
        """
        stride = self.config.semantic_stride
        frame_lengths = code_lengths * stride
        frame_mask = length_mask(frame_lengths, codes.shape[-1] * stride, noise.dtype)   # (B, 1, T2)
        phone_mask = length_mask(phone_lengths, phones.shape[-1], noise.dtype)             # (B, 1, N)
        frames = self.quantizer.decode(codes[:, 0]).repeat_interleave(stride, dim=-1)
        m_p, logs_p = self.enc_p(frames, phones, ge, 1.0, frame_mask, phone_mask)
        z_p = m_p + noise * frame_mask * torch.exp(logs_p) * noise_scale
        z = self.flow.reverse(z_p, ge, frame_mask)
        return self.vocode(z, ge, frame_lengths)

    def vocode(self, z: torch.Tensor, ge: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """The generator on z (B, inter, T2), in the generator's own dtype; audio comes back in z's dtype.

        The generator is most of the decode's work, so it may be cast apart from the rest (e.g.
        ``synthesizer.dec.to(torch.bfloat16)`` on a CPU with native bf16, the rest in float32).
        """
        dtype = self.dec.conv_pre.weight.dtype
        return self.dec(z.to(dtype), ge.to(dtype), lengths).to(z.dtype)

    def decode_trace(self, codes: torch.Tensor, phones: torch.Tensor, refer_specs: Sequence[torch.Tensor],
                     speed: float = 1.0, noise_scale: float = DEFAULT_NOISE_SCALE,
                     generator: torch.Generator | None = None) -> DecodeTrace:
        """Decode with every intermediate kept (see ``decode``)."""
        ge = self.timbre(refer_specs)
        audio, m_p, logs_p, z = self(codes, phones, ge, speed, noise_scale, generator)
        return DecodeTrace(audio=audio, ge=ge, m_p=m_p, logs_p=logs_p, z=z)

    def decode(self, codes: torch.Tensor, phones: torch.Tensor, refer_specs: Sequence[torch.Tensor],
               speed: float = 1.0, noise_scale: float = DEFAULT_NOISE_SCALE,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Tokens (1, 1, T), target phones (1, N), reference spectrograms -> wave (1, 1, T * samples_per_token)."""
        return self.decode_trace(codes, phones, refer_specs, speed, noise_scale, generator).audio
