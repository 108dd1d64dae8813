"""The SoVITS synthesizer of v1/v2/v2Pro voices at inference: semantic tokens + phones + timbre -> 32 kHz waveform.

Submodule and parameter names are those of the reference's ``SynthesizerTrn`` state dict, so official voice
files load as they are (minus the training-only posterior encoder ``enc_q``). v2Pro/v2ProPlus voices add
the speaker-verification path (REFERENCE §10.2): each reference's style vector gets its projected SV
vector added and goes through a PReLU before the references are averaged, and the text encoder's MRTE
receives the average through ``ge_to512``.
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
    timbre: TimbreTrace


@dataclass(frozen=True)
class TimbreTrace:
    """The timbre vector with its per-reference parts (v2Pro: before the SV term and the SV projection)."""

    ge: torch.Tensor                   # (1, gin, 1) what the flow and the generator receive
    ge_refs: tuple[torch.Tensor, ...]  # (1, gin, 1) style encoding of each reference
    sv_projs: tuple[torch.Tensor, ...] = ()   # (1, gin) projected SV vector of each reference (v2Pro)
    ge_text: torch.Tensor | None = None       # (1, mrte, 1) what the MRTE receives (v2Pro: ge_to512(ge))


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
        if config.sv_channels:
            self.sv_emb = nn.Linear(config.sv_channels, config.gin_channels)
            self.ge_to512 = nn.Linear(config.gin_channels, config.mrte_channels)
            self.prelu = nn.PReLU(num_parameters=config.gin_channels)

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

    @property
    def needs_sv(self) -> bool:
        """Whether each reference needs its speaker-verification vector (v2Pro/v2ProPlus)."""
        return self.config.sv_channels > 0

    def timbre(self, refer_specs: Sequence[torch.Tensor],
               sv_vectors: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """Timbre vector ge (1, gin, 1) of reference spectrograms (1, bins, F_r) and, for v2Pro, their SV vectors."""
        return self.timbre_trace(refer_specs, sv_vectors).ge

    def timbre_trace(self, refer_specs: Sequence[torch.Tensor],
                     sv_vectors: Sequence[torch.Tensor] | None = None) -> TimbreTrace:
        """The timbre with its parts: per reference, the style encoding (+ projected SV vector, PReLU); then the mean."""
        if not refer_specs:
            raise ValueError("at least one reference spectrogram is needed")
        refs = tuple(self.ref_enc(spec) for spec in refer_specs)
        if not self.needs_sv:
            return TimbreTrace(torch.stack(refs).mean(dim=0), refs)
        if sv_vectors is None or len(sv_vectors) != len(refer_specs):
            raise ValueError(f"a {self.config.gin_channels}-channel v2Pro timbre needs one SV vector per reference "
                             f"({len(refer_specs)} references, {0 if sv_vectors is None else len(sv_vectors)} vectors)")
        projs = tuple(self.sv_emb(v.reshape(1, -1).to(refs[0].dtype)) for v in sv_vectors)   # (1, gin)
        ge = torch.stack([self.prelu(g + p.unsqueeze(-1)) for g, p in zip(refs, projs)]).mean(dim=0)
        return TimbreTrace(ge, refs, projs, self.text_condition(ge))

    def text_condition(self, ge: torch.Tensor) -> torch.Tensor:
        """What the text encoder's MRTE adds: ge itself, or for v2Pro its ge_to512 projection (B, mrte, 1)."""
        if not self.needs_sv:
            return ge
        return self.ge_to512(ge.transpose(1, 2)).transpose(1, 2)

    def forward(self, codes: torch.Tensor, phones: torch.Tensor, ge: torch.Tensor, speed: float = 1.0,
                noise_scale: float = DEFAULT_NOISE_SCALE, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Tokens (B, 1, T), phones (B, N), ge (B, gin, 1) -> audio (B, 1, L), m_p, logs_p, z (the decode path)."""
        frames = self.quantizer.decode(codes[:, 0])                        # (B, ssl, T)
        frames = frames.repeat_interleave(self.config.semantic_stride, dim=-1)  # (B, ssl, T2) nearest upsampling
        m_p, logs_p = self.enc_p(frames, phones, self.text_condition(ge), speed)   # (B, inter, T2')
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
        m_p, logs_p = self.enc_p(frames, phones, self.text_condition(ge), 1.0, frame_mask, phone_mask)
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
                     generator: torch.Generator | None = None,
                     sv_vectors: Sequence[torch.Tensor] | None = None) -> DecodeTrace:
        """Decode with every intermediate kept (see ``decode``)."""
        timbre = self.timbre_trace(refer_specs, sv_vectors)
        audio, m_p, logs_p, z = self(codes, phones, timbre.ge, speed, noise_scale, generator)
        return DecodeTrace(audio=audio, ge=timbre.ge, m_p=m_p, logs_p=logs_p, z=z, timbre=timbre)

    def decode(self, codes: torch.Tensor, phones: torch.Tensor, refer_specs: Sequence[torch.Tensor],
               speed: float = 1.0, noise_scale: float = DEFAULT_NOISE_SCALE,
               generator: torch.Generator | None = None,
               sv_vectors: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """Tokens (1, 1, T), target phones (1, N), reference spectrograms (and their SV vectors for v2Pro) -> wave.

        The wave is (1, 1, T * samples_per_token); several references are combined as the reference does.
        """
        return self.decode_trace(codes, phones, refer_specs, speed, noise_scale, generator, sv_vectors).audio
