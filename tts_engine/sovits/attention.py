"""The SoVITS attention encoder: multi-head attention with windowed relative positions, post-norm blocks.

A single sequence needs no masks (the reference's masks are all ones there and multiply out); a padded
batch passes ``mask`` (B, 1, T), 1 on real frames and 0 on padding, so every row computes what it would
alone: padded keys get the reference's -1e4 fill (zero weight) and every convolution reads zeros past a
row's end.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LAYER_NORM_EPS = 1e-5
MASKED_SCORE = -1e4      # the reference's fill for masked attention scores (exp underflows to 0)


def length_mask(lengths: torch.Tensor, width: int, dtype: torch.dtype) -> torch.Tensor:
    """(B,) lengths -> (B, 1, width) mask, 1 on the first lengths[b] steps of row b and 0 after."""
    steps = torch.arange(width, device=lengths.device)
    return (steps.unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(1).to(dtype)


def masked(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """x * mask, or x itself when there is no mask (a lone sequence)."""
    return x if mask is None else x * mask


class MultiHeadAttention(nn.Module):
    """Attention of x (B, C, Tq) over context (B, C, Tk); with ``window_size`` adds relative-position terms."""

    def __init__(self, channels: int, n_heads: int, window_size: int | None = None) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = channels // n_heads
        self.window_size = window_size
        self.conv_q = nn.Conv1d(channels, channels, 1)
        self.conv_k = nn.Conv1d(channels, channels, 1)
        self.conv_v = nn.Conv1d(channels, channels, 1)
        self.conv_o = nn.Conv1d(channels, channels, 1)
        if window_size is not None:
            # One table row per offset -window..+window, shared by all heads.
            scale = self.head_dim ** -0.5
            self.emb_rel_k = nn.Parameter(torch.randn(1, 2 * window_size + 1, self.head_dim) * scale)
            self.emb_rel_v = nn.Parameter(torch.randn(1, 2 * window_size + 1, self.head_dim) * scale)

    def forward(self, x: torch.Tensor, context: torch.Tensor,
                key_mask: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, C, Tq) attends over context (B, C, Tk); key_mask (B, 1, Tk), 0 = padding, or None."""
        q = self._heads(self.conv_q(x)) / math.sqrt(self.head_dim)  # (B, H, Tq, D), scaled once for both terms
        k = self._heads(self.conv_k(context))                       # (B, H, Tk, D)
        v = self._heads(self.conv_v(context))                       # (B, H, Tk, D)
        scores = q @ k.transpose(-2, -1)                            # (B, H, Tq, Tk)
        if self.window_size is not None:
            offset, inside = self._offsets(q.shape[2], k.shape[2], q.device)
            rel_logits = q @ self.emb_rel_k[0].transpose(0, 1)      # (B, H, Tq, 2w+1)
            scores = scores + _take(rel_logits, offset.clamp(0, 2 * self.window_size), inside)
        if key_mask is not None:
            scores = scores.masked_fill(key_mask.unsqueeze(1) == 0, MASKED_SCORE)   # (B, 1, 1, Tk)
        probs = F.softmax(scores, dim=-1)
        out = probs @ v                                             # (B, H, Tq, D)
        if self.window_size is not None:
            # Weight of every relative offset r for query i: probs[i, i + r - w], zero off the sequence.
            rows = torch.arange(q.shape[2], device=q.device)[:, None]
            cols = rows + torch.arange(2 * self.window_size + 1, device=q.device) - self.window_size
            valid = (cols >= 0) & (cols < k.shape[2])
            band = _take(probs, cols.clamp(0, k.shape[2] - 1), valid)   # (B, H, Tq, 2w+1)
            out = out + band @ self.emb_rel_v[0]
        b, h, t, d = out.shape
        return self.conv_o(out.transpose(2, 3).reshape(b, h * d, t))

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H*D, T) -> (B, H, T, D)."""
        b, _, t = x.shape
        return x.view(b, self.n_heads, self.head_dim, t).transpose(2, 3)

    def _offsets(self, t_q: int, t_k: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Table row j - i + w for every (query i, key j), and whether it lies inside the window."""
        rel = torch.arange(t_k, device=device)[None, :] - torch.arange(t_q, device=device)[:, None]
        return rel + self.window_size, rel.abs() <= self.window_size


def _take(values: torch.Tensor, index: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """values[..., i, index[i, j]] where keep[i, j], else 0; values (B, H, I, X), index/keep (I, J)."""
    gathered = values.gather(-1, index.expand(*values.shape[:2], *index.shape))
    return gathered * keep.to(values.dtype)


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channel axis of (B, C, T), with the reference's gamma/beta names."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.layer_norm(x.transpose(1, 2), self.gamma.shape, self.gamma, self.beta, LAYER_NORM_EPS)
        return y.transpose(1, 2)


class FeedForward(nn.Module):
    """Conv (k, same padding) -> ReLU -> conv (k, same padding), on (B, C, T)."""

    def __init__(self, channels: int, filter_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.padding = ((kernel_size - 1) // 2, kernel_size // 2)
        self.conv_1 = nn.Conv1d(channels, filter_channels, kernel_size)
        self.conv_2 = nn.Conv1d(filter_channels, channels, kernel_size)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = torch.relu(self.conv_1(F.pad(masked(x, mask), self.padding)))
        return masked(self.conv_2(F.pad(masked(x, mask), self.padding)), mask)


class Encoder(nn.Module):
    """Stack of post-norm blocks: x = LN(x + MHA(x)); x = LN(x + FFN(x)); on (B, C, T)."""

    def __init__(self, channels: int, filter_channels: int, n_heads: int, n_layers: int,
                 kernel_size: int, window_size: int) -> None:
        super().__init__()
        self.attn_layers = nn.ModuleList(
            MultiHeadAttention(channels, n_heads, window_size) for _ in range(n_layers))
        self.norm_layers_1 = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(n_layers))
        self.ffn_layers = nn.ModuleList(
            FeedForward(channels, filter_channels, kernel_size) for _ in range(n_layers))
        self.norm_layers_2 = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(n_layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, C, T) -> (B, C, T); mask (B, 1, T) for a padded batch (padding comes out zero)."""
        x = masked(x, mask)
        for attn, norm_1, ffn, norm_2 in zip(self.attn_layers, self.norm_layers_1,
                                             self.ffn_layers, self.norm_layers_2):
            x = norm_1(x + attn(x, x, mask))
            x = norm_2(x + ffn(x, mask))
        return masked(x, mask)
