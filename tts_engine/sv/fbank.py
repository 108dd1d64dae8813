"""Kaldi-compatible log-mel filterbank in torch, as the reference's SV input uses it (REFERENCE §10.4)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

SAMPLE_RATE = 16000        # the SV model listens at 16 kHz
FRAME_LENGTH = 400         # 25 ms
FRAME_SHIFT = 160          # 10 ms
FFT_SIZE = 512             # frames zero-padded to the next power of two
NUM_MEL_BINS = 80
LOW_FREQ = 20.0            # Hz; the upper edge is the Nyquist frequency
PREEMPHASIS = 0.97
POVEY_POWER = 0.85         # Povey window = symmetric Hann ** 0.85
MEL_BREAK = 700.0
MEL_SCALE = 1127.0


def _mel(freq: torch.Tensor | float) -> torch.Tensor | float:
    """Kaldi's mel scale: 1127 ln(1 + f / 700)."""
    if isinstance(freq, torch.Tensor):
        return MEL_SCALE * (1.0 + freq / MEL_BREAK).log()
    return MEL_SCALE * math.log(1.0 + freq / MEL_BREAK)


def mel_filters(num_bins: int = NUM_MEL_BINS, fft_size: int = FFT_SIZE, sample_rate: int = SAMPLE_RATE,
                low_freq: float = LOW_FREQ, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(num_bins, fft_size // 2 + 1) triangles linear in mel, no area normalisation, Nyquist bin zero."""
    high_freq = 0.5 * sample_rate
    mel_low, mel_high = _mel(low_freq), _mel(high_freq)
    delta = (mel_high - mel_low) / (num_bins + 1)
    index = torch.arange(num_bins, dtype=torch.float32).unsqueeze(1)
    left = mel_low + index * delta
    centre = mel_low + (index + 1.0) * delta
    right = mel_low + (index + 2.0) * delta
    mel = _mel(sample_rate / fft_size * torch.arange(fft_size // 2, dtype=torch.float32)).unsqueeze(0)
    up = (mel - left) / (centre - left)
    down = (right - mel) / (right - centre)
    weights = torch.clamp(torch.minimum(up, down), min=0.0)
    return F.pad(weights, (0, 1)).to(dtype)                          # the Nyquist bin gets weight 0


def fbank(wave: torch.Tensor, num_bins: int = NUM_MEL_BINS) -> torch.Tensor:
    """(n,) 16 kHz wave in [-1, 1] -> (frames, num_bins) log-mel energies, snip-edge framing, no CMN."""
    if wave.dim() != 1:
        raise ValueError(f"fbank takes a 1-D wave, got shape {tuple(wave.shape)}")
    if wave.numel() < FRAME_LENGTH:
        raise ValueError(f"a wave of {wave.numel()} samples is shorter than one {FRAME_LENGTH}-sample frame")
    frames = wave.unfold(0, FRAME_LENGTH, FRAME_SHIFT)                 # (m, 400), snip edges
    frames = frames - frames.mean(dim=1, keepdim=True)                # DC removal per frame
    previous = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)      # the first sample is its own predecessor
    frames = frames - PREEMPHASIS * previous
    window = torch.hann_window(FRAME_LENGTH, periodic=False, dtype=wave.dtype, device=wave.device) ** POVEY_POWER
    frames = F.pad(frames * window, (0, FFT_SIZE - FRAME_LENGTH))
    power = torch.fft.rfft(frames).abs().pow(2.0)                     # (m, 257)
    filters = mel_filters(num_bins, dtype=wave.dtype).to(wave.device)
    energies = power @ filters.T
    return torch.clamp(energies, min=torch.finfo(wave.dtype).eps).log()
