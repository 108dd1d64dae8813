"""Batched BERT features: the Chinese runs of many sentences through the RoBERTa model in padded batches.

Per sentence the result equals `BertFeatures(segments)` (hidden_states[-3] without CLS/SEP, one row
per character repeated by word2ph, zeros for non-Chinese runs) within float tolerance: padding is
masked by the attention mask, and runs are sorted by length so batches pad little.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from tts_engine.engine import TextSegment
from tts_engine.features import BERT_HIDDEN_LAYER, BERT_LANG, BertFeatures, TextFeatureError

BERT_BATCH = 32


@torch.inference_mode()
def batch_text_features(bert: BertFeatures, sentences: Sequence[Sequence[TextSegment]],
                        batch_size: int = BERT_BATCH) -> list[Tensor]:
    """(hidden, n_phones) features of every sentence's segments, in order (float32 zeros off Chinese runs)."""
    runs = [(s, k, seg) for s, segments in enumerate(sentences) for k, seg in enumerate(segments)
            if seg.lang == BERT_LANG]
    for _, _, seg in runs:
        if len(seg.word2ph) != len(seg.norm_text) or sum(seg.word2ph) != seg.n_phones:
            raise TextFeatureError(f"zh segment {seg.norm_text!r}: word2ph {seg.word2ph} does not match "
                                   f"{len(seg.norm_text)} characters and {seg.n_phones} phones")
    rows: dict[tuple[int, int], Tensor] = {}
    param = next(bert.model.parameters()) if runs else torch.zeros(0)
    order = sorted(range(len(runs)), key=lambda i: len(runs[i][2].norm_text))
    for start in range(0, len(order), batch_size):
        chunk = [runs[i] for i in order[start:start + batch_size]]
        inputs = bert.tokenizer([seg.norm_text for _, _, seg in chunk], return_tensors="pt",
                                padding=True).to(param.device)
        hidden = bert.model(**inputs, output_hidden_states=True).hidden_states[BERT_HIDDEN_LAYER]
        for b, (s, k, seg) in enumerate(chunk):
            n_tokens = int(inputs["attention_mask"][b].sum())
            if n_tokens - 2 != len(seg.norm_text):
                raise TextFeatureError(f"zh segment {seg.norm_text!r}: the tokenizer made {n_tokens - 2} "
                                       f"tokens for {len(seg.norm_text)} characters")
            char_rows = hidden[b, 1:n_tokens - 1]                                   # (chars, hidden)
            rows[s, k] = char_rows.repeat_interleave(torch.tensor(seg.word2ph, device=param.device), dim=0).T
    out = []
    for s, segments in enumerate(sentences):
        parts = [rows[s, k] if (s, k) in rows else torch.zeros(bert.hidden_size, seg.n_phones)
                 for k, seg in enumerate(segments)]
        parts = [p.to(param.device, param.dtype) for p in parts] if rows else parts
        out.append(torch.cat(parts, dim=1) if parts else torch.zeros(bert.hidden_size, 0))
    return out
