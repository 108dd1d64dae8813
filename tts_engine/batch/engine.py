"""GSVEngine: the batched GPT-SoVITS engine behind the flows' `Engine` protocol.

Example::

    from tts_engine.batch import EngineOptions, GSVEngine
    from tts_engine.voice import Voice

    voice = Voice.load(gpt_path, sovits_path, hubert_dir, bert_dir)          # device="cuda" on a GPU
    prompt = voice.prompt_from(ref_wav, ref_phone_ids, ref_segments)
    engine = GSVEngine(voice, prompt, EngineOptions())
    for result in engine.synthesize(jobs):   # SentenceJobs from text_prep/flows, any number
        ...                                   # SentenceAudio in input order, guard findings in .flags

Per chunk of sentences: batched BERT features, continuous-batching GPT decoding
(`SemanticScheduler`), masked batched SoVITS decoding (`BatchVocoder`), then the quality guards;
sentences that fail are decoded again with a derived seed, up to `guards.max_retries` times, and
keep the attempt with the fewest problems. Attempt 0 of a job equals
`voice.synthesize(job.phone_ids, job.segments, prompt, options.sampling, seed=job.seed,
max_steps=guards.token_budget(len(job.phone_ids)), window=engine.window(job))` (same tokens; audio
within float tolerance). With `text_context` on, BERT reads each sentence inside its ±2-sentence
window (the job's `context_before`/`context_after`, normalised text filled by the flow).
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor

from tts_engine.batch.guards import DriftGuard, audio_problems, retried_flag, token_problems
from tts_engine.batch.options import EngineOptions
from tts_engine.batch.pipeline import Pipeline
from tts_engine.batch.scheduler import SemanticRequest, SemanticScheduler
from tts_engine.batch.seeds import attempt_seed
from tts_engine.batch.sovits_batch import BatchVocoder, VocodeItem
from tts_engine.batch.text_features import batch_text_features
from tts_engine.engine import SentenceAudio, SentenceJob
from tts_engine.errors import EngineError
from tts_engine.features import TextWindow
from tts_engine.gpt import Generated, SamplingOptions
from tts_engine.reference import VoicePrompt
from tts_engine.voice import Voice

log = logging.getLogger(__name__)

ENGINE_NAME = "gpt-sovits"
ENGINE_VERSION = "2"      # bump when this engine changes the audio it produces (2: counter-based sampling)
CPU_SYNC_EVERY = 1        # GPT steps between host looks (automatic): the CPU has no launch queue to keep full
DEVICE_SYNC_EVERY = 8     # on accelerators a look stalls the queue; rows ending between looks idle < 8 steps
CPU_WORKER_NICE = 10      # SoVITS threads yield a shared core to the GPT thread (~10:1 under Linux CFS)
CPU_ROWS_PER_STREAM = 8   # automatic GPT streams on a CPU: one per this many rows, at most one per core


@dataclass
class StageTimes:
    """Wall seconds spent per stage and the audio seconds produced, accumulated over calls."""

    bert: float = 0.0
    gpt: float = 0.0
    sovits: float = 0.0
    audio: float = 0.0
    sentences: int = 0
    attempts: int = 0
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class _Take:
    """One attempt's outcome for a sentence."""

    audio: np.ndarray
    problems: list[str]
    similarity: float | None = None   # speaker similarity to the voice (with a drift guard)

    def better_than(self, other: _Take | None) -> bool:
        """Fewer problems wins; on a tie, the higher speaker similarity."""
        if other is None or len(self.problems) != len(other.problems):
            return other is None or len(self.problems) < len(other.problems)
        mine, theirs = self.similarity, other.similarity
        return mine is not None and (theirs is None or mine > theirs)


class GSVEngine:
    """The Engine protocol over a loaded `Voice` and one `VoicePrompt`, batching every stage.

    The voice's models are used as loaded, nothing is copied: each runs in its own dtype, so a voice
    whose GPT is bfloat16 and whose synthesizer is float32 (fast and faithful on a CPU) works as is.
    """

    name = ENGINE_NAME

    def __init__(self, voice: Voice, prompt: VoicePrompt, options: EngineOptions = EngineOptions(),
                 drift: DriftGuard | None = None) -> None:
        self.voice = voice
        self.prompt = prompt
        self.options = options
        self.drift = drift              # speaker-drift guard (None: off)
        self.sample_rate = voice.sample_rate
        self.times = StageTimes()
        self._fingerprint: str | None = None
        self._ge = voice.timbre(prompt)   # the prompt's clips combined once, shared by every sentence: (1, gin, 1)

    def fingerprint(self) -> str:
        """Hash of the engine version, its audio options (not the throughput ones), the voice's weights and dtype,
        and the prompt."""
        if self._fingerprint is None:
            digest = hashlib.sha256()
            meta = {"engine": self.name, "version": ENGINE_VERSION, "voice": self.voice.version,
                    "dtype": str(self.voice.dtype), "device": self.voice.device.type,
                    "options": self.options.audio.fingerprint()}
            digest.update(json.dumps(meta, sort_keys=True, default=str).encode())
            for module in (self.voice.gpt, self.voice.synthesizer):
                for name, tensor in sorted(module.state_dict().items()):
                    digest.update(name.encode())
                    digest.update(_tensor_bytes(tensor))
            for tensor in (self.prompt.semantic, self.prompt.refer_spec, self.prompt.phone_ids, self.prompt.bert,
                           *self.prompt.aux_specs, *self.prompt.sv_vectors):
                digest.update(_tensor_bytes(tensor))
            if self.drift is not None:   # the guard decides which take is kept
                digest.update(f"drift:{self.drift.threshold!r}".encode())
                digest.update(_tensor_bytes(self.drift.reference))
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def synthesize(self, jobs: Sequence[SentenceJob]) -> Iterator[SentenceAudio]:
        """Synthesise the jobs, yielding one result per job in the input order."""
        for start in range(0, len(jobs), self.options.chunk):
            chunk = jobs[start:start + self.options.chunk]
            for job, take in zip(chunk, self.render(chunk)):
                yield SentenceAudio(job.key, take.audio, self.sample_rate, take.problems)

    def window(self, job: SentenceJob) -> TextWindow | None:
        """The text a job's Chinese runs are read with: its neighbours when `text_context` is on, else none."""
        return TextWindow(job.context_before, job.context_after) if self.options.text_context else None

    def render(self, jobs: Sequence[SentenceJob], forced_tokens: Sequence[int] | None = None) -> list[_Take]:
        """All stages for a chunk, with guard retries; `forced_tokens` (benchmarks) fixes token counts."""
        limit = self.voice.phone_limit
        for job in jobs:
            if not job.phone_ids or not all(0 <= p < limit for p in job.phone_ids):
                raise EngineError(f"sentence {job.key[:12]}: phone ids missing or outside this "
                                  f"{self.voice.version} voice's table of {limit}")
        t0 = time.perf_counter()
        features = batch_text_features(self.voice.bert, [job.segments for job in jobs],
                                       [self.window(job) for job in jobs])
        self.times.bert += time.perf_counter() - t0
        for job, feature in zip(jobs, features):
            if feature.shape[1] != len(job.phone_ids):
                raise EngineError(f"sentence {job.key[:12]}: segments cover {feature.shape[1]} phones "
                                  f"but it has {len(job.phone_ids)} phone ids")
        guards = self.options.guards
        takes: list[_Take | None] = [None] * len(jobs)
        retries = [0] * len(jobs)
        pending = list(range(len(jobs)))
        attempts = 1 if forced_tokens is not None else guards.max_retries + 1
        for attempt in range(attempts):
            if not pending:
                break
            seeds = [attempt_seed(jobs[i].seed, attempt) for i in pending]
            forced = None if forced_tokens is None else [forced_tokens[i] for i in pending]
            generated, audio = self._attempt([jobs[i] for i in pending], [features[i] for i in pending],
                                             seeds, forced)
            still = []
            for i, g, wave in zip(pending, generated, audio):
                problems = [] if forced is not None else (
                    token_problems(g.tokens.tolist(), g.hit_eos, len(jobs[i].phone_ids), guards)
                    + audio_problems(wave, guards))
                similarity = None
                if self.drift is not None and forced is None:
                    t_sv = time.perf_counter()
                    similarity = self.drift.similarity(wave, self.sample_rate)
                    self.times.extra["sv"] = self.times.extra.get("sv", 0.0) + time.perf_counter() - t_sv
                    problems += self.drift.problems(similarity)
                take = _Take(wave, problems, similarity)
                if take.better_than(takes[i]):
                    takes[i] = take
                retries[i] = attempt
                if problems and attempt < attempts - 1:
                    still.append(i)
            self.times.attempts += len(pending)
            pending = still
        for take, n in zip(takes, retries):
            if n:
                take.problems = take.problems + [retried_flag(n)]
            self.times.audio += take.audio.size / self.sample_rate
        self.times.sentences += len(jobs)
        return [t for t in takes if t is not None]

    def _attempt(self, jobs: Sequence[SentenceJob], features: Sequence[Tensor], seeds: Sequence[int],
                 forced: Sequence[int] | None) -> tuple[list[Generated], list[np.ndarray]]:
        """GPT then SoVITS for one attempt of some jobs, the stages overlapped (see `pipeline.py`)."""
        voice = self.voice
        requests, items = [], []
        for k, (job, feature) in enumerate(zip(jobs, features)):
            phones, bert = voice.gpt_inputs(job.phone_ids, feature, self.prompt)
            items.append(phones[phones.numel() - len(job.phone_ids):])   # the sentence's own phones
            requests.append(SemanticRequest(phones, bert, seeds[k],
                                            max_steps=self.options.guards.token_budget(len(job.phone_ids)),
                                            forced_tokens=None if forced is None else forced[k]))
        cpu = voice.device.type == "cpu"
        streams = self._streams(len(requests))
        # one scheduler per GPT stream, sentences dealt round-robin in length order (a fixed split)
        order = sorted(range(len(requests)), key=lambda i: (int(requests[i].phones.numel()), i))
        shares = [order[k::streams] for k in range(streams)]
        rows, spare = divmod(self.options.gpt_rows, streams)       # streams <= gpt_rows: every stream gets a row
        budget = self._kv_budget(streams)
        schedulers = [SemanticScheduler(voice.gpt, self.prompt.gpt_semantic, self.options.sampling,
                                        rows=rows + (k < spare), memory_budget=budget,
                                        sync_every=self.options.sync_every or (CPU_SYNC_EVERY if cpu else
                                                                               DEVICE_SYNC_EVERY),
                                        cuda_graphs=self.options.cuda_graphs) for k in range(streams)]
        schedulers[0].prepare(requests)   # the streams share the model: grow it here, they only read it
        sovits_batch = self.options.sovits_batch or (1 if cpu else 16)
        vocoder = BatchVocoder(voice.synthesizer, self._ge, sovits_batch, self.options.sovits_batch_tokens,
                               self.options.noise_scale, self.options.speed)
        generated: dict[int, Generated] = {}

        def finished_rows(scheduler: SemanticScheduler, share: list[int]) -> Iterator[tuple[int, VocodeItem]]:
            for k, row in scheduler.iter_finished([requests[i] for i in share]):
                index = share[k]
                generated[index] = row
                yield index, VocodeItem(row.tokens, items[index], seeds[index])

        workers = self.options.sovits_workers or ((os.cpu_count() or 1) if cpu else 1)
        pipeline = Pipeline(workers=workers, max_group=sovits_batch,
                            threads=self.options.stage_threads or (1 if cpu else None), device=voice.device,
                            worker_nice=CPU_WORKER_NICE if cpu else 0)
        producers = [functools.partial(finished_rows, scheduler, share) for scheduler, share in zip(schedulers, shares)]
        audio = pipeline.run(producers, vocoder.vocode)
        self.times.gpt += pipeline.times.produce
        self.times.sovits += pipeline.times.consume
        stats = [scheduler.stats for scheduler in schedulers]
        slot_steps = sum(st.slot_steps for st in stats)
        self.times.extra["gpt_occupancy"] = sum(st.row_steps for st in stats) / slot_steps if slot_steps else 1.0
        self.times.extra["gpt_streams"] = streams
        for name, combine in (("decode_steps", max), ("tokens", sum), ("slot_steps", sum)):   # streams run side by side
            self.times.extra[f"gpt_{name}"] = (self.times.extra.get(f"gpt_{name}", 0)
                                               + combine(getattr(st, name) for st in stats))
        return [generated[i] for i in range(len(jobs))], [audio[i] for i in range(len(jobs))]

    def _streams(self, n_requests: int) -> int:
        """GPT decode threads for a round: as set, else on a CPU one per CPU_ROWS_PER_STREAM rows up to the
        cores (a decode step scales badly across cores, separate streams do not), else one."""
        streams = self.options.gpt_streams
        if not streams:
            cores = os.cpu_count() or 1
            streams = min(cores, self.options.gpt_rows // CPU_ROWS_PER_STREAM) if self.voice.device.type == "cpu" else 1
        return max(1, min(streams, self.options.gpt_rows, n_requests))

    def _kv_budget(self, streams: int = 1) -> int | None:
        """Bytes one stream's KV cache may take on an accelerator (None on the CPU: RAM is not the limit there)."""
        device = self.voice.device
        if device.type != "cuda":
            return None
        free, _total = torch.cuda.mem_get_info(device)
        return int(free * self.options.kv_memory_fraction / streams)


def _tensor_bytes(tensor: Tensor) -> bytes:
    """Raw bytes of a tensor on the CPU (bf16 viewed as int16 so numpy can hold it)."""
    t = tensor.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()
