"""The 32 kHz reference spectrogram: golden parity and the frame-count rule."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tts_engine.spectrogram import HOP_LENGTH, N_FFT, linear_spectrogram


def _rel(ours: torch.Tensor, golden: np.ndarray) -> float:
    expected = torch.from_numpy(golden)
    return float((ours - expected).norm() / expected.norm())


def test_golden_spectrogram(kit_dir):
    case = np.load(kit_dir / "golden" / "spectrogram.npz")
    spec = linear_spectrogram(torch.from_numpy(case["wav32k"])[None])
    assert spec.shape == case["spec"].shape
    assert _rel(spec, case["spec"]) <= 1e-4


@pytest.mark.parametrize("length", [HOP_LENGTH * 3, HOP_LENGTH * 3 + 1, HOP_LENGTH * 4 - 1, 32000])
def test_frames_are_length_floor_hop(length):
    spec = linear_spectrogram(torch.randn(2, length) * 0.1)
    assert spec.shape == (2, N_FFT // 2 + 1, length // HOP_LENGTH)


def test_matches_a_direct_dft():
    """One frame computed by hand: reflect pad, periodic Hann, |DFT| with the epsilon under the root."""
    torch.manual_seed(0)
    wav = torch.randn(1, HOP_LENGTH * 2, dtype=torch.float64) * 0.3
    pad = (N_FFT - HOP_LENGTH) // 2
    padded = np.pad(wav[0].numpy(), pad, mode="reflect")
    n = np.arange(N_FFT)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)
    frame = padded[HOP_LENGTH:HOP_LENGTH + N_FFT] * window          # frame 1
    expected = np.sqrt(np.abs(np.fft.rfft(frame)) ** 2 + 1e-8)
    ours = linear_spectrogram(wav)[0, :, 1].numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-9)
