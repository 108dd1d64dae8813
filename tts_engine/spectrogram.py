"""The SoVITS reference-audio spectrogram: linear STFT magnitude at 32 kHz (REFERENCE §2.2)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

SAMPLE_RATE = 32000   # data.sampling_rate of every v1/v2 voice
N_FFT = 2048          # data.filter_length
HOP_LENGTH = 640      # data.hop_length: one spectrogram frame = 20 ms = half a semantic token
WIN_LENGTH = 2048     # data.win_length
MAGNITUDE_EPS = 1e-8  # added under the square root


def linear_spectrogram(wav: torch.Tensor, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH,
                       win_length: int = WIN_LENGTH) -> torch.Tensor:
    """Magnitude spectrogram (B, n_fft//2+1, L//hop) of waves (B, L): reflect pad, periodic Hann, no centring."""
    pad = (n_fft - hop_length) // 2
    padded = F.pad(wav.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)  # (B, L + 2*pad)
    window = torch.hann_window(win_length, periodic=True, device=wav.device, dtype=wav.dtype)
    spec = torch.stft(padded, n_fft, hop_length=hop_length, win_length=win_length, window=window,
                      center=False, normalized=False, onesided=True, return_complex=True)
    return torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + MAGNITUDE_EPS)  # (B, n_fft//2+1, frames)
