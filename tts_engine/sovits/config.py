"""SoVITSConfig: every size of the v1/v2/v2Pro synthesizer, read from a voice file's own config and weight shapes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

# Architecture constants of the reference that no config field or weight shape reveals.
STYLE_HEADS = 2          # MelStyleEncoder self-attention heads
MRTE_HEADS = 4           # MRTE cross-attention heads
FLOW_DILATION_RATE = 1   # WaveNet dilation growth in the flow couplings

_SUPPORTED_RESBLOCK = "1"


@dataclass(frozen=True)
class SoVITSConfig:
    """Sizes of the SoVITS synthesizer (SynthesizerTrn at inference), shapes in the comments for v2."""

    n_symbols: int                   # 732 (v1: 322): rows of enc_p.text_embedding
    ssl_channels: int                # 768: HuBERT width
    semantic_stride: int             # 2: HuBERT frames (50 Hz) per semantic token (25 Hz)
    codebook_size: int               # 1024 semantic tokens
    inter_channels: int              # 192: latent z width
    hidden_channels: int             # 192: text encoder width
    filter_channels: int             # 768: text encoder FFN width
    n_heads: int                     # 2
    n_layers: int                    # 6: encoder_text layers (encoder_ssl and encoder2 get half)
    kernel_size: int                 # 3: FFN kernel
    window_size: int                 # 4: relative attention reaches +-window_size
    gin_channels: int                # 512: timbre vector ge
    mrte_channels: int               # 512
    style_in_channels: int           # 704 (v1: 1025): spectrogram bins the style encoder reads
    style_hidden: int                # 128
    style_kernel: int                # 5
    n_flows: int                     # 4 couplings
    flow_kernel: int                 # 5
    flow_layers: int                 # 4 WaveNet layers per coupling
    upsample_rates: tuple[int, ...]  # (10, 8, 2, 2, 2): product = samples per spectrogram frame
    upsample_kernel_sizes: tuple[int, ...]
    upsample_initial_channel: int    # 512
    resblock_kernel_sizes: tuple[int, ...]                 # (3, 7, 11)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...]   # ((1, 3, 5),) * 3
    sv_channels: int = 0             # v2Pro/v2ProPlus: width of the SV vector (20480); 0 = no SV input
    style_heads: int = STYLE_HEADS
    mrte_heads: int = MRTE_HEADS
    flow_dilation_rate: int = FLOW_DILATION_RATE

    def __post_init__(self) -> None:
        for width, heads, what in ((self.hidden_channels, self.n_heads, "hidden_channels/n_heads"),
                                   (self.mrte_channels, self.mrte_heads, "MRTE width/heads"),
                                   (self.style_hidden, self.style_heads, "style width/heads")):
            if heads <= 0 or width % heads:
                raise ValueError(f"{what} = {width}/{heads} does not divide evenly")
        if self.inter_channels % 2:
            raise ValueError(f"inter_channels must be even, got {self.inter_channels}")
        if len(self.upsample_rates) != len(self.upsample_kernel_sizes):
            raise ValueError("upsample_rates and upsample_kernel_sizes differ in length")
        if len(self.resblock_kernel_sizes) != len(self.resblock_dilation_sizes):
            raise ValueError("resblock_kernel_sizes and resblock_dilation_sizes differ in length")
        if self.upsample_initial_channel >> len(self.upsample_rates) < 1:
            raise ValueError("upsample_initial_channel too small for the number of upsampling stages")

    @property
    def hop_length(self) -> int:
        """Output samples per spectrogram frame (640)."""
        hop = 1
        for rate in self.upsample_rates:
            hop *= rate
        return hop

    @property
    def samples_per_token(self) -> int:
        """Output samples per semantic token at speed 1 (1280)."""
        return self.hop_length * self.semantic_stride

    @classmethod
    def from_reference(cls, config: Mapping[str, Any], shapes: Mapping[str, Sequence[int]]) -> SoVITSConfig:
        """Sizes from a voice's reference config and weight shapes (name -> shape); KeyError/ValueError if off."""
        model = config["model"]
        if str(model.get("resblock", _SUPPORTED_RESBLOCK)) != _SUPPORTED_RESBLOCK:
            raise ValueError(f"resblock type {model['resblock']!r} is not used by v1/v2 voices")
        first_flow = "flow.flows.0.enc."
        return cls(
            n_symbols=_dim(shapes, "enc_p.text_embedding.weight", 0),
            ssl_channels=_dim(shapes, "ssl_proj.weight", 0),
            semantic_stride=_dim(shapes, "ssl_proj.weight", 2),
            codebook_size=_dim(shapes, "quantizer.vq.layers.0._codebook.embed", 0),
            inter_channels=int(model["inter_channels"]),
            hidden_channels=int(model["hidden_channels"]),
            filter_channels=int(model["filter_channels"]),
            n_heads=int(model["n_heads"]),
            n_layers=int(model["n_layers"]),
            kernel_size=int(model["kernel_size"]),
            window_size=(_dim(shapes, "enc_p.encoder_text.attn_layers.0.emb_rel_k", 1) - 1) // 2,
            gin_channels=int(model["gin_channels"]),
            mrte_channels=_dim(shapes, "enc_p.mrte.c_pre.weight", 0),
            style_in_channels=_dim(shapes, "ref_enc.spectral.0.fc.weight", 1),
            style_hidden=_dim(shapes, "ref_enc.spectral.0.fc.weight", 0),
            style_kernel=_dim(shapes, "ref_enc.temporal.0.conv1.conv.weight", 2),
            n_flows=_count(shapes, "flow.flows.{}.pre.weight", step=2),
            flow_kernel=_dim(shapes, first_flow + "in_layers.0.weight_v", 2),
            flow_layers=_count(shapes, first_flow + "in_layers.{}.weight_v"),
            upsample_rates=tuple(int(r) for r in model["upsample_rates"]),
            upsample_kernel_sizes=tuple(int(k) for k in model["upsample_kernel_sizes"]),
            upsample_initial_channel=int(model["upsample_initial_channel"]),
            resblock_kernel_sizes=tuple(int(k) for k in model["resblock_kernel_sizes"]),
            resblock_dilation_sizes=tuple(tuple(int(d) for d in ds) for ds in model["resblock_dilation_sizes"]),
            sv_channels=_dim(shapes, "sv_emb.weight", 1) if "sv_emb.weight" in shapes else 0,
        )


def _dim(shapes: Mapping[str, Sequence[int]], key: str, axis: int) -> int:
    """One axis of a named weight's shape."""
    return int(shapes[key][axis])


def _count(shapes: Mapping[str, Sequence[int]], pattern: str, step: int = 1) -> int:
    """How many of pattern.format(0), pattern.format(step), ... exist (at least the first must)."""
    n = 0
    while pattern.format(n * step) in shapes:
        n += 1
    if n == 0:
        raise KeyError(pattern.format(0))
    return n
