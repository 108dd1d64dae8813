"""The SoVITS prior encoder (``enc_p``): semantic frames + phones + timbre -> prior mean and log-std."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tts_engine.sovits.attention import Encoder, MultiHeadAttention, masked
from tts_engine.sovits.config import SoVITSConfig


class MRTE(nn.Module):
    """Multi-reference timbre encoder: semantic frames attend to phones, plus the timbre vector."""

    def __init__(self, channels: int, hidden: int, n_heads: int) -> None:
        super().__init__()
        self.cross_attention = MultiHeadAttention(hidden, n_heads)
        self.c_pre = nn.Conv1d(channels, hidden, 1)
        self.text_pre = nn.Conv1d(channels, hidden, 1)
        self.c_post = nn.Conv1d(hidden, channels, 1)

    def forward(self, ssl: torch.Tensor, text: torch.Tensor, ge: torch.Tensor,
                ssl_mask: torch.Tensor | None = None, text_mask: torch.Tensor | None = None) -> torch.Tensor:
        """ssl (B, C, T), text (B, C, N), ge (B, hidden, 1) -> (B, C, T); masks (B, 1, T|N) when padded."""
        s = self.c_pre(masked(ssl, ssl_mask))                       # (B, hidden, T)
        x = self.cross_attention(s, self.text_pre(masked(text, text_mask)), text_mask) + s + ge
        return self.c_post(masked(x, ssl_mask))


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

    def forward(self, frames: torch.Tensor, phones: torch.Tensor, ge: torch.Tensor, speed: float = 1.0,
                frame_mask: torch.Tensor | None = None, phone_mask: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Prior statistics; ``speed`` != 1 resamples time linearly to int(T2/speed)+1 frames before proj.

        A padded batch passes frame_mask (B, 1, T2) and phone_mask (B, 1, N) and must use speed 1.
        """
        if speed != 1 and (frame_mask is not None or phone_mask is not None):
            raise ValueError("a padded batch decodes at speed 1 only")
        y = self.encoder_ssl(self.ssl_proj(masked(frames, frame_mask)), frame_mask)     # (B, hidden, T2)
        text = self.encoder_text(self.text_embedding(phones).transpose(1, 2), phone_mask)  # (B, hidden, N)
        y = self.encoder2(self.mrte(y, text, ge, frame_mask, phone_mask), frame_mask)
        if speed != 1:
            y = F.interpolate(y, size=int(y.shape[-1] / speed) + 1, mode="linear", align_corners=False)
        m_p, logs_p = masked(self.proj(y), frame_mask).split(self.inter_channels, dim=1)
        return m_p, logs_p
