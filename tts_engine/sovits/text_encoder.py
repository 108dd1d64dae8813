"""The SoVITS prior encoder (``enc_p``): semantic frames + phones + timbre -> prior mean and log-std."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tts_engine.sovits.attention import Encoder, MultiHeadAttention
from tts_engine.sovits.config import SoVITSConfig


class MRTE(nn.Module):
    """Multi-reference timbre encoder: semantic frames attend to phones, plus the timbre vector."""

    def __init__(self, channels: int, hidden: int, n_heads: int) -> None:
        super().__init__()
        self.cross_attention = MultiHeadAttention(hidden, n_heads)
        self.c_pre = nn.Conv1d(channels, hidden, 1)
        self.text_pre = nn.Conv1d(channels, hidden, 1)
        self.c_post = nn.Conv1d(hidden, channels, 1)

    def forward(self, ssl: torch.Tensor, text: torch.Tensor, ge: torch.Tensor) -> torch.Tensor:
        """ssl (B, C, T), text (B, C, N), ge (B, hidden, 1) -> (B, C, T)."""
        s = self.c_pre(ssl)                                         # (B, hidden, T)
        x = self.cross_attention(s, self.text_pre(text)) + s + ge
        return self.c_post(x)


class TextEncoder(nn.Module):
    """enc_p: upsampled codebook vectors (B, ssl, T2) and phones (B, N) -> (m_p, logs_p), each (B, inter, T2')."""

    def __init__(self, config: SoVITSConfig) -> None:
        super().__init__()
        c = config
        self.ssl_proj = nn.Conv1d(c.ssl_channels, c.hidden_channels, 1)
        half = c.n_layers // 2
        self.encoder_ssl = Encoder(c.hidden_channels, c.filter_channels, c.n_heads, half,
                                   c.kernel_size, c.window_size)
        self.encoder_text = Encoder(c.hidden_channels, c.filter_channels, c.n_heads, c.n_layers,
                                    c.kernel_size, c.window_size)
        self.text_embedding = nn.Embedding(c.n_symbols, c.hidden_channels)
        self.mrte = MRTE(c.hidden_channels, c.mrte_channels, c.mrte_heads)
        self.encoder2 = Encoder(c.hidden_channels, c.filter_channels, c.n_heads, half,
                                c.kernel_size, c.window_size)
        self.proj = nn.Conv1d(c.hidden_channels, 2 * c.inter_channels, 1)
        self.inter_channels = c.inter_channels

    def forward(self, frames: torch.Tensor, phones: torch.Tensor, ge: torch.Tensor,
                speed: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """Prior statistics; ``speed`` != 1 resamples time linearly to int(T2/speed)+1 frames before proj."""
        y = self.encoder_ssl(self.ssl_proj(frames))                    # (B, hidden, T2)
        text = self.encoder_text(self.text_embedding(phones).transpose(1, 2))  # (B, hidden, N)
        y = self.encoder2(self.mrte(y, text, ge))
        if speed != 1:
            y = F.interpolate(y, size=int(y.shape[-1] / speed) + 1, mode="linear", align_corners=False)
        m_p, logs_p = self.proj(y).split(self.inter_channels, dim=1)
        return m_p, logs_p
