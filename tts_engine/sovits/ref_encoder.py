"""The SoVITS reference encoder (``ref_enc``, MelStyleEncoder): a linear spectrogram -> timbre vector ge."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tts_engine.sovits.config import SoVITSConfig


class _Linear(nn.Module):
    """nn.Linear under the reference's ``.fc`` name."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class _Conv(nn.Module):
    """Same-padded nn.Conv1d under the reference's ``.conv`` name."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=(kernel_size - 1) // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class _GatedConv(nn.Module):
    """Residual gated conv on (B, C, T): x + a * sigmoid(b), with (a, b) = conv(x) split in channels."""

    def __init__(self, channels: int, kernel_size: int) -> None:
        super().__init__()
        self.conv1 = _Conv(channels, 2 * channels, kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.conv1(x).chunk(2, dim=1)
        return x + a * torch.sigmoid(b)


class _StyleAttention(nn.Module):
    """Multi-head self-attention on (B, T, C) with temperature sqrt(C) and a residual after fc."""

    def __init__(self, channels: int, n_heads: int) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.temperature = math.sqrt(channels)   # sqrt of the model width, not of the head width
        self.w_qs = nn.Linear(channels, channels)
        self.w_ks = nn.Linear(channels, channels)
        self.w_vs = nn.Linear(channels, channels)
        self.fc = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = (w(x).view(b, t, self.n_heads, c // self.n_heads).transpose(1, 2)
                   for w in (self.w_qs, self.w_ks, self.w_vs))          # (B, H, T, D)
        probs = F.softmax((q @ k.transpose(-2, -1)) / self.temperature, dim=-1)
        out = (probs @ v).transpose(1, 2).reshape(b, t, c)              # heads concatenated
        return self.fc(out) + x


class MelStyleEncoder(nn.Module):
    """Spectrogram (B, bins, F) -> ge (B, gin, 1); reads the first ``style_in_channels`` bins."""

    def __init__(self, config: SoVITSConfig) -> None:
        super().__init__()
        c = config
        self.in_channels = c.style_in_channels
        # Indices 2 and 5 are dropout in training; kept as identities so the names match the reference.
        self.spectral = nn.Sequential(_Linear(c.style_in_channels, c.style_hidden), nn.Mish(), nn.Identity(),
                                      _Linear(c.style_hidden, c.style_hidden), nn.Mish(), nn.Identity())
        self.temporal = nn.Sequential(_GatedConv(c.style_hidden, c.style_kernel),
                                      _GatedConv(c.style_hidden, c.style_kernel))
        self.slf_attn = _StyleAttention(c.style_hidden, c.style_heads)
        self.fc = _Linear(c.style_hidden, c.gin_channels)

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        x = self.spectral(spec[:, :self.in_channels].transpose(1, 2))    # (B, F, hidden)
        x = self.temporal(x.transpose(1, 2)).transpose(1, 2)             # (B, F, hidden)
        x = self.fc(self.slf_attn(x))                                    # (B, F, gin)
        # Time average as the reference takes it: sum of x / F, in float32.
        frames = x.shape[1]
        ge = (x.to(torch.float32) / frames).sum(dim=1).to(x.dtype)      # (B, gin)
        return ge.unsqueeze(-1)
