"""Batched SoVITS decoding: many sentences of one voice, padded with masks so each equals its lone decode.

The reference gave up on padded SoVITS batches and decodes a batch as one long concatenated
sequence, so a sentence's audio depends on its neighbours. Here rows are right-padded and every
layer masks the padding (`Synthesizer.forward_padded`): attention gives padded keys zero weight
and every convolution reads zeros past a row's end, so a row's audio equals its lone decode within
float tolerance. Each row's prior noise is drawn from its own generator in its own shape, exactly
as `Synthesizer.forward` draws it alone, so seeds decide the audio whatever the batch.

Sentences are sorted by length and cut into batches under a padded-frame budget (memory), so
rows in a batch have similar lengths and little compute goes to padding. On CUDA, finished audio
comes back through pinned host memory (one asynchronous copy per call, one stream sync).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from tts_engine.sovits.synthesizer import DEFAULT_NOISE_SCALE, Synthesizer

MAX_BATCH_TOKENS = 1600   # padded semantic tokens per decode call (about 64 s of audio)


@dataclass(frozen=True)
class VocodeItem:
    """One sentence for the SoVITS stage."""

    tokens: Tensor   # (T,) int64 semantic tokens
    phones: Tensor   # (N,) int64 target phone ids (never the prompt's)
    seed: int        # seeds this sentence's prior noise


class BatchVocoder:
    """Decodes many sentences that share one timbre vector `ge` (1, gin, 1), in padded batches.

    `max_batch` bounds the rows per call and `max_batch_tokens` the padded tokens per call (the
    activations grow with it: about 50 MB per second of audio in float32 on the CPU).
    `speed` != 1 changes the frame count non-uniformly, so such sentences are decoded one by one.
    """

    def __init__(self, synthesizer: Synthesizer, ge: Tensor, max_batch: int = 16,
                 max_batch_tokens: int = MAX_BATCH_TOKENS, noise_scale: float = DEFAULT_NOISE_SCALE,
                 speed: float = 1.0) -> None:
        if max_batch < 1 or max_batch_tokens < 1:
            raise ValueError("max_batch and max_batch_tokens must be positive")
        param = next(synthesizer.parameters())
        self.synthesizer = synthesizer
        self.device, self.dtype = param.device, param.dtype
        self.ge = ge.to(device=self.device, dtype=self.dtype).reshape(1, -1, 1)
        self.max_batch = max_batch
        self.max_batch_tokens = max_batch_tokens
        self.noise_scale = noise_scale
        self.speed = speed

    def batches(self, items: Sequence[VocodeItem]) -> list[list[int]]:
        """Indices of `items` grouped into decode calls: sorted by length, padded size under the budget."""
        order = sorted((i for i in range(len(items)) if items[i].tokens.numel()),
                       key=lambda i: int(items[i].tokens.numel()))
        groups: list[list[int]] = []
        for i in order:
            longest = int(items[i].tokens.numel())     # sorted: the newest item is the longest
            if (groups and len(groups[-1]) < self.max_batch and self.speed == 1
                    and longest * (len(groups[-1]) + 1) <= self.max_batch_tokens):
                groups[-1].append(i)
            else:
                groups.append([i])
        return groups

    @torch.inference_mode()
    def vocode(self, items: Sequence[VocodeItem]) -> list[np.ndarray]:
        """Audio of every item, (T * samples_per_token,) float32 at 32 kHz, in the order of `items`."""
        out = [np.zeros(0, dtype=np.float32) for _ in items]
        for group in self.batches(items):
            for i, audio in zip(group, self._decode([items[i] for i in group])):
                out[i] = audio
        return out

    def _noise(self, item: VocodeItem) -> Tensor:
        """The (1, inter, frames) standard-normal draw `Synthesizer.forward` makes for this item alone."""
        frames = int(item.tokens.numel()) * self.synthesizer.config.semantic_stride
        generator = torch.Generator(device=self.device).manual_seed(int(item.seed))
        return torch.randn((1, self.synthesizer.config.inter_channels, frames), generator=generator,
                           device=self.device, dtype=self.dtype)

    def _decode(self, group: list[VocodeItem]) -> list[np.ndarray]:
        """One decode call for items of similar length."""
        synth, spt = self.synthesizer, self.synthesizer.samples_per_token
        if len(group) == 1 or self.speed != 1:
            results = []
            for item in group:
                generator = torch.Generator(device=self.device).manual_seed(int(item.seed))
                audio = synth(item.tokens.reshape(1, 1, -1).to(self.device),
                              item.phones.reshape(1, -1).to(self.device), self.ge, self.speed,
                              self.noise_scale, generator)[0]
                results.append(_to_host(audio[0, 0]))
            return results
        B = len(group)
        code_lengths = torch.tensor([int(it.tokens.numel()) for it in group], device=self.device)
        phone_lengths = torch.tensor([int(it.phones.numel()) for it in group], device=self.device)
        T, N = int(code_lengths.max()), int(phone_lengths.max())
        codes = torch.zeros(B, 1, T, dtype=torch.long, device=self.device)
        phones = torch.zeros(B, N, dtype=torch.long, device=self.device)
        noise = torch.zeros(B, synth.config.inter_channels, T * synth.config.semantic_stride,
                            device=self.device, dtype=self.dtype)
        for b, item in enumerate(group):
            codes[b, 0, : item.tokens.numel()] = item.tokens.to(self.device)
            phones[b, : item.phones.numel()] = item.phones.to(self.device)
            row_noise = self._noise(item)[0]
            noise[b, :, : row_noise.shape[-1]] = row_noise
        audio = synth.forward_padded(codes, code_lengths, phones, phone_lengths,
                                     self.ge.expand(B, -1, -1), noise, self.noise_scale)   # (B, 1, T * spt)
        audio = _to_host(audio[:, 0])
        return [audio[b, : int(code_lengths[b]) * spt].copy() for b in range(B)]


def _to_host(audio: Tensor) -> np.ndarray:
    """float32 numpy copy of device audio: through pinned memory and one stream sync on CUDA."""
    audio = audio.float()
    if audio.device.type != "cuda":
        return audio.cpu().numpy()
    host = torch.empty(audio.shape, dtype=torch.float32, pin_memory=True)
    host.copy_(audio, non_blocking=True)
    torch.cuda.current_stream(audio.device).synchronize()
    return host.numpy()
