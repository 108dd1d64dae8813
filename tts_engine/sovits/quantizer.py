"""The semantic-token codebook: HuBERT-width vectors <-> token ids (nearest codeword), single layer."""
from __future__ import annotations

import torch
from torch import nn

from tts_engine.precision import CODEBOOK_DTYPE


class Codebook(nn.Module):
    """One codebook ``embed`` (K, D); the training statistics are kept only so the state dict matches."""

    def __init__(self, size: int, dim: int) -> None:
        super().__init__()
        self.register_buffer("inited", torch.ones(1))
        self.register_buffer("cluster_size", torch.zeros(size))
        self.register_buffer("embed", torch.randn(size, dim))
        self.register_buffer("embed_avg", torch.zeros(size, dim))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Nearest codeword ids (B, T) of vectors x (B, D, T), by the expanded squared distance."""
        b, d, t = x.shape
        # fp32 whatever the model's dtype: half-precision distances of HuBERT-scale vectors lose the
        # resolution that separates neighbouring codewords (the precision rules: tts_engine.precision)
        flat = x.transpose(1, 2).reshape(b * t, d).to(CODEBOOK_DTYPE)  # (B*T, D)
        embed = self.embed.t().to(CODEBOOK_DTYPE)                    # (D, K)
        # Same algebra as the reference so near-ties break the same way.
        score = -(flat.pow(2).sum(1, keepdim=True) - 2 * flat @ embed + embed.pow(2).sum(0, keepdim=True))
        return score.max(dim=-1).indices.view(b, t)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Codeword vectors (B, D, T) of ids (B, T)."""
        return self.embed[codes].transpose(1, 2)


class _Layer(nn.Module):
    """One quantizer layer under the reference's ``_codebook`` name."""

    def __init__(self, size: int, dim: int) -> None:
        super().__init__()
        self._codebook = Codebook(size, dim)


class SemanticQuantizer(nn.Module):
    """The synthesizer's ``quantizer``: a residual VQ whose voices use exactly one layer."""

    def __init__(self, size: int, dim: int) -> None:
        super().__init__()
        self.vq = nn.Module()
        self.vq.layers = nn.ModuleList([_Layer(size, dim)])

    @property
    def codebook(self) -> Codebook:
        """The single codebook."""
        return self.vq.layers[0]._codebook

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Token ids (B, T) of vectors (B, D, T)."""
        return self.codebook.encode(x)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Vectors (B, D, T) of token ids (B, T)."""
        return self.codebook.decode(codes)
