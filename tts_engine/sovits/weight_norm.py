"""Weight-normalised convolutions in the reference's stored form (weight_g, weight_v), foldable to plain convs."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def fold_weight(weight_g: torch.Tensor, weight_v: torch.Tensor) -> torch.Tensor:
    """W = g * v / ||v||, the norm over every axis but 0, computed in float32 (exact for fp16 inputs)."""
    g = weight_g.to(torch.float32)
    v = weight_v.to(torch.float32)
    norm = torch.linalg.vector_norm(v, dim=tuple(range(1, v.dim())), keepdim=True)
    return v * (g / norm)


class _WeightNormConv(nn.Module):
    """Shared state of a weight-normalised convolution: magnitude weight_g, direction weight_v, bias."""

    def __init__(self, weight_shape: tuple[int, int, int], out_channels: int, stride: int = 1,
                 padding: int = 0, dilation: int = 1) -> None:
        super().__init__()
        # Unit-variance-preserving init for freshly built models; real weights come from the voice file.
        direction = torch.randn(weight_shape) / math.sqrt(weight_shape[1] * weight_shape[2])
        self.weight_g = nn.Parameter(torch.linalg.vector_norm(direction, dim=(1, 2), keepdim=True))
        self.weight_v = nn.Parameter(direction)
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.stride, self.padding, self.dilation = stride, padding, dilation

    def weight(self, dtype: torch.dtype) -> torch.Tensor:
        """The effective kernel in ``dtype`` (folded in float32 first)."""
        return fold_weight(self.weight_g, self.weight_v).to(dtype)

    def _filled(self, conv: nn.Module) -> nn.Module:
        """``conv`` (built on the meta device) given this layer's folded weight and bias, in this layer's dtype."""
        conv.weight = nn.Parameter(self.weight(self.weight_v.dtype).detach())
        conv.bias = nn.Parameter(self.bias.detach())
        return conv


class WeightNormConv1d(_WeightNormConv):
    """Conv1d (C_in -> C_out, kernel K) with W = g * v / ||v|| per output channel."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: int = 0,
                 dilation: int = 1) -> None:
        super().__init__((out_channels, in_channels, kernel_size), out_channels, 1, padding, dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, self.weight(x.dtype), self.bias, self.stride, self.padding, self.dilation)

    def folded(self) -> nn.Conv1d:
        """The equivalent plain Conv1d."""
        out_ch, in_ch, k = self.weight_v.shape
        return self._filled(nn.Conv1d(in_ch, out_ch, k, self.stride, self.padding, self.dilation, device="meta"))


class WeightNormConvTranspose1d(_WeightNormConv):
    """ConvTranspose1d (weight (C_in, C_out, K)) with W = g * v / ||v|| per *input* channel."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 padding: int = 0) -> None:
        super().__init__((in_channels, out_channels, kernel_size), out_channels, stride, padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose1d(x, self.weight(x.dtype), self.bias, self.stride, self.padding)

    def folded(self) -> nn.ConvTranspose1d:
        """The equivalent plain ConvTranspose1d."""
        in_ch, out_ch, k = self.weight_v.shape
        return self._filled(nn.ConvTranspose1d(in_ch, out_ch, k, self.stride, self.padding, device="meta"))


def fold_weight_norm(module: nn.Module) -> None:
    """Replace, in place, every weight-normalised conv below ``module`` by its folded plain convolution."""
    for name, child in list(module.named_children()):
        if isinstance(child, _WeightNormConv):
            setattr(module, name, child.folded())
        else:
            fold_weight_norm(child)
