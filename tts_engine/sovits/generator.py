"""The SoVITS waveform generator (``dec``): HiFi-GAN upsampling with multi-receptive-field residual blocks."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tts_engine.sovits.attention import length_mask, masked
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

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """mask (B, 1, T) for a padded batch; x must already be zero past each row's end."""
        for c1, c2 in zip(self.convs1, self.convs2):
            xt = c1(F.leaky_relu(x, LRELU_SLOPE))
            xt = c2(F.leaky_relu(masked(xt, mask), LRELU_SLOPE))
            x = masked(x + xt, mask)
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
        self.upsample_rates = c.upsample_rates

    def forward(self, z: torch.Tensor, g: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """lengths (B,) frames of each row when z is a padded batch; audio past a row's end is then zero."""
        masks = self._stage_masks(lengths, z.shape[-1], z.dtype)
        x = self.conv_pre(masked(z, masks[0])) + self.cond(g)
        for i, up in enumerate(self.ups):
            x = masked(up(F.leaky_relu(masked(x, masks[i]), LRELU_SLOPE)), masks[i + 1])
            blocks = self.resblocks[i * self.n_kernels:(i + 1) * self.n_kernels]
            total = blocks[0](x, masks[i + 1])
            for block in blocks[1:]:
                total = total + block(x, masks[i + 1])
            x = total / self.n_kernels
        return masked(torch.tanh(self.conv_post(F.leaky_relu(x, FINAL_LRELU_SLOPE))), masks[-1])

    def _stage_masks(self, lengths: torch.Tensor | None, frames: int, dtype: torch.dtype
                     ) -> list[torch.Tensor | None]:
        """Padding masks (B, 1, T_i) at the input and after every upsampling stage (all None unpadded)."""
        if lengths is None:
            return [None] * (len(self.ups) + 1)
        masks, scale = [], 1
        for rate in (1, *self.upsample_rates):
            scale *= rate
            masks.append(length_mask(lengths * scale, frames * scale, dtype))
        return masks
