"""GPTConfig: the sizes of the text-to-semantic transformer, read from a voice file's own config."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

BERT_DIM = 1024          # width of chinese-roberta-wwm-ext-large hidden states (bert_proj input)
FFN_MULTIPLIER = 4       # the reference ignores `linear_units`: the FFN is always 4 * hidden_dim
LAYER_NORM_EPS = 1e-5
MAX_POSITIONS = 4000     # initial sinusoid table length (extended on demand)


@dataclass(frozen=True)
class GPTConfig:
    """Sizes of one Text2Semantic model; the checkpoint's `config["model"]` decides them."""

    phoneme_vocab_size: int   # rows of the phone embedding (512 v1, 732 v2)
    vocab_size: int           # semantic tokens incl. EOS (1025)
    eos: int                  # the end-of-sequence token id (1024)
    hidden_dim: int           # transformer width D (= embedding width)
    n_head: int
    n_layer: int
    bert_dim: int = BERT_DIM
    max_sec: int = 54         # config["data"]["max_sec"]; only bounds the reference's early stop

    def __post_init__(self) -> None:
        for name in ("phoneme_vocab_size", "vocab_size", "hidden_dim", "n_head", "n_layer", "bert_dim"):
            if getattr(self, name) <= 0:
                raise ValueError(f"GPTConfig.{name} must be positive, got {getattr(self, name)}")
        if self.hidden_dim % self.n_head:
            raise ValueError(f"hidden_dim {self.hidden_dim} is not divisible by n_head {self.n_head}")
        if not 0 <= self.eos < self.vocab_size:
            raise ValueError(f"EOS id {self.eos} outside the vocabulary of {self.vocab_size}")

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.hidden_dim // self.n_head

    @property
    def ffn_dim(self) -> int:
        """Width of the feed-forward hidden layer."""
        return FFN_MULTIPLIER * self.hidden_dim

    @classmethod
    def from_reference(cls, config: Mapping[str, Any]) -> "GPTConfig":
        """Build from the reference's s1 config dict (the `config` entry of a GPT `.ckpt`)."""
        try:
            model = config["model"]
            embedding_dim = int(model["embedding_dim"])
            hidden_dim = int(model["hidden_dim"])
            fields = dict(
                phoneme_vocab_size=int(model["phoneme_vocab_size"]),
                vocab_size=int(model["vocab_size"]),
                eos=int(model["EOS"]),
                hidden_dim=hidden_dim,
                n_head=int(model["head"]),
                n_layer=int(model["n_layer"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"GPT config lacks model.{exc}") from exc
        if embedding_dim != hidden_dim:
            # the reference feeds embeddings straight into the transformer: the two must agree
            raise ValueError(f"embedding_dim {embedding_dim} differs from hidden_dim {hidden_dim}")
        max_sec = config.get("data", {}).get("max_sec", cls.max_sec)
        return cls(**fields, max_sec=int(max_sec))
