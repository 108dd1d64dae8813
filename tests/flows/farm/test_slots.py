"""Local renders queue per device: one lock file per device name."""
from __future__ import annotations

import fcntl
import os

from flows.farm.slots import SynthesisSlot, default_lock_path


def test_two_devices_have_two_slots_and_one_device_one(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKVOICE_SYNTHESIS_LOCK", str(tmp_path / "lock"))
    assert default_lock_path("cuda:0") != default_lock_path("cuda:1")
    assert default_lock_path("cuda:0") == default_lock_path("cuda:0")
    with SynthesisSlot(device="cuda:0") as first, SynthesisSlot(device="cuda:1") as second:
        first()
        second()                                   # another device: taken at once
        fd = os.open(default_lock_path("cuda:0"), os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                taken = True
            except BlockingIOError:
                taken = False
        finally:
            os.close(fd)
        assert not taken                          # the same device is held until the render ends
