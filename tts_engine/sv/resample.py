"""Band-limited sinc resampling with a Hann-windowed kernel, as torchaudio's ``Resample`` does at its defaults.

The reference feeds the SV model a 16 kHz copy made this way from the 32 kHz wave (REFERENCE §10.3);
torchaudio is not a dependency, so the same kernel is built here.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LOWPASS_FILTER_WIDTH = 6   # zero crossings of the sinc on each side
ROLLOFF = 0.99             # cut-off as a fraction of the lower Nyquist frequency


def sinc_kernel(orig: int, new: int, width_zeros: int = LOWPASS_FILTER_WIDTH,
                rolloff: float = ROLLOFF) -> tuple[torch.Tensor, int]:
    """The (new, 1, 2 * width + orig) float32 kernel for reduced rates orig -> new, and its half-width."""
    base = min(orig, new) * rolloff
    width = math.ceil(width_zeros * orig / base)
    idx = torch.arange(-width, width + orig, dtype=torch.float64)[None, None] / orig
    t = (torch.arange(0, -new, -1, dtype=torch.float64)[:, None, None] / new + idx) * base
    t = t.clamp(-width_zeros, width_zeros)
    window = torch.cos(t * math.pi / width_zeros / 2) ** 2
    t = t * math.pi
    kernel = torch.where(t == 0, torch.ones_like(t), t.sin() / t) * window * (base / orig)
    return kernel.to(torch.float32), width


def resample(wave: torch.Tensor, orig_rate: int, new_rate: int) -> torch.Tensor:
    """(..., n) wave at orig_rate -> (..., ceil(n * new / orig)) at new_rate (identity when the rates agree)."""
    if orig_rate == new_rate:
        return wave
    gcd = math.gcd(orig_rate, new_rate)
    orig, new = orig_rate // gcd, new_rate // gcd
    kernel, width = sinc_kernel(orig, new)
    shape = wave.shape
    flat = F.pad(wave.reshape(-1, shape[-1]), (width, width + orig))
    out = F.conv1d(flat[:, None], kernel.to(device=wave.device, dtype=wave.dtype), stride=orig)
    out = out.transpose(1, 2).reshape(flat.shape[0], -1)
    target = math.ceil(new * shape[-1] / orig)
    return out[..., :target].reshape(*shape[:-1], target)
