"""Precision: the dtype of each part of a voice, chosen per device (mixed precision in production).

The GPT (with BERT, whose features it reads) and the SoVITS generator do nearly all the work; the
rest of SoVITS (text encoder, flow, reference encoder) and HuBERT are small and stay float32 on a
CPU, where that keeps the audio faithful at little cost. On CPUs with native bf16 (AVX512-BF16 or
AMX), bf16 GPT and generator is the default (the batch benchmark's 2.6x real time on 2 cores);
CUDA runs everything in fp16. Float32 everywhere (`FP32`) is the reference.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from tts_engine.sovits.synthesizer import Synthesizer

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
PRECISION_CHOICES = ("auto", *DTYPES)


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


def native_bf16_cpu() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX); emulated bf16 is slower than float32."""
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def default_precision(device: torch.device | str) -> Precision:
    """fp16 on CUDA; on CPUs with native bf16, bf16 GPT and generator (the heavy parts), the rest fp32."""
    device = torch.device(device)
    if device.type == "cuda":
        return Precision(torch.float16, torch.float16, torch.float16)
    if device.type == "cpu" and native_bf16_cpu():
        return Precision(torch.bfloat16, torch.bfloat16, torch.float32)
    return FP32
