"""Per-sentence seeds: every random draw of a sentence comes from generators seeded by the sentence alone.

A sentence's GPT sampling uses its own `torch.Generator` (one per row) and its SoVITS noise its own
draw of its own shape, so neither depends on the batch it lands in, its row, or its batch mates.
Attempt 0 uses the job's seed as it is (the flows derive it from the sentence's cache key), so the
batched engine reproduces `Voice.synthesize(..., seed=job.seed)`; a guard retry derives a new seed
from the job's seed and the attempt number.
"""
from __future__ import annotations

import hashlib

SEED_BITS = 63           # torch generators take any non-negative 64-bit integer; stay signed-safe


def seed_from_key(key: str) -> int:
    """A seed derived from a sentence's cache key (hex or any string), stable across runs and machines."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> (64 - SEED_BITS)


def attempt_seed(seed: int, attempt: int) -> int:
    """The seed of a sentence's `attempt`-th try: the seed itself first, then a hash of (seed, attempt)."""
    if attempt < 0:
        raise ValueError(f"attempt must be non-negative, got {attempt}")
    return seed if attempt == 0 else seed_from_key(f"retry:{seed}:{attempt}")
