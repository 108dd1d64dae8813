"""The batched engine's options, split in two: what decides the audio, and what only decides the speed.

`AudioOptions` (sampling, speaking speed, noise, BERT text context, guards) changes what a sentence
sounds like and belongs in cache keys (`EngineOptions.audio`, `GSVEngine.fingerprint`).
`ThroughputOptions` (GPT rows and streams, chunking, SoVITS batching and workers, host sync interval, CUDA
graphs) changes how fast the same audio comes out and never enters a fingerprint: a sentence's tokens do
not depend on its batch, slot, GPT stream or sync interval, and its audio does not depend on the SoVITS batch
it lands in beyond float rounding (exact on the CPU, where SoVITS renders one sentence per call).
The precision is the voice's (`Voice.dtype`, `Precision`), which the fingerprint hashes separately.

`EngineOptions(audio=..., throughput=...)` is the composed form; the flat form
`EngineOptions(sampling=..., gpt_rows=...)` and flat reads (`options.gpt_rows`,
`EngineOptions.chunk` for the default) still work.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from tts_engine.batch.guards import GuardOptions
from tts_engine.batch.sovits_batch import MAX_BATCH_TOKENS
from tts_engine.gpt import SamplingOptions
from tts_engine.sovits.synthesizer import DEFAULT_NOISE_SCALE

MIN_SPEED, MAX_SPEED = 0.25, 4.0


@dataclass(frozen=True)
class AudioOptions:
    """Everything besides the voice, its precision and the sentence that decides the audio."""

    sampling: SamplingOptions = SamplingOptions()
    text_context: bool = False                # BERT reads each sentence's window (job.context_*); False = reference
    speed: float = 1.0                        # speaking speed (SoVITS length scale), not throughput
    noise_scale: float = DEFAULT_NOISE_SCALE
    guards: GuardOptions = GuardOptions()

    def __post_init__(self) -> None:
        if not MIN_SPEED <= self.speed <= MAX_SPEED:
            raise ValueError(f"speed must be in [{MIN_SPEED}, {MAX_SPEED}], got {self.speed}")
        if self.noise_scale < 0:
            raise ValueError(f"noise_scale must be non-negative, got {self.noise_scale}")

    def fingerprint(self) -> str:
        """A stable text form of these options (sorted JSON) for cache keys."""
        return json.dumps(asdict(self), sort_keys=True, default=str)


@dataclass(frozen=True)
class ThroughputOptions:
    """Speed knobs only: the same audio comes out for any value of these."""

    gpt_rows: int = 16                        # live sentences in GPT decoding (over all GPT streams)
    gpt_streams: int = 0                      # GPT decode threads sharing those rows (0: automatic, see engine)
    sovits_batch: int = 0                     # sentences per SoVITS call (0: 1 on CPU, 16 on accelerators)
    sovits_batch_tokens: int = MAX_BATCH_TOKENS
    chunk: int = 128                          # sentences per round of BERT -> GPT -> SoVITS
    kv_memory_fraction: float = 0.5           # of free accelerator memory the KV cache may take
    sovits_workers: int = 0                   # SoVITS threads beside the GPT stream(s) (0: one per core on CPU, else 1)
    stage_threads: int = 0                    # intra-op threads per stage thread (0: 1 on CPU, torch's default else)
    sync_every: int = 0                       # GPT steps between host looks at the batch (0: 1 on CPU, 8 on CUDA)
    cuda_graphs: bool = True                  # capture the GPT decode step as a CUDA graph (CUDA only)

    def __post_init__(self) -> None:
        for name in ("sovits_workers", "stage_threads", "sovits_batch", "sync_every", "gpt_streams"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be non-negative (0 = automatic), got {getattr(self, name)}")
        for name in ("gpt_rows", "sovits_batch_tokens", "chunk"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.kv_memory_fraction <= 1:
            raise ValueError(f"kv_memory_fraction must be in (0, 1], got {self.kv_memory_fraction}")


_PARTS = {"audio": AudioOptions, "throughput": ThroughputOptions}
_FLAT = {f.name: part for part, cls in _PARTS.items() for f in fields(cls)}


class _FlatField:
    """A flat read of one part's field: the instance's value, or the part's default on the class."""

    def __init__(self, part: str, name: str) -> None:
        self.part, self.name = part, name

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return getattr(_PARTS[self.part], self.name)
        return getattr(getattr(obj, self.part), self.name)


@dataclass(frozen=True, init=False)
class EngineOptions:
    """The engine's options: `audio` (in cache keys) and `throughput` (never in cache keys)."""

    audio: AudioOptions
    throughput: ThroughputOptions

    def __init__(self, audio: AudioOptions | None = None, throughput: ThroughputOptions | None = None,
                 **flat: Any) -> None:
        unknown = sorted(set(flat) - set(_FLAT))
        if unknown:
            raise TypeError(f"EngineOptions got unknown options: {', '.join(unknown)}")
        parts = {"audio": audio or AudioOptions(), "throughput": throughput or ThroughputOptions()}
        for part in parts:
            changes = {name: value for name, value in flat.items() if _FLAT[name] == part}
            if changes:
                parts[part] = replace(parts[part], **changes)
        object.__setattr__(self, "audio", parts["audio"])
        object.__setattr__(self, "throughput", parts["throughput"])


for _name, _part in _FLAT.items():
    setattr(EngineOptions, _name, _FlatField(_part, _name))
