"""The SoVITS waveform generator (``dec``): HiFi-GAN upsampling with multi-receptive-field residual blocks."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tts_engine.sovits.config import SoVITSConfig
from tts_engine.sovits.weight_norm import WeightNormConv1d, WeightNormConvTranspose1d

LRELU_SLOPE = 0.1          # inside the network
FINAL_LRELU_SLOPE = 0.01   # before conv_post: torch's default slope, as in the reference
PRE_POST_KERNEL = 7


class ResBlock(nn.Module):
    """Pairs (dilated conv, conv) with LeakyReLU before each, each pair residual; (B, C, T) -> (B, C, T)."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple[int, ...]) -> None:
        super().__init__()
        self.convs1 = nn.ModuleList(
            WeightNormConv1d(channels, channels, kernel_size, padding=(kernel_size * d - d) // 2, dilation=d)
            for d in dilations)
        self.convs2 = nn.ModuleList(
            WeightNormConv1d(channels, channels, kernel_size, padding=(kernel_size - 1) // 2)
            for _ in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c1, c2 in zip(self.convs1, self.convs2):
            xt = c2(F.leaky_relu(c1(F.leaky_relu(x, LRELU_SLOPE)), LRELU_SLOPE))
            x = x + xt
        return x


class Generator(nn.Module):
    """z (B, inter, T) and timbre g (B, gin, 1) -> waveform (B, 1, T * hop) in (-1, 1)."""

    def __init__(self, config: SoVITSConfig) -> None:
        super().__init__()
        c = config
        ch = c.upsample_initial_channel
        self.conv_pre = nn.Conv1d(c.inter_channels, ch, PRE_POST_KERNEL, padding=PRE_POST_KERNEL // 2)
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for rate, kernel in zip(c.upsample_rates, c.upsample_kernel_sizes):
            self.ups.append(WeightNormConvTranspose1d(ch, ch // 2, kernel, rate, padding=(kernel - rate) // 2))
            ch //= 2
            for k, dilations in zip(c.resblock_kernel_sizes, c.resblock_dilation_sizes):
                self.resblocks.append(ResBlock(ch, k, dilations))
        self.conv_post = nn.Conv1d(ch, 1, PRE_POST_KERNEL, padding=PRE_POST_KERNEL // 2, bias=False)
        self.cond = nn.Conv1d(c.gin_channels, c.upsample_initial_channel, 1)
        self.n_kernels = len(c.resblock_kernel_sizes)

    def forward(self, z: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(z) + self.cond(g)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            blocks = self.resblocks[i * self.n_kernels:(i + 1) * self.n_kernels]
            total = blocks[0](x)
            for block in blocks[1:]:
                total = total + block(x)
            x = total / self.n_kernels
        return torch.tanh(self.conv_post(F.leaky_relu(x, FINAL_LRELU_SLOPE)))
