"""Block filters: centred windows with mirrored edges, and a biquad cascade that ignores where blocks are cut."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import sosfilt

from flows.audio.filters import BiquadCascade, running_mean, running_min
from flows.audio.loudness import k_weighting, measure_blocks
from flows.audio.samples import blocks


def windows(x: np.ndarray, size: int) -> np.ndarray:
    """Every centred window of ``size`` samples of ``x`` (``size // 2`` before), edges mirrored (d c b a | a b c d)."""
    before = size // 2
    return sliding_window_view(np.pad(x, (before, size - 1 - before), mode="symmetric"), size)


@pytest.mark.parametrize("n", [1, 2, 5, 219, 220, 221, 441, 1000])
@pytest.mark.parametrize("size", [1, 2, 3, 220, 441])
def test_running_filters_take_centred_windows_with_mirrored_edges(n, size):
    x = np.random.default_rng(n).random(n).astype(np.float32)
    assert np.array_equal(running_min(x, size), windows(x, size).min(axis=1))
    mean = running_mean(x, size)
    assert mean.dtype == np.float32 and mean.shape == x.shape
    assert np.allclose(mean, windows(x, size).astype(np.float64).mean(axis=1), rtol=0, atol=1e-6)


@pytest.mark.parametrize("rate", [16000, 44100, 48000])
def test_biquad_cascade_equals_whole_signal_filtering_for_any_block_cut(rate):
    rng = np.random.default_rng(rate)
    x = rng.standard_normal(200_000)
    cuts = np.cumsum(rng.choice([1, 2, 3, 7, 300, 65536], size=100))
    cascade = BiquadCascade(k_weighting(rate))
    out = np.concatenate([cascade.filter(piece) for piece in np.split(x, cuts[cuts < x.size])])
    assert np.array_equal(out, sosfilt(k_weighting(rate), x))


def test_biquad_cascade_scales_sections_to_a0_one():
    sos = k_weighting(44100)
    x = np.random.default_rng(3).standard_normal(5000)
    assert np.allclose(BiquadCascade(sos * np.array([[2.0], [0.5]])).filter(x), sosfilt(sos, x), rtol=0, atol=1e-12)
    with pytest.raises(ValueError):
        BiquadCascade(sos[:, :5])


@pytest.mark.parametrize("block", [1000, 9999, 65536])
def test_loudness_figures_do_not_depend_on_the_block_size(block):
    x = (0.1 * np.random.default_rng(4).standard_normal(10 * 44100)).astype(np.float32)
    whole, cut = measure_blocks([x], 44100), measure_blocks(blocks(x, block), 44100)
    assert cut.lufs == pytest.approx(whole.lufs, abs=1e-9)
    assert (cut.rms_db, cut.peak_db) == pytest.approx((whole.rms_db, whole.peak_db), abs=1e-9)
