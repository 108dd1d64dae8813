"""g2pM's trained polyphone BiLSTM, run with numpy: one bidirectional pass per sentence.

The g2pM wheel (Apache-2.0, trained on the CPP train split) ships its weights as pickles of
numpy arrays; they are read with an unpickler that only admits plain containers and numpy
arrays. The network is a 1-layer BiLSTM over character embeddings with a 2-layer MLP on the
hidden state of each polyphonic character. Reading labels are g2pM's (``nu:3``); this module
hands them out in pypinyin's tone3 spelling (``nv3``).

Speed: the input projection of every character is folded into one lookup table at load time,
both directions run in the same step as one block-diagonal matmul, and the sigmoid gates are
computed with the single tanh of the step (sigmoid(x) = (tanh(x/2) + 1) / 2).
"""
from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Mapping
from importlib import resources
from typing import Any, Protocol

import numpy as np

logger = logging.getLogger(__name__)

G2PM_PACKAGE = "g2pM"
BOS_TOKEN = "시"     # g2pM's sentence-start token
EOS_TOKEN = "끝"     # g2pM's sentence-end token
UNK_TOKEN = "<UNK>"
G2PM_UMLAUT = "u:"   # g2pM writes ü as "u:", pypinyin's tone3 style as "v"

# numpy's array-rebuilding function, taken from an array rather than by module path
# (numpy.core became numpy._core in numpy 2; pickles name the old path).
_NP_RECONSTRUCT = np.zeros(0).__reduce__()[0]
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _NP_RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _NP_RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class PolyphoneModel(Protocol):
    """What the pinyin converter needs of a polyphone model (this BiLSTM, or g2pW)."""

    readings: Mapping[str, tuple[str, ...]]  # polyphonic character -> the readings it may choose between

    def scores(self, text: str, positions: list[int]) -> list[dict[str, float]]:
        """Probability of each candidate reading for the characters of ``text`` at ``positions``."""
        ...


class PolyphoneModelError(RuntimeError):
    """The g2pM model files are missing or hold something other than what we expect."""


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickler that refuses every global except numpy's array constructors."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing global {module}.{name}") from None


def _load_pickle(name: str) -> Any:
    """Read one of g2pM's data pickles safely."""
    try:
        with resources.files(G2PM_PACKAGE).joinpath(name).open("rb") as fh:
            return _ArraysOnlyUnpickler(fh).load()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise PolyphoneModelError(f"g2pM data file {name} not found: is g2pM installed?") from exc
    except (pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise PolyphoneModelError(f"g2pM data file {name} is not a plain data pickle: {exc}") from exc


def _tone3(label: str) -> str:
    """g2pM reading label -> pypinyin tone3 spelling."""
    return label.replace(G2PM_UMLAUT, "v")


@dataclass(frozen=True)
class LstmConfig:
    """Sizes of the checkpoint, read from its arrays."""

    n_vocab: int
    n_embd: int
    n_hidden: int    # per direction
    n_mlp: int
    n_class: int


class PolyphoneLSTM:
    """Scores the readings of polyphonic characters from their whole-sentence context."""

    def __init__(self, state: dict[str, np.ndarray], char2idx: dict[str, int],
                 class2idx: dict[str, int], readings: dict[str, tuple[str, ...]]) -> None:
        emb = state["embedding.weight"]
        hh = state["lstm.weight_hh_l0"]
        self.config = LstmConfig(
            n_vocab=emb.shape[0], n_embd=emb.shape[1], n_hidden=hh.shape[1],
            n_mlp=state["logit_layer.0.weight"].shape[0], n_class=state["logit_layer.2.weight"].shape[0],
        )
        self._char2idx = char2idx
        self._unk = char2idx[UNK_TOKEN]
        self._bos = char2idx[BOS_TOKEN]
        self._eos = char2idx[EOS_TOKEN]
        self.classes: tuple[str, ...] = tuple(_tone3(c) for c, _ in sorted(class2idx.items(), key=lambda kv: kv[1]))
        class_index = {c: i for i, c in enumerate(self.classes)}
        # readings the model may choose between, per polyphonic character
        self.readings = readings
        self._candidate_ids = {
            ch: np.array([class_index[r] for r in rs], dtype=np.int64)
            for ch, rs in readings.items() if all(r in class_index for r in rs)
        }
        self._build_step_weights(state)
        self._w1 = state["logit_layer.0.weight"].T.astype(np.float32)   # (2H, M)
        self._b1 = state["logit_layer.0.bias"].astype(np.float32)
        self._w2 = state["logit_layer.2.weight"].T.astype(np.float32)   # (M, K)
        self._b2 = state["logit_layer.2.bias"].astype(np.float32)

    def _build_step_weights(self, state: dict[str, np.ndarray]) -> None:
        """Fold embeddings into per-direction input tables and lay both directions out side by side.

        PyTorch gate rows are (i, f, g, o). The fused step vector z (8H,) is ordered
        (i_fw, i_bw, f_fw, f_bw, o_fw, o_bw, g_fw, g_bw); the sigmoid blocks are pre-scaled by 1/2
        so one tanh over z gives every gate.
        """
        h = self.config.n_hidden
        emb = state["embedding.weight"].astype(np.float32)
        torch_order = {"i": 0, "f": 1, "g": 2, "o": 3}
        layout = ("i", "f", "o", "g")
        scale = np.concatenate([np.full(6 * h, 0.5, np.float32), np.ones(2 * h, np.float32)])
        tables = []
        w_step = np.zeros((2 * h, 8 * h), np.float32)   # (2H, 8H): [h_fw, h_bw] -> z
        for d, suffix in enumerate(("", "_reverse")):
            w_ih = state[f"lstm.weight_ih_l0{suffix}"]
            w_hh = state[f"lstm.weight_hh_l0{suffix}"]
            bias = state[f"lstm.bias_ih_l0{suffix}"] + state[f"lstm.bias_hh_l0{suffix}"]
            table = np.zeros((self.config.n_vocab, 8 * h), np.float32)   # (V, 8H)
            proj = emb @ w_ih.T + bias                                    # (V, 4H)
            for slot, gate in enumerate(layout):
                rows = slice(torch_order[gate] * h, (torch_order[gate] + 1) * h)
                cols = slice((2 * slot + d) * h, (2 * slot + d + 1) * h)
                table[:, cols] = proj[:, rows]
                w_step[d * h:(d + 1) * h, cols] = w_hh[rows].T
            tables.append(table * scale)
        self._table_fw, self._table_bw = tables
        self._w_step = w_step * scale

    def _hidden_states(self, ids: np.ndarray) -> np.ndarray:
        """(T,) token ids -> (T, 2H) concatenated forward/backward hidden states."""
        h = self.config.n_hidden
        n = len(ids)
        z_in = self._table_fw[ids] + self._table_bw[ids[::-1]]   # (T, 8H); bw input runs reversed
        state_h = np.zeros(2 * h, np.float32)
        state_c = np.zeros(2 * h, np.float32)
        out = np.empty((n, 2 * h), np.float32)
        w_step = self._w_step
        for t in range(n):
            z = np.tanh(z_in[t] + state_h @ w_step)
            gates = z[:6 * h] * 0.5 + 0.5
            state_c = gates[2 * h:4 * h] * state_c + gates[:2 * h] * z[6 * h:]
            state_h = gates[4 * h:] * np.tanh(state_c)
            out[t, :h] = state_h[:h]
            out[n - 1 - t, h:] = state_h[h:]
        return out

    def scores(self, text: str, positions: list[int]) -> list[dict[str, float]]:
        """Probability of each candidate reading for the characters of ``text`` at ``positions``."""
        if not positions:
            return []
        get = self._char2idx.get
        ids = np.array([self._bos, *(get(ch, self._unk) for ch in text), self._eos], dtype=np.int64)
        hidden = self._hidden_states(ids)[np.asarray(positions) + 1]                 # (P, 2H)
        logits = np.maximum(hidden @ self._w1 + self._b1, 0.0) @ self._w2 + self._b2  # (P, K)
        result = []
        for row, pos in zip(logits, positions):
            cand = self._candidate_ids.get(text[pos])
            if cand is None:
                result.append({})
                continue
            sub = row[cand] - row[cand].max()
            prob = np.exp(sub)
            prob /= prob.sum()
            result.append({self.classes[c]: float(p) for c, p in zip(cand, prob)})
        return result


@lru_cache(maxsize=1)
def load_polyphone_lstm() -> PolyphoneLSTM:
    """Load g2pM's checkpoint once (lazily, on first use)."""
    state = _load_pickle("np_ckpt.pkl")
    char2idx = _load_pickle("char2idx.pkl")
    class2idx = _load_pickle("class2idx.pkl")
    cedict = _load_pickle("digest_cedict.pkl")
    if not isinstance(state, dict) or "embedding.weight" not in state:
        raise PolyphoneModelError("g2pM np_ckpt.pkl does not hold the expected BiLSTM arrays")
    readings = {ch: tuple(dict.fromkeys(_tone3(r) for r in rs)) for ch, rs in cedict.items() if len(rs) > 1}
    logger.debug("loaded g2pM BiLSTM: %d polyphonic characters", len(readings))
    return PolyphoneLSTM(state, char2idx, class2idx, readings)
