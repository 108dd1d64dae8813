"""g2p_en's letter-to-sound network (a GRU encoder-decoder), run with numpy: the reference's guess for
English words in no list. The weights are the ``g2p-en`` package's checkpoint, loaded on first use."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

import numpy as np

from text_prep.en.dictionary import EnglishDataError

CHECKPOINT = "g2p_en/checkpoint20.npz"
GRAPHEMES = ("<pad>", "<unk>", "</s>") + tuple("abcdefghijklmnopqrstuvwxyz")
PHONEMES = ("<pad>", "<unk>", "<s>", "</s>") + tuple(
    "AA0 AA1 AA2 AE0 AE1 AE2 AH0 AH1 AH2 AO0 AO1 AO2 AW0 AW1 AW2 AY0 AY1 AY2 B CH D DH EH0 EH1 EH2 ER0 ER1 ER2 "
    "EY0 EY1 EY2 F G HH IH0 IH1 IH2 IY0 IY1 IY2 JH K L M N NG OW0 OW1 OW2 OY0 OY1 OY2 P R S SH T TH UH0 UH1 UH2 "
    "UW UW0 UW1 UW2 V W Y Z ZH".split())
UNK, END_GRAPHEME, START, STOP = 1, 2, 2, 3
DROPPED = frozenset(("<pad>", "<s>", "</s>", "UW"))     # outputs the reference drops ("UW" has no stress)
UNKNOWN_PHONE = "UNK"
MAX_PHONES = 20


@dataclass(frozen=True)
class _Gru:
    inputs: np.ndarray      # [vocabulary, 3 * hidden]: every input token's x @ w_ih.T + b_ih, computed once
    w_hh_t: np.ndarray      # [hidden, 3 * hidden]
    b_hh: np.ndarray

    @classmethod
    def build(cls, emb: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray) -> "_Gru":
        """A GRU whose inputs are rows of ``emb``."""
        return cls(emb @ w_ih.T + b_ih, np.ascontiguousarray(w_hh.T), b_hh)

    def step(self, token: int, h: np.ndarray) -> np.ndarray:
        """One GRU cell step on input token ``token`` (PyTorch gate order r, z, n)."""
        gi = self.inputs[token]
        gh = h @ self.w_hh_t + self.b_hh
        size = h.shape[-1]
        rz = 1.0 / (1.0 + np.exp(-(gi[:2 * size] + gh[:2 * size])))
        r, z = rz[:size], rz[size:]
        n = np.tanh(gi[2 * size:] + r * gh[2 * size:])
        return (1.0 - z) * n + z * h


@dataclass(frozen=True)
class NeuralG2P:
    """Encoder-decoder weights; ``predict`` decodes greedily."""

    encoder: _Gru
    decoder: _Gru
    fc_w_t: np.ndarray
    fc_b: np.ndarray

    def predict(self, word: str) -> tuple[str, ...]:
        """Phones for a lower-case word (letters outside a-z count as unknown)."""
        index = {g: i for i, g in enumerate(GRAPHEMES)}
        h = np.zeros(self.encoder.w_hh_t.shape[0], np.float32)
        for ch in list(word) + ["</s>"]:
            h = self.encoder.step(index.get(ch, UNK), h)
        token, out = START, []
        for _ in range(MAX_PHONES):
            h = self.decoder.step(token, h)
            token = int(np.argmax(h @ self.fc_w_t + self.fc_b))
            if token == STOP:
                break
            phone = PHONEMES[token] if token < len(PHONEMES) else "<unk>"
            if phone not in DROPPED:
                out.append(UNKNOWN_PHONE if phone == "<unk>" else phone)
        return tuple(out)


@lru_cache(maxsize=1)
def neural_g2p() -> NeuralG2P:
    """The network with g2p-en's weights."""
    try:
        path = metadata.distribution("g2p-en").locate_file(CHECKPOINT)
        with np.load(str(path)) as v:
            def gru(prefix: str) -> _Gru:
                return _Gru.build(v[f"{prefix}_emb"], v[f"{prefix}_w_ih"], v[f"{prefix}_w_hh"],
                                  v[f"{prefix}_b_ih"], v[f"{prefix}_b_hh"])

            return NeuralG2P(gru("enc"), gru("dec"), np.ascontiguousarray(v["fc_w"].T), v["fc_b"])
    except (metadata.PackageNotFoundError, OSError, KeyError) as exc:
        raise EnglishDataError(f"cannot load the g2p-en letter-to-sound weights: {exc}") from None
