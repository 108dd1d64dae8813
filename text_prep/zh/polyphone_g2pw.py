"""g2pW's polyphone model (the published ONNX export) run with onnxruntime, as an optional replacement for the BiLSTM.

``bookvoice models pull --g2pw`` fetches the G2PWModel folder GPT-SoVITS v2 reads its Chinese
polyphones with: ``g2pW.onnx``, ``POLYPHONIC_CHARS.txt`` (character, reading per line; readings in
bopomofo with a tone digit, or tone3 pinyin) and ``bopomofo_to_pinyin_wo_tune_dict.json``. The
network is BERT with a per-character reading head. Its inputs, one row per polyphonic character
queried: ``input_ids``, ``token_type_ids``, ``attention_mask`` (B, T) int64 over ``[CLS] text [SEP]``,
``phoneme_mask`` (B, L) float32 (1 for the character's candidate readings), ``char_ids`` (B,) the
character's index in the sorted polyphonic characters, ``position_ids`` (B,) its token position;
output 0 is (B, L) reading probabilities (all queries of a text go as one batch). As in the reference,
text is converted to traditional characters first (the model was trained on them), cut to ``WINDOW``
characters around the first and last polyphone and lower-cased; the tokenizer is the BERT WordPiece
vocabulary (``vocab.txt``, or the ``tokenizer.json`` of chinese-roberta-wwm-ext-large that ``models
pull`` fetches).
"""
from __future__ import annotations

import ast
import json
import logging
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

ONNX_FILE = "g2pW.onnx"
POLYPHONIC_FILE = "POLYPHONIC_CHARS.txt"
BOPOMOFO_FILE = "bopomofo_to_pinyin_wo_tune_dict.json"
CONFIG_FILE = "config.py"
VOCAB_FILES = ("vocab.txt", "tokenizer.json")
WINDOW = 16  # characters of context each side of the queried character (the reference's crop)
MAX_WORDPIECE_CHARS = 100
# Characters the reference never asks g2pW about (it reads them with pypinyin instead).
REFERENCE_EXCLUDED = frozenset("一不和咋嗲剖差攢倒難奔勁拗肖瘙誒泊听噢")
CLS, SEP, UNK = "[CLS]", "[SEP]", "[UNK]"
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_TONE3 = re.compile(r"^[a-zü:v]+[1-5]$")


class G2PWError(RuntimeError):
    """The G2PWModel folder is missing a file or holds something unexpected."""


def _read_vocab(path: Path) -> dict[str, int]:
    """A WordPiece vocabulary from ``vocab.txt`` (one token a line) or a Hugging Face ``tokenizer.json``."""
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        vocab = data.get("model", {}).get("vocab") if isinstance(data, dict) else None
        if not isinstance(vocab, dict):
            raise G2PWError(f"{path}: no WordPiece vocabulary (model.vocab) in this tokenizer file")
        return {str(token): int(index) for token, index in vocab.items()}
    return {line.rstrip("\n"): i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines())}


def _config_flags(path: Path) -> dict[str, object]:
    """Literal assignments of the model's config.py, read without running it."""
    if not path.is_file():
        return {}
    flags: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                flags[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return flags


class WordPiece:
    """BERT's tokenizer as g2pW uses it: one token per CJK character, WordPiece on Latin letters and digits."""

    def __init__(self, vocab: Mapping[str, int]) -> None:
        self.vocab = vocab
        for token in (CLS, SEP, UNK):
            if token not in vocab:
                raise G2PWError(f"tokenizer vocabulary lacks {token}")

    def tokenize(self, text: str) -> tuple[list[int], list[int]]:
        """Token ids of ``text`` and, per character, the index of its token (spaces map to the previous one)."""
        ids: list[int] = []
        char_token: list[int] = []
        i = 0
        while i < len(text):
            latin = _LATIN_WORD.match(text, i)
            if latin:
                pieces = self._pieces(latin.group(0))
                for piece_id, length in pieces:
                    char_token.extend([len(ids)] * length)
                    ids.append(piece_id)
                i = latin.end()
                continue
            if text[i].isspace():
                char_token.append(max(len(ids) - 1, 0))
            else:
                char_token.append(len(ids))
                ids.append(self.vocab.get(text[i], self.vocab[UNK]))
            i += 1
        return ids, char_token

    def _pieces(self, word: str) -> list[tuple[int, int]]:
        """Greedy longest-match WordPiece of one word: (token id, characters covered); one [UNK] if it fails."""
        if len(word) > MAX_WORDPIECE_CHARS:
            return [(self.vocab[UNK], len(word))]
        out: list[tuple[int, int]] = []
        start = 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    out.append((self.vocab[piece], end - start))
                    start = end
                    break
            else:
                return [(self.vocab[UNK], len(word))]
        return out


class G2PW:
    """Scores the readings of polyphonic characters with g2pW; the same interface as ``PolyphoneLSTM``."""

    def __init__(self, model_dir: Path, vocab_path: Path | None = None) -> None:
        import onnxruntime  # optional backend: imported only when g2pW is used

        onnx_path = model_dir / ONNX_FILE
        for needed in (onnx_path, model_dir / POLYPHONIC_FILE):
            if not needed.is_file():
                raise G2PWError(f"{needed}: missing; run `bookvoice models pull --g2pw`")
        vocab_path = vocab_path or next((model_dir / v for v in VOCAB_FILES if (model_dir / v).is_file()), None)
        if vocab_path is None:
            raise G2PWError(f"{model_dir}: no tokenizer vocabulary ({' or '.join(VOCAB_FILES)})")
        self.tokenizer = WordPiece(_read_vocab(vocab_path))
        flags = _config_flags(model_dir / CONFIG_FILE)
        if flags.get("use_char_phoneme"):
            raise G2PWError(f"{model_dir}: models with per-character labels (use_char_phoneme) are not supported")
        self._use_mask = bool(flags.get("use_mask", True))
        bopomofo = model_dir / BOPOMOFO_FILE
        to_pinyin = json.loads(bopomofo.read_text(encoding="utf-8")) if bopomofo.is_file() else {}
        pairs = [line.split("\t") for line in (model_dir / POLYPHONIC_FILE).read_text(encoding="utf-8").splitlines()]
        pairs = [(p[0], p[1].strip()) for p in pairs if len(p) == 2 and len(p[0]) == 1]
        self.labels: tuple[str, ...] = tuple(sorted({label for _, label in pairs}))
        label_index = {label: i for i, label in enumerate(self.labels)}
        self._tone3 = tuple(_label_tone3(label, to_pinyin) for label in self.labels)
        self._char_labels: dict[str, list[int]] = {}
        for char, label in pairs:
            self._char_labels.setdefault(char, []).append(label_index[label])
        self._chars = sorted(self._char_labels)
        self._char_ids = {c: i for i, c in enumerate(self._chars)}
        self._to_model_chars = _converter("s2tw")
        to_simplified = _converter("t2s")
        readings: dict[str, tuple[str, ...]] = {}
        for char, indexes in self._char_labels.items():
            tone3 = tuple(dict.fromkeys(self._tone3[i] for i in indexes))
            for form in (char, to_simplified(char)):
                if len(form) == 1 and form not in REFERENCE_EXCLUDED and len(tone3) > 1:
                    readings.setdefault(form, tone3)
        self.readings: Mapping[str, tuple[str, ...]] = readings
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        logger.debug("loaded g2pW from %s: %d polyphonic characters, %d readings", model_dir, len(readings),
                     len(self.labels))

    def scores(self, text: str, positions: list[int]) -> list[dict[str, float]]:
        """Probability of each candidate reading for the characters of ``text`` at ``positions`` (one batch)."""
        model_text = self._to_model_chars(text)
        if len(model_text) != len(text):
            model_text = text
        queried = [p for p in positions if model_text[p] in self._char_labels]
        if not queried:
            return [{} for _ in positions]
        start = max(0, min(queried) - WINDOW)  # the reference's crop: around the first and last polyphone
        window = model_text[start:max(queried) + WINDOW].lower()
        ids, char_token = self.tokenizer.tokenize(window)
        vocab = self.tokenizer.vocab
        row = np.array([vocab[CLS], *ids, vocab[SEP]], dtype=np.int64)
        input_ids = np.tile(row, (len(queried), 1))
        mask = np.zeros((len(queried), len(self.labels)), np.float32)
        for k, p in enumerate(queried):
            mask[k, self._char_labels[model_text[p]] if self._use_mask else slice(None)] = 1.0
        feed = {
            "input_ids": input_ids,
            "token_type_ids": np.zeros_like(input_ids),
            "attention_mask": np.ones_like(input_ids),
            "phoneme_mask": mask,
            "char_ids": np.array([self._char_ids[model_text[p]] for p in queried], dtype=np.int64),
            "position_ids": np.array([char_token[p - start] + 1 for p in queried], dtype=np.int64),
        }
        probs = np.asarray(self._session.run(None, feed)[0], dtype=np.float64)
        found = {p: self._readings(model_text[p], probs[k]) for k, p in enumerate(queried)}
        return [found.get(p, {}) for p in positions]

    def _readings(self, char: str, probs: np.ndarray) -> dict[str, float]:
        """One output row restricted to the character's candidate readings, renormalised, in tone3."""
        candidates = self._char_labels[char]
        chosen = probs[candidates]
        total = chosen.sum()
        chosen = chosen / total if total > 0 else np.full(len(candidates), 1.0 / len(candidates))
        out: dict[str, float] = {}
        for index, p in zip(candidates, chosen):
            reading = self._tone3[index]
            out[reading] = out.get(reading, 0.0) + float(p)
        return out


def _label_tone3(label: str, to_pinyin: Mapping[str, str]) -> str:
    """A g2pW reading label (bopomofo + tone digit, or tone3 pinyin) in tone3 spelling with ü as v."""
    lowered = label.lower()
    if _TONE3.match(lowered):
        return lowered.replace("u:", "v").replace("ü", "v")
    base = to_pinyin.get(label[:-1])
    if base is None or label[-1] not in "12345":
        raise G2PWError(f"reading label {label!r} is neither tone3 pinyin nor bopomofo the model's table knows")
    return base.lower().replace("ü", "v") + label[-1]


def _converter(config: str) -> Callable[[str], str]:
    """An OpenCC converter ("s2tw": simplified -> Taiwan traditional, "t2s")."""
    import opencc

    return opencc.OpenCC(config).convert


@lru_cache(maxsize=2)
def load_g2pw(model_dir: str, vocab_path: str | None = None) -> G2PW:
    """Load a pulled G2PWModel folder once per folder."""
    return G2PW(Path(model_dir), Path(vocab_path) if vocab_path else None)
