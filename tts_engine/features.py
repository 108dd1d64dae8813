"""The shared base models as feature extractors: HuBERT (reference audio) and RoBERTa (Chinese text).

Both load from local Hugging Face folders (`from_pretrained(dir)`); nothing is downloaded.
HuBERT follows the reference inference recipe (REFERENCE §2.1): the raw 16 kHz wave in [-1, 1],
no feature-extractor normalisation, no attention mask, 0.6 s of zeros appended. BERT follows
§5.4: hidden_states[-3] without [CLS]/[SEP], one row per character repeated by word2ph; every
non-Chinese segment gets zeros.
"""
from __future__ import annotations

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

    def __call__(self, segments: Sequence[TextSegment]) -> Tensor:
        """Features of all segments side by side: (hidden, sum of n_phones), zeros for non-zh runs."""
        param = next(self.model.parameters())
        parts = [self._chinese(seg) if seg.lang == BERT_LANG
                 else torch.zeros(self.hidden_size, seg.n_phones, device=param.device, dtype=param.dtype)
                 for seg in segments]
        if not parts:
            return torch.zeros(self.hidden_size, 0, device=param.device, dtype=param.dtype)
        return torch.cat(parts, dim=1)

    @torch.inference_mode()
    def _chinese(self, seg: TextSegment) -> Tensor:
        """(hidden, n_phones): one hidden row per character, repeated word2ph[c] times."""
        if len(seg.word2ph) != len(seg.norm_text) or sum(seg.word2ph) != seg.n_phones:
            raise TextFeatureError(
                f"zh segment {seg.norm_text!r}: word2ph {seg.word2ph} does not match "
                f"{len(seg.norm_text)} characters and {seg.n_phones} phones")
        param = next(self.model.parameters())
        inputs = self.tokenizer(seg.norm_text, return_tensors="pt").to(param.device)
        out = self.model(**inputs, output_hidden_states=True)
        rows = out.hidden_states[BERT_HIDDEN_LAYER][0, 1:-1]           # (chars, hidden), CLS/SEP dropped
        if rows.shape[0] != len(seg.norm_text):
            raise TextFeatureError(f"zh segment {seg.norm_text!r}: the tokenizer made {rows.shape[0]} "
                                   f"tokens for {len(seg.norm_text)} characters")
        repeats = torch.tensor(seg.word2ph, device=rows.device)
        return rows.repeat_interleave(repeats, dim=0).T                  # (hidden, n_phones)
