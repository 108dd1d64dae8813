"""ERes2NetV2, the speaker-verification network of v2Pro voices (REFERENCE §10.5); sizes read from its weights.

Parameter names are those of the reference's state dict, so the official checkpoint loads as is.
`forward3` is what the SoVITS synthesizer conditions on (the fused map averaged over time); `forward`
is the network's own speaker embedding (statistics pooling + the ``seg_1`` projection), the one it
was trained to compare by cosine.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from tts_engine.sv.fbank import NUM_MEL_BINS

CLIP = 20.0                     # the blocks' activation is Hardtanh(0, 20)
STAGE_STRIDES = (1, 2, 2, 2)    # stage 1 keeps the resolution, stages 2-4 halve it
AFF_STAGES = (2, 3)             # 0-based stages whose blocks fuse chunks with AFF (3 and 4)
POOL_VAR_EPS = 1e-7             # statistics pooling: std = sqrt(var + eps)
STAGE_NAMES = ("layer1", "layer2", "layer3", "layer4")


@dataclass(frozen=True)
class StageConfig:
    """One stage of blocks."""

    blocks: int
    width: int          # channels of each chunk
    scale: int          # chunks per block
    out_channels: int   # planes * expansion
    aff_hidden: int     # AFF bottleneck width (0 for plain blocks)


@dataclass(frozen=True)
class ERes2NetV2Config:
    """Sizes of ERes2NetV2; ``from_shapes`` reads them all from a checkpoint's tensor shapes."""

    feat_dim: int                       # 80 mel bins
    m_channels: int                     # stem width (64)
    stages: tuple[StageConfig, ...]
    fuse_hidden: int                    # final AFF bottleneck
    embedding_size: int                 # seg_1 output (192)

    @property
    def fused_channels(self) -> int:
        """Channels of the fused stage-3/4 map (2048 for the released model)."""
        return self.stages[-1].out_channels

    @property
    def fused_bins(self) -> int:
        """Frequency bins left after the strided stages (10 of 80)."""
        bins = self.feat_dim
        for stride in STAGE_STRIDES:
            bins = -(-bins // stride)
        return bins

    @property
    def sv_dim(self) -> int:
        """Width of the forward3 vector (20480 for the released model)."""
        return self.fused_channels * self.fused_bins

    @classmethod
    def from_shapes(cls, shapes: Mapping[str, Sequence[int]], feat_dim: int = NUM_MEL_BINS) -> ERes2NetV2Config:
        """Every size from name -> shape (the fbank's bin count is not in them); KeyError names a missing tensor."""
        stages = []
        for i, name in enumerate(STAGE_NAMES):
            blocks = 0
            while f"{name}.{blocks}.conv1.weight" in shapes:
                blocks += 1
            if blocks == 0:
                raise KeyError(f"{name}.0.conv1.weight")
            scale = 0
            while f"{name}.0.convs.{scale}.weight" in shapes:
                scale += 1
            aff = f"{name}.0.fuse_models.0.local_att.0.weight"
            stages.append(StageConfig(
                blocks=blocks, width=int(shapes[f"{name}.0.convs.0.weight"][0]), scale=scale,
                out_channels=int(shapes[f"{name}.0.conv3.weight"][0]),
                aff_hidden=int(shapes[aff][0]) if i in AFF_STAGES else 0))
        seg = shapes["seg_1.weight"]
        fuse = shapes["fuse34.local_att.0.weight"]
        return cls(feat_dim=feat_dim, m_channels=int(shapes["conv1.weight"][0]), stages=tuple(stages),
                   fuse_hidden=int(fuse[0]), embedding_size=int(seg[0]))



class AFF(nn.Module):
    """Attentional feature fusion: x * t + y * (2 - t), t = 1 + tanh(local attention over [x, y])."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.local_att = nn.Sequential(
            nn.Conv2d(2 * channels, hidden, 1), nn.BatchNorm2d(hidden), nn.SiLU(),
            nn.Conv2d(hidden, channels, 1), nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        t = 1.0 + torch.tanh(self.local_att(torch.cat((x, y), dim=1)))
        return x * t + y * (2.0 - t)


class Block(nn.Module):
    """Res2Net-style block: chunks processed in a chain, each fused with the previous processed chunk."""

    def __init__(self, in_channels: int, stage: StageConfig, stride: int) -> None:
        super().__init__()
        w, k = stage.width, stage.scale
        self.width = w
        self.conv1 = nn.Conv2d(in_channels, w * k, 1, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(w * k)
        self.convs = nn.ModuleList(nn.Conv2d(w, w, 3, padding=1, bias=False) for _ in range(k))
        self.bns = nn.ModuleList(nn.BatchNorm2d(w) for _ in range(k))
        if stage.aff_hidden:
            self.fuse_models = nn.ModuleList(AFF(w, stage.aff_hidden) for _ in range(k - 1))
        self.conv3 = nn.Conv2d(w * k, stage.out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(stage.out_channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != stage.out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, stage.out_channels, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(stage.out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        chunks = _clip(self.bn1(self.conv1(x))).split(self.width, dim=1)
        outputs = []
        sp = chunks[0]
        for j, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            if j > 0:
                sp = self.fuse_models[j - 1](sp, chunks[j]) if hasattr(self, "fuse_models") else sp + chunks[j]
            sp = _clip(bn(conv(sp)))
            outputs.append(sp)
        out = self.bn3(self.conv3(torch.cat(outputs, dim=1)))
        return _clip(out + self.shortcut(x))


class ERes2NetV2(nn.Module):
    """Fbank (B, T, feat_dim) -> forward3 vector (B, sv_dim) or speaker embedding (B, embedding_size)."""

    def __init__(self, config: ERes2NetV2Config) -> None:
        super().__init__()
        self.config = config
        m = config.m_channels
        self.conv1 = nn.Conv2d(1, m, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(m)
        in_channels = m
        for name, stage, stride in zip(STAGE_NAMES, config.stages, STAGE_STRIDES):
            blocks = [Block(in_channels if b == 0 else stage.out_channels, stage, stride if b == 0 else 1)
                      for b in range(stage.blocks)]
            setattr(self, name, nn.Sequential(*blocks))
            in_channels = stage.out_channels
        third, fourth = config.stages[2].out_channels, config.stages[3].out_channels
        self.layer3_ds = nn.Conv2d(third, fourth, 3, stride=2, padding=1, bias=False)
        self.fuse34 = AFF(fourth, config.fuse_hidden)
        self.seg_1 = nn.Linear(2 * config.sv_dim, config.embedding_size)

    def stages(self, feats: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every stage's map (B, C, F, T) for fbank (B, T, feat_dim): stem, layer1-4, layer3_ds, fuse34."""
        out = {"stem": F.relu(self.bn1(self.conv1(feats.transpose(1, 2).unsqueeze(1))))}
        x = out["stem"]
        for name in STAGE_NAMES:
            x = out[name] = getattr(self, name)(x)
        out["layer3_ds"] = self.layer3_ds(out["layer3"])
        out["fuse34"] = self.fuse34(out["layer4"], out["layer3_ds"])
        return out

    def forward3(self, feats: torch.Tensor) -> torch.Tensor:
        """The fused map with (channel, bin) flattened channel-major, averaged over time: (B, sv_dim)."""
        return self.stages(feats)["fuse34"].flatten(1, 2).mean(dim=-1)

    def pool(self, feats: torch.Tensor) -> torch.Tensor:
        """Statistics pooling: mean and std over time of the fused map, (B, 2 * sv_dim)."""
        fused = self.stages(feats)["fuse34"].flatten(1, 2)             # (B, C * F, T)
        return torch.cat([fused.mean(dim=-1), torch.sqrt(fused.var(dim=-1) + POOL_VAR_EPS)], dim=1)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """The speaker embedding: the pooled statistics through seg_1, (B, embedding_size)."""
        return self.seg_1(self.pool(feats))


def _clip(x: torch.Tensor) -> torch.Tensor:
    """Hardtanh(0, CLIP)."""
    return torch.clamp(x, 0.0, CLIP)
