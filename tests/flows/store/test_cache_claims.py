"""The cache's leftovers and the claims that keep two workers off one sentence."""
from __future__ import annotations

import os
import time

import numpy as np

from flows.store.cache import SentenceCache
from flows.store.claims import Claims
from tts_engine.engine import SentenceAudio


def test_a_write_killed_mid_way_leaves_a_partial_that_the_next_render_removes(tmp_path):
    cache = SentenceCache(tmp_path)
    cache.put(SentenceAudio("ab" * 32, np.zeros(100, np.float32), 16000))
    dead = tmp_path / "cd" / (".%s.pcm.123.partial" % ("cd" * 32))
    dead.parent.mkdir()
    dead.write_bytes(b"half")
    fresh = tmp_path / "cd" / (".%s.pcm.456.partial" % ("ef" * 32))   # a live writer's: too young to touch
    fresh.write_bytes(b"half")
    old = time.time() - 3600
    os.utime(dead, (old, old))
    assert cache.remove_partials() == 1
    assert not dead.exists() and fresh.exists() and cache.verify("ab" * 32)


def test_a_claim_is_exclusive_while_renewed_and_taken_over_once_stale(tmp_path):
    first, second = Claims(tmp_path, lease_s=30, owner="a"), Claims(tmp_path, lease_s=30, owner="b")
    try:
        assert first.take("k1") and not second.take("k1")
        old = time.time() - 60                         # holder a stopped renewing (it died)
        os.utime(first.path("k1"), (old, old))
        assert not first.is_live("k1") and second.take("k1") and second.is_live("k1")
        first.release("k1")                            # a's late release must not drop b's claim
        assert second.path("k1").read_text() == "b"
        second.release("k1")
        assert not second.path("k1").exists() and first.take("k1")
    finally:
        first.close()
        second.close()
