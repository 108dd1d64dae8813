"""Batched BERT features: the Chinese runs of many sentences through the RoBERTa model in padded batches.

Per sentence the result equals `BertFeatures(segments, window)` (hidden_states[-3] at the run's own
positions, one row per character repeated by word2ph, zeros for non-Chinese runs) within float
tolerance: padding is masked by the attention mask, and runs are sorted by length so batches pad little.
"""
from __future__ import annotations

from typing import Sequence

from torch import Tensor

from tts_engine.engine import TextSegment
from tts_engine.features import BERT_LANG, BertFeatures, BertRun, TextWindow, assemble_features

BERT_BATCH = 32


def batch_text_features(bert: BertFeatures, sentences: Sequence[Sequence[TextSegment]],
                        windows: Sequence[TextWindow | None] | None = None,
                        batch_size: int = BERT_BATCH) -> list[Tensor]:
    """(hidden, n_phones) features of every sentence's segments, in order; `windows` gives each its context."""
    windows = windows if windows is not None else [None] * len(sentences)
    if len(windows) != len(sentences):
        raise ValueError(f"{len(windows)} windows for {len(sentences)} sentences")
    runs: list[tuple[int, int, BertRun]] = [
        (s, k, run) for s, (segments, window) in enumerate(zip(sentences, windows))
        if any(seg.lang == BERT_LANG for seg in segments) for k, run in bert.runs(segments, window).items()]
    runs.sort(key=lambda item: len(item[2].ids))
    rows: list[dict[int, Tensor]] = [{} for _ in sentences]
    for start in range(0, len(runs), batch_size):
        chunk = runs[start:start + batch_size]
        for (s, k, _), features in zip(chunk, bert.encode([run for _, _, run in chunk])):
            rows[s][k] = features
    return [assemble_features(segments, found, bert.hidden_size) for segments, found in zip(sentences, rows)]
