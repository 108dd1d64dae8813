"""Block filters on scipy: centred running minimum and mean (edges mirrored) and a streamed biquad cascade.

scipy is imported where a filter runs, not with this module: ``scipy.signal`` alone takes about a second.
"""
from __future__ import annotations

import numpy as np

SECTION_COEFFS = 6              # b0 b1 b2 a0 a1 a2 per second-order section
A0_COLUMN = 3                   # sections are scaled so that a0 = 1
SECTION_STATE = 2               # delay-line values carried per section (transposed direct form II)
EDGE_MODE = "reflect"           # ndimage's name for edges mirrored about the outer sample edge (d c b a | a b c d)


def running_min(x: np.ndarray, size: int) -> np.ndarray:
    """Minimum over a centred window of ``size`` samples at each sample of ``x`` (edges mirrored)."""
    from scipy.ndimage import minimum_filter1d

    if x.size == 0 or size <= 1:
        return x.copy()
    return minimum_filter1d(x, size=size, mode=EDGE_MODE)


def running_mean(x: np.ndarray, size: int) -> np.ndarray:
    """Mean over a centred window of ``size`` samples at each sample of ``x`` (edges mirrored, summed in float64)."""
    from scipy.ndimage import uniform_filter1d

    if x.size == 0 or size <= 1:
        return x.copy()
    return uniform_filter1d(x, size=size, mode=EDGE_MODE)


class BiquadCascade:
    """Second-order sections (shape (n, 6)) applied to consecutive blocks, starting at rest, state carried between.

    ``scipy.signal.sosfilt`` with the carried ``zi`` runs the same recursion whole or cut into blocks, so the
    output does not depend on where the blocks were cut.
    """

    def __init__(self, sos: np.ndarray) -> None:
        sos = np.asarray(sos, dtype=np.float64)
        if sos.ndim != 2 or sos.shape[1] != SECTION_COEFFS:
            raise ValueError(f"second-order sections must have shape (n, {SECTION_COEFFS}), not {sos.shape}")
        self._sos = sos / sos[:, A0_COLUMN:A0_COLUMN + 1]
        self.state = np.zeros((sos.shape[0], SECTION_STATE))

    def filter(self, block: np.ndarray) -> np.ndarray:
        """The next block of the filtered signal (float64)."""
        from scipy.signal import sosfilt

        x = np.asarray(block, dtype=np.float64)
        if x.size == 0:
            return x.copy()
        y, self.state = sosfilt(self._sos, x, zi=self.state)
        return y
