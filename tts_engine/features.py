"""The shared base models as feature extractors: HuBERT (reference audio) and RoBERTa (Chinese text).

Both load from local Hugging Face folders (`from_pretrained(dir)`); nothing is downloaded.
HuBERT follows the reference inference recipe (REFERENCE §2.1): the raw 16 kHz wave in [-1, 1],
no feature-extractor normalisation, no attention mask, 0.6 s of zeros appended. BERT follows
§5.4: hidden_states[-3] without [CLS]/[SEP], one row per character repeated by word2ph; every
non-Chinese segment gets zeros.

Context windows (beyond the reference): given a `TextWindow` (the sentence's neighbours), each
Chinese run is read inside ``[CLS] left + run + right [SEP]``, where left/right are the neighbours
and the sentence's other runs, and only the run's own positions are kept, so its features reflect
the surrounding text. Each piece is tokenised on its own, so the run's positions are exact however
the context tokenises. With no window (None) every run is read alone, as the reference does.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor

from tts_engine.engine import TextSegment
from tts_engine.errors import EngineError, VoiceFileError

HUBERT_SAMPLE_RATE = 16000
HUBERT_TAIL_PAD = 9600        # int(32000 * 0.3) zeros, appended to the 16 kHz wave (0.6 s)
BERT_HIDDEN_LAYER = -3        # hidden_states[-3]: the output of encoder layer L-2
BERT_LANG = "zh"              # the only language whose segments get BERT features
CONTEXT_SEPARATOR = " "       # joins context pieces; the tokenizer drops whitespace between Chinese characters


class TextFeatureError(EngineError):
    """Segments that do not line up with their phones or characters (a front-end bug, not user input)."""


def _load_pretrained(loader, model_dir: str | Path, device: torch.device | str, dtype: torch.dtype):
    """`loader.from_pretrained(model_dir)` in eval mode on device/dtype, with a VoiceFileError on failure."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise VoiceFileError(model_dir, "model folder not found")
    try:
        model = loader.from_pretrained(model_dir, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise VoiceFileError(model_dir, f"cannot load the model: {' '.join(str(exc).split())}") from exc
    return model.to(device=device, dtype=dtype).eval()


class HubertFeatures:
    """chinese-hubert-base: 16 kHz wave -> SSL features (1, hidden, T_ssl)."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model

    @classmethod
    def load(cls, model_dir: str | Path, device: torch.device | str = "cpu",
             dtype: torch.dtype = torch.float32) -> "HubertFeatures":
        """Load a `HubertModel` from a local folder."""
        from transformers import HubertModel   # heavy import, deferred to first use

        return cls(_load_pretrained(HubertModel, model_dir, device, dtype))

    @torch.inference_mode()
    def __call__(self, wave16k: Tensor) -> Tensor:
        """(L,) float wave at 16 kHz -> (1, hidden, T_ssl), T_ssl = (L + 9600 - 400) // 320 + 1."""
        param = next(self.model.parameters())
        wave = torch.cat([wave16k.reshape(-1), wave16k.new_zeros(HUBERT_TAIL_PAD)])
        hidden = self.model(wave.to(device=param.device, dtype=param.dtype).unsqueeze(0))
        return hidden["last_hidden_state"].transpose(1, 2)


@dataclass(frozen=True)
class TextWindow:
    """The text around a sentence that its Chinese runs are read with (normalised neighbours, in order)."""

    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class BertRun:
    """One Chinese run as model input: token ids with [CLS]/[SEP] and where the run's own tokens start."""

    segment: TextSegment
    ids: tuple[int, ...]
    start: int


def run_contexts(segments: Sequence[TextSegment], window: TextWindow | None) -> list[tuple[str, str]]:
    """(left, right) text of every segment: neighbours plus the sentence's other runs ("", "" without a window)."""
    if window is None:
        return [("", "")] * len(segments)
    texts = [seg.norm_text for seg in segments]
    return [(CONTEXT_SEPARATOR.join([*window.before, *texts[:k]]).strip(),
             CONTEXT_SEPARATOR.join([*texts[k + 1:], *window.after]).strip()) for k in range(len(segments))]


def check_alignment(seg: TextSegment) -> None:
    """TextFeatureError unless word2ph has one entry per character and sums to the run's phone count."""
    if len(seg.word2ph) != len(seg.norm_text) or sum(seg.word2ph) != seg.n_phones:
        raise TextFeatureError(
            f"zh segment {seg.norm_text!r}: word2ph {seg.word2ph} does not match "
            f"{len(seg.norm_text)} characters and {seg.n_phones} phones")


class BertFeatures:
    """chinese-roberta-wwm-ext-large + tokenizer: text segments -> per-phone features (hidden, n_phones)."""

    def __init__(self, model: torch.nn.Module, tokenizer) -> None:
        self.model = model
        self.tokenizer = tokenizer

    @classmethod
    def load(cls, model_dir: str | Path, device: torch.device | str = "cpu",
             dtype: torch.dtype = torch.float32) -> "BertFeatures":
        """Load an `AutoModelForMaskedLM` and its tokenizer from one local folder."""
        from transformers import AutoModelForMaskedLM, AutoTokenizer

        model = _load_pretrained(AutoModelForMaskedLM, model_dir, device, dtype)
        try:
            tokenizer = AutoTokenizer.from_pretrained(Path(model_dir), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise VoiceFileError(model_dir, f"cannot load the tokenizer: {' '.join(str(exc).split())}") from exc
        return cls(model, tokenizer)

    @property
    def hidden_size(self) -> int:
        """Width of one feature column (1024 for the real model)."""
        return int(self.model.config.hidden_size)

    def runs(self, segments: Sequence[TextSegment], window: TextWindow | None = None) -> dict[int, BertRun]:
        """Model inputs of the Chinese segments, by segment index, each inside its context."""
        contexts = run_contexts(segments, window)
        return {k: self.run_input(seg, *contexts[k]) for k, seg in enumerate(segments) if seg.lang == BERT_LANG}

    def run_input(self, seg: TextSegment, left: str = "", right: str = "") -> BertRun:
        """``[CLS] left run right [SEP]`` token ids, context trimmed (far ends first) to the model's length."""
        check_alignment(seg)
        own = self._ids(seg.norm_text)
        if len(own) != len(seg.norm_text):
            raise TextFeatureError(f"zh segment {seg.norm_text!r}: the tokenizer made {len(own)} "
                                   f"tokens for {len(seg.norm_text)} characters")
        before, after = self._ids(left), self._ids(right)
        room = max(0, int(self.model.config.max_position_embeddings) - 2 - len(own))
        keep_after = min(len(after), max(room // 2, room - len(before)))
        keep_before = min(len(before), room - keep_after)
        before, after = before[len(before) - keep_before:], after[:keep_after]
        ids = (self.tokenizer.cls_token_id, *before, *own, *after, self.tokenizer.sep_token_id)
        return BertRun(seg, ids, 1 + len(before))

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"] if text else []

    def __call__(self, segments: Sequence[TextSegment], window: TextWindow | None = None) -> Tensor:
        """Features of all segments side by side: (hidden, sum of n_phones), zeros for non-zh runs."""
        param = next(self.model.parameters())
        rows = {k: self.encode([run])[0] for k, run in self.runs(segments, window).items()}
        return assemble_features(segments, rows, self.hidden_size, param.device, param.dtype)

    @torch.inference_mode()
    def encode(self, runs: Sequence[BertRun]) -> list[Tensor]:
        """One padded forward pass: per run (hidden, n_phones), its own rows repeated by word2ph."""
        param = next(self.model.parameters())
        width = max(len(run.ids) for run in runs)
        ids = torch.full((len(runs), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros(len(runs), width, dtype=torch.long)
        for b, run in enumerate(runs):
            ids[b, :len(run.ids)] = torch.tensor(run.ids)
            mask[b, :len(run.ids)] = 1
        out = self.model(input_ids=ids.to(param.device), attention_mask=mask.to(param.device),
                         token_type_ids=torch.zeros_like(ids).to(param.device), output_hidden_states=True)
        hidden = out.hidden_states[BERT_HIDDEN_LAYER]                               # (B, T, hidden)
        features = []
        for b, run in enumerate(runs):
            rows = hidden[b, run.start:run.start + len(run.segment.norm_text)]      # (chars, hidden)
            repeats = torch.tensor(run.segment.word2ph, device=rows.device)
            features.append(rows.repeat_interleave(repeats, dim=0).T)               # (hidden, n_phones)
        return features


def assemble_features(segments: Sequence[TextSegment], rows: dict[int, Tensor], hidden_size: int,
                      device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> Tensor:
    """(hidden, sum of n_phones): the Chinese segments' features (by index) in order, zeros for the rest."""
    if rows:
        device, dtype = next(iter(rows.values())).device, next(iter(rows.values())).dtype
    parts = [rows[k] if k in rows else torch.zeros(hidden_size, seg.n_phones, device=device, dtype=dtype)
             for k, seg in enumerate(segments)]
    return torch.cat(parts, dim=1) if parts else torch.zeros(hidden_size, 0, device=device, dtype=dtype)
