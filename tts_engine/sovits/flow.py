"""The SoVITS normalising flow (``flow``): mean-only affine couplings with WaveNet conditioning, run in reverse."""
from __future__ import annotations

import torch
from torch import nn

from tts_engine.sovits.attention import masked
from tts_engine.sovits.config import SoVITSConfig
from tts_engine.sovits.weight_norm import WeightNormConv1d


class WaveNet(nn.Module):
    """Gated dilated convs conditioned on g (B, gin, 1); (B, H, T) -> skip sum (B, H, T)."""

    def __init__(self, hidden: int, kernel_size: int, dilation_rate: int, n_layers: int,
                 gin_channels: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.cond_layer = WeightNormConv1d(gin_channels, 2 * hidden * n_layers, 1)
        self.in_layers = nn.ModuleList()
        self.res_skip_layers = nn.ModuleList()
        for i in range(n_layers):
            dilation = dilation_rate ** i
            self.in_layers.append(WeightNormConv1d(hidden, 2 * hidden, kernel_size,
                                                   padding=(kernel_size * dilation - dilation) // 2,
                                                   dilation=dilation))
            # The last layer feeds only the skip path.
            self.res_skip_layers.append(WeightNormConv1d(hidden, 2 * hidden if i < n_layers - 1 else hidden, 1))

    def forward(self, x: torch.Tensor, g: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """mask (B, 1, T) for a padded batch: every dilated conv then reads zeros past a row's end."""
        cond = self.cond_layer(g)                                       # (B, 2H * layers, 1)
        x = masked(x, mask)
        h = self.hidden
        out = torch.zeros_like(x)
        last = len(self.in_layers) - 1
        for i, (in_layer, res_skip) in enumerate(zip(self.in_layers, self.res_skip_layers)):
            a = in_layer(x) + cond[:, 2 * h * i: 2 * h * (i + 1)]
            acts = torch.tanh(a[:, :h]) * torch.sigmoid(a[:, h:])
            r = res_skip(acts)
            if i == last:
                out = out + r
            else:
                x = masked(x + r[:, :h], mask)
                out = out + r[:, h:]
        return masked(out, mask)


class Coupling(nn.Module):
    """Mean-only coupling: the second half of the channels is shifted by a function of the first."""

    def __init__(self, config: SoVITSConfig) -> None:
        super().__init__()
        c = config
        self.half = c.inter_channels // 2
        self.pre = nn.Conv1d(self.half, c.hidden_channels, 1)
        self.enc = WaveNet(c.hidden_channels, c.flow_kernel, c.flow_dilation_rate, c.flow_layers, c.gin_channels)
        self.post = nn.Conv1d(c.hidden_channels, self.half, 1)

    def reverse(self, x: torch.Tensor, g: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x0, x1 = x.split(self.half, dim=1)
        shift = masked(self.post(self.enc(self.pre(x0), g, mask)), mask)
        return torch.cat([x0, x1 - shift], dim=1)


class Flip(nn.Module):
    """Reverses the channel order (its own inverse); holds no parameters."""

    def reverse(self, x: torch.Tensor, g: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return x.flip(1)


class Flow(nn.Module):
    """[Coupling, Flip] * n_flows; inference runs it backwards: z_p (B, C, T) -> z (B, C, T)."""

    def __init__(self, config: SoVITSConfig) -> None:
        super().__init__()
        self.flows = nn.ModuleList()
        for _ in range(config.n_flows):
            self.flows.append(Coupling(config))
            self.flows.append(Flip())

    def reverse(self, z_p: torch.Tensor, g: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """mask (B, 1, T) when z_p is a padded batch."""
        x = z_p
        for layer in reversed(self.flows):
            x = layer.reverse(x, g, mask)
        return masked(x, mask)
