"""Precision: the dtype of each part of a voice, chosen per device, and every fp16/bf16 rule in one place.

The GPT (with BERT, whose features it reads) and the SoVITS generator do nearly all the work; the
rest of SoVITS (text encoder, flow, reference encoder) and HuBERT are small and stay float32 on a
CPU, where that keeps the audio faithful at little cost. CUDA runs everything in fp16. On a CPU,
"auto" measures instead of reading CPU flags: a short probe at load (a GPT-sized matmul and a
generator-sized convolution in float32 and bf16, best of a few repeats) picks bf16 for a part only
when it is clearly faster (CPU_BF16_MIN_GAIN). Float32 everywhere (`FP32`) is the reference.

The rules that hold whatever the parts' dtypes:
- attention and the KV cache run in float32 on CPUs (their half-precision attention kernels are
  slow), in the GPT's dtype elsewhere (`attention_dtype`);
- logits are sampled in float32 and the exponential race runs in float64 (`tts_engine.gpt.sampling`);
- codebook distances (semantic token lookup) are float32 (`CODEBOOK_DTYPE`);
- audio leaves every stage as float32.
"""
from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import torch

from tts_engine.kernels import WeightPack, packed_linear

if TYPE_CHECKING:
    from tts_engine.sovits.synthesizer import Synthesizer

log = logging.getLogger(__name__)

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
PRECISION_CHOICES = ("auto", *DTYPES)
CODEBOOK_DTYPE = torch.float32   # nearest-codeword distances
CPU_BF16_MIN_GAIN = 1.25         # bf16 is picked for a CPU part only when the probe finds it this much faster
PROBE_ROWS, PROBE_WIDTH = 16, 512                  # GPT probe: (rows, D) @ (D, 4D), a decode step's FFN
PROBE_CHANNELS, PROBE_FRAMES, PROBE_KERNEL = 128, 512, 7    # generator probe: one upsampling-stage conv
PROBE_REPEATS, PROBE_TRIALS = 3, 3                 # calls per trial; the best trial counts (robust to load)


@dataclass(frozen=True)
class Precision:
    """dtypes per part: the GPT (and BERT), the SoVITS generator, and the rest of SoVITS (and HuBERT)."""

    gpt: torch.dtype = torch.float32
    vocoder: torch.dtype = torch.float32
    sovits: torch.dtype = torch.float32

    def __post_init__(self) -> None:
        for part in (self.gpt, self.vocoder, self.sovits):
            if part not in DTYPES.values():
                raise ValueError(f"unsupported dtype {part}; use one of float32, bfloat16, float16")

    def __str__(self) -> str:
        name = lambda d: str(d).removeprefix("torch.")   # noqa: E731
        return f"GPT {name(self.gpt)}, generator {name(self.vocoder)}, rest of SoVITS {name(self.sovits)}"

    @classmethod
    def uniform(cls, dtype: torch.dtype) -> "Precision":
        """Every part in one dtype."""
        return cls(dtype, dtype, dtype)

    def cast_synthesizer(self, synthesizer: "Synthesizer") -> "Synthesizer":
        """Cast a SoVITS synthesizer in place: its generator (``dec``) to `vocoder`, the rest to `sovits`."""
        synthesizer.to(dtype=self.sovits)
        synthesizer.dec.to(dtype=self.vocoder)
        return synthesizer

    @classmethod
    def named(cls, name: str, device: torch.device | str) -> "Precision":
        """"auto" (the device's default), or "fp32"/"bf16"/"fp16" for the GPT and generator (the rest as auto)."""
        device = torch.device(device)
        if name == "auto":
            return default_precision(device)
        if name not in DTYPES:
            raise ValueError(f"precision must be one of {', '.join(PRECISION_CHOICES)}, not {name!r}")
        if name == "fp32":
            return FP32
        base = default_precision(device)
        return replace(base, gpt=DTYPES[name], vocoder=DTYPES[name],
                       sovits=base.sovits if device.type == "cpu" else DTYPES[name])


FP32 = Precision()


def attention_dtype(device: torch.device | str, weights: torch.dtype) -> torch.dtype:
    """The GPT's KV-cache and attention dtype: float32 on CPUs (slow half-precision attention kernels),
    the weights' dtype elsewhere."""
    return torch.float32 if torch.device(device).type == "cpu" else weights


def _best_time(fn, dtype: torch.dtype) -> float:
    """Best-of-trials seconds of `PROBE_REPEATS` calls of fn(dtype) (the first call warms up)."""
    fn(dtype)
    best = float("inf")
    for _ in range(PROBE_TRIALS):
        start = time.perf_counter()
        for _ in range(PROBE_REPEATS):
            fn(dtype)
        best = min(best, time.perf_counter() - start)
    return best


@functools.cache
def cpu_bf16_gains() -> tuple[float, float]:
    """float32 time / bf16 time on this CPU for a GPT-sized matmul and a generator-sized convolution."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(PROBE_ROWS, PROBE_WIDTH, generator=g)
    w = torch.randn(4 * PROBE_WIDTH, PROBE_WIDTH, generator=g)
    sig = torch.randn(1, PROBE_CHANNELS, PROBE_FRAMES, generator=g)
    kernel = torch.randn(PROBE_CHANNELS, PROBE_CHANNELS, PROBE_KERNEL, generator=g)
    casts = {dtype: (x.to(dtype), w.to(dtype), sig.to(dtype), kernel.to(dtype))
             for dtype in (torch.float32, torch.bfloat16)}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)           # as the engine's CPU stages run (and robust to other processes)
    try:
        gains = _probe(casts)
    finally:
        torch.set_num_threads(threads)
    log.info("CPU precision probe: bf16 is %.2fx float32 on the GPT matmul, %.2fx on the generator conv", *gains)
    return gains


def _probe(casts: dict) -> tuple[float, float]:
    """The timed part of `cpu_bf16_gains`."""
    with torch.inference_mode():
        packs = {dtype: WeightPack() for dtype in casts}

        def matmul(dtype):     # the GPT's own kernel: bf16 runs on a packed weight (tts_engine.kernels)
            return packed_linear(casts[dtype][0], casts[dtype][1], None, packs[dtype])

        def conv(dtype):
            return torch.nn.functional.conv1d(casts[dtype][2], casts[dtype][3], padding=PROBE_KERNEL // 2)
        return tuple(_best_time(fn, torch.float32) / _best_time(fn, torch.bfloat16) for fn in (matmul, conv))


def default_precision(device: torch.device | str) -> Precision:
    """fp16 on CUDA; on a CPU, bf16 for the GPT and the generator where the probe finds it clearly faster."""
    device = torch.device(device)
    if device.type == "cuda":
        return Precision(torch.float16, torch.float16, torch.float16)
    if device.type != "cpu":
        return FP32
    gpt_gain, vocoder_gain = cpu_bf16_gains()
    pick = lambda gain: torch.bfloat16 if gain >= CPU_BF16_MIN_GAIN else torch.float32   # noqa: E731
    return Precision(pick(gpt_gain), pick(vocoder_gain), torch.float32)
