"""Cost of the speaker-drift guard: the full-size SV model (ERes2NetV2 w24 s4 e4) listening to one sentence on CPU.

Usage: .venv/bin/python bench/bench_sv.py [--seconds 2 5 10] [--threads 1] [--repeat 5]
Random weights of the released model's shapes (the cost does not depend on their values). Prints,
per sentence length, the median wall time of the drift guard's check (it listens to the central
4 s at most: resampling, fbank, network, cosine), its cost as a fraction of real time, and the time
of the v2Pro conditioning vector of a reference clip of that length (once per clip, at `voice add`).
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from tts_engine.batch.guards import DriftGuard
from tts_engine.spectrogram import SAMPLE_RATE
from tts_engine.sv.encoder import SpeakerEncoder
from tts_engine.sv.eres2netv2 import ERes2NetV2, ERes2NetV2Config, StageConfig

# The released model: ERes2NetV2(baseWidth=24, scale=4, expansion=4), m_channels=64, blocks [3, 4, 6, 3].
BASE_WIDTH, SCALE, EXPANSION, M_CHANNELS, BLOCKS, EMBEDDING = 24, 4, 4, 64, (3, 4, 6, 3), 192


def released_config() -> ERes2NetV2Config:
    """The released SV model's sizes."""
    stages = []
    for i, blocks in enumerate(BLOCKS):
        planes = M_CHANNELS * 2 ** i
        width = planes * BASE_WIDTH // 64
        stages.append(StageConfig(blocks=blocks, width=width, scale=SCALE, out_channels=planes * EXPANSION,
                                  aff_hidden=width // 4 if i >= 2 else 0))
    return ERes2NetV2Config(feat_dim=80, m_channels=M_CHANNELS, stages=tuple(stages),
                            fuse_hidden=stages[-1].out_channels // 4, embedding_size=EMBEDDING)


def median_seconds(fn, repeat: int) -> float:
    """Median wall time of fn() over `repeat` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gflops(fn) -> float:
    """Floating-point operations of one call of fn, in billions (independent of the machine's load)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops() / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[2.0, 5.0, 10.0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = released_config()
    encoder = SpeakerEncoder(ERes2NetV2(config))
    params = sum(p.numel() for p in encoder.network.parameters())
    print(f"SV model: {params / 1e6:.1f} M parameters, forward3 width {config.sv_dim}, "
          f"{args.threads} thread(s), torch {torch.__version__}")
    rng = np.random.default_rng(0)
    guard = DriftGuard(encoder, torch.nn.functional.normalize(torch.randn(EMBEDDING), dim=0), 0.0)
    for seconds in args.seconds:
        wave = (0.1 * rng.standard_normal(int(seconds * SAMPLE_RATE))).astype(np.float32)
        work = gflops(lambda: guard.similarity(wave, SAMPLE_RATE))
        embed = median_seconds(lambda: guard.similarity(wave, SAMPLE_RATE), args.repeat)
        vector = median_seconds(lambda: encoder.sv_vector(wave), args.repeat)
        print(f"{seconds:5.1f} s sentence: drift check {work:6.1f} GFLOP, {embed * 1000:7.1f} ms "
              f"({embed / seconds:.3f} x real time); v2Pro SV vector of a clip this long {vector * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
