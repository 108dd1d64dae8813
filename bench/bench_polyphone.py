"""Polyphone accuracy on the CPP dev split, per deciding method, plus throughput.

Usage: .venv/bin/python bench/bench_polyphone.py [--corpus ../shared/corpora/polyphone] [--limit N]

Prints accuracy of the default PinyinConverter and of its ablations (no model, model only,
no override), accuracy per deciding method, a 2-fold cross-validated figure for the one
setting chosen by looking at dev (the model-override probability), and sentences per second
of ``sentence_pinyin``. The gold labels are only compared against, never learnt from.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from text_prep.zh.pinyin import CharEvidence, Method, PinyinConverter, PinyinOptions, decide  # noqa: E402

MARK = "▁"
OVERRIDE_GRID = (0.9, 0.99, 0.995, 0.999, 0.9999, 1.0 + 1e-6)   # 1+: the model never overrides


def gold_reading(label: str) -> str:
    """CPP label ("nu:3") -> our tone3 spelling ("nv3")."""
    return label.strip().replace("u:", "v")


def load_cpp(corpus: Path, split: str, limit: int | None) -> list[tuple[str, int, str]]:
    """(sentence, target index, gold reading) triples of a CPP split."""
    sents = (corpus / f"cpp_{split}.sent").read_text(encoding="utf-8").splitlines()
    labels = (corpus / f"cpp_{split}.lb").read_text(encoding="utf-8").splitlines()
    items = []
    for sent, label in zip(sents, labels):
        index = sent.index(MARK)
        items.append((sent.replace(MARK, ""), index, gold_reading(label)))
    return items[:limit] if limit else items


def label(override: float) -> str:
    """Grid value as printed: 'never' for the value above any probability."""
    return "never" if override > 1.0 else f"p>={override:g}"


def accuracy(evidence: list[CharEvidence], golds: list[str], override: float) -> float:
    """Share of targets decided correctly at a given override probability."""
    return sum(decide(ev, override)[0] == g for ev, g in zip(evidence, golds)) / len(golds)


def two_fold_cv(evidence: list[CharEvidence], golds: list[str]) -> float:
    """Choose the override probability on one half (even/odd lines), score the other; mean of both folds."""
    halves = [(evidence[0::2], golds[0::2]), (evidence[1::2], golds[1::2])]
    scores = []
    for fit, held in ((0, 1), (1, 0)):
        best = max(OVERRIDE_GRID, key=lambda o: accuracy(*halves[fit], o))
        scores.append(accuracy(*halves[held], best))
        print(f"  fold {fit}->{held}: chose override {label(best)}, held-out accuracy {100 * scores[-1]:.2f} %")
    return sum(scores) / 2


def run(corpus: Path, limit: int | None) -> None:
    """Measure and print."""
    items = load_cpp(corpus, "dev", limit)
    golds = [g for _, _, g in items]
    converter = PinyinConverter()
    t0 = time.perf_counter()
    evidence = [converter.evidence(text, score_all=True)[i] for text, i, _ in items]
    elapsed = time.perf_counter() - t0
    print(f"CPP dev: {len(items)} sentences, {len(evidence)} targets")
    print(f"default options {converter.options}")
    decided = [decide(ev, converter.options.model_override_prob) for ev in evidence]
    total = sum(r == g for (r, _), g in zip(decided, golds))
    print(f"ACCURACY (default): {100 * total / len(items):.2f} %")
    per_method: Counter = Counter()
    right: Counter = Counter()
    for (reading, method), g in zip(decided, golds):
        per_method[method] += 1
        right[method] += reading == g
    for method in Method:
        if per_method[method]:
            print(f"  {method.value:13s} {per_method[method]:5d} targets, {100 * right[method] / per_method[method]:.2f} % right")
    print("ablations:")
    no_model = [replace(ev, model={}) for ev in evidence]
    model_only = [replace(ev, phrase=None, fallback=None) for ev in evidence]
    all_fallback = [replace(ev, phrase=None, fallback=ev.phrase or ev.fallback) for ev in evidence]
    print(f"  phrases > default, no model     : {100 * accuracy(no_model, golds, 1.0):.2f} %")
    print(f"  model > default, no phrases     : {100 * accuracy(model_only, golds, 1.0):.2f} %")
    for override in OVERRIDE_GRID:
        print(f"  model overrides fallback phrases {label(override)}: {100 * accuracy(evidence, golds, override):.2f} %")
    for override in OVERRIDE_GRID:
        print(f"  model overrides ALL phrases {label(override)}: {100 * accuracy(all_fallback, golds, override):.2f} %")
    print("2-fold cross-validation of the override probability (the one setting chosen on dev):")
    print(f"  CV ACCURACY: {100 * two_fold_cv(evidence, golds):.2f} %")
    sentences = [text for text, _, _ in items]
    t0 = time.perf_counter()
    for text in sentences:
        converter.sentence(text)
    elapsed = time.perf_counter() - t0
    chars = sum(map(len, sentences))
    print(f"speed: {len(sentences) / elapsed:.0f} sentences/s ({chars / len(sentences):.1f} chars/sentence, one core)")


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("BOOKVOICE_SHARED") or Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--corpus", type=Path, default=shared / "corpora/polyphone")
    parser.add_argument("--limit", type=int, default=None, help="only the first N sentences")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    run(args.corpus, args.limit)


if __name__ == "__main__":
    main()
