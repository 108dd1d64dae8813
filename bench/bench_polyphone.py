"""Polyphone accuracy on CPP, k-fold cross-validated: how dictionaries and the context model are combined.

Usage: .venv/bin/python bench/bench_polyphone.py [--corpus ../shared/corpora/polyphone] [--limit N] [--folds 5]

The combination has two settings (``PinyinOptions.dictionary_evidence``, ``model_trust_prob``). They
are never chosen by the dev score: each fold chooses them on the other folds with the one-standard-
error rule (of the settings within one standard error of the best, the simplest: no probability
threshold before one, then the one overruling the model least) and is scored on its own held-out part. Every fold is printed with the single
components (model alone, dictionaries alone) on the same part, twice: folds drawn at random, and
folds grouped by the target character (no character is seen while choosing). Any other CPP split in
the folder (a cleaned test split) is only scored, with the settings the procedure picks on all of dev.
Also printed: the share of low-confidence readings and their accuracy, and sentences per second.
"""
from __future__ import annotations

import argparse
import logging
import math
import os
import random
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from text_prep.zh.pinyin import (  # noqa: E402
    EVIDENCE_LEVELS, LOW_CONFIDENCE_PROB, CharEvidence, PinyinConverter, PinyinOptions, decide,
)

MARK = "▁"
TRUST_GRID = (0.9, 0.99, 0.999, 1.0 + 1e-6)   # 1+: dictionaries always win where they are unambiguous
SEED = 12


@dataclass(frozen=True)
class Setting:
    """One point of the grid: a named combination."""

    name: str
    options: PinyinOptions | None   # None: a single component, not a combination


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


def trust_label(trust: float) -> str:
    """Grid value as printed."""
    return "always" if trust > 1.0 else f"model<{trust:g}"


def settings() -> list[Setting]:
    """The grid: every evidence level and trust probability, plus the two single components."""
    grid = [Setting(f"{level}/{trust_label(t)}", PinyinOptions(dictionary_evidence=level, model_trust_prob=t))
            for level in EVIDENCE_LEVELS for t in TRUST_GRID]
    return [Setting("model alone", None), Setting("dictionaries alone", None), *grid]


def reading(setting: Setting, ev: CharEvidence) -> str | None:
    """The reading a setting gives one target."""
    if setting.name == "model alone":
        return max(ev.model, key=ev.model.__getitem__) if ev.model else ev.default
    if setting.name == "dictionaries alone":
        return decide(replace(ev, model={}), PinyinOptions())[0]
    assert setting.options is not None
    return decide(ev, setting.options)[0]


def choose(grid: list[Setting], right: dict[str, list[bool]], overrules: dict[str, list[bool]],
           train: list[int]) -> Setting:
    """One-standard-error rule on ``train``: of the combinations within 1 s.e. of the best, the simplest
    (no probability threshold before one), then the one overruling the model least."""
    combos = [s for s in grid if s.options is not None]
    accuracy = {s.name: sum(right[s.name][i] for i in train) / len(train) for s in combos}
    best = max(accuracy.values())
    margin = math.sqrt(best * (1 - best) / len(train))
    near = [s for s in combos if accuracy[s.name] >= best - margin]

    def complexity(s: Setting) -> tuple[bool, int, float]:
        assert s.options is not None
        return s.options.model_trust_prob <= 1.0, sum(overrules[s.name][i] for i in train), -accuracy[s.name]

    return min(near, key=complexity)


def cross_validate(title: str, folds: list[list[int]], grid: list[Setting], right: dict[str, list[bool]],
                   overrules: dict[str, list[bool]]) -> None:
    """Print every fold: the setting chosen on the rest, its held-out accuracy, and the single components."""
    print(title)
    total = {"chosen": 0, "model alone": 0, "dictionaries alone": 0}
    count = 0
    never_worse = True
    for k, held in enumerate(folds):
        train = [i for j, fold in enumerate(folds) if j != k for i in fold]
        chosen = choose(grid, right, overrules, train)
        score = {name: sum(right[name][i] for i in held) for name in ("model alone", "dictionaries alone")}
        score["chosen"] = sum(right[chosen.name][i] for i in held)
        never_worse &= score["chosen"] >= max(score["model alone"], score["dictionaries alone"])
        for name in total:
            total[name] += score[name]
        count += len(held)
        print(f"  fold {k}: {len(held):5d} targets, chose {chosen.name:<20} held-out {100 * score['chosen'] / len(held):6.2f} %"
              f" | model alone {100 * score['model alone'] / len(held):6.2f} %"
              f" | dictionaries alone {100 * score['dictionaries alone'] / len(held):6.2f} %")
    print(f"  all folds: chosen {100 * total['chosen'] / count:.2f} %, model alone {100 * total['model alone'] / count:.2f} %,"
          f" dictionaries alone {100 * total['dictionaries alone'] / count:.2f} %;"
          f" {'never' if never_worse else 'SOMETIMES'} worse than the best single component in a fold")


def run(corpus: Path, limit: int | None, n_folds: int) -> None:
    """Measure and print."""
    items = load_cpp(corpus, "dev", limit)
    golds = [g for _, _, g in items]
    converter = PinyinConverter()
    evidence = [converter.evidence(text, score_all=True)[i] for text, i, _ in items]
    print(f"CPP dev: {len(items)} sentences; default options: evidence {converter.options.dictionary_evidence!r},"
          f" model trusted at p >= {converter.options.model_trust_prob:g}")
    grid = settings()
    right = {s.name: [reading(s, ev) == g for ev, g in zip(evidence, golds)] for s in grid}
    model = [reading(grid[0], ev) for ev in evidence]
    overrules = {s.name: [reading(s, ev) != m for ev, m in zip(evidence, model)] for s in grid}
    print("dev accuracy of every setting (for reference only; nothing is chosen from these):")
    for s in grid:
        print(f"  {s.name:<22} {100 * sum(right[s.name]) / len(items):6.2f} %  overrules the model {sum(overrules[s.name]):4d}x")
    order = list(range(len(items)))
    random.Random(SEED).shuffle(order)
    cross_validate(f"{n_folds}-fold cross-validation, random folds:", [order[k::n_folds] for k in range(n_folds)],
                   grid, right, overrules)
    chars = sorted({text[i] for text, i, _ in items})
    random.Random(SEED).shuffle(chars)
    fold_of = {c: k % n_folds for k, c in enumerate(chars)}
    grouped = [[j for j, (text, i, _) in enumerate(items) if fold_of[text[i]] == k] for k in range(n_folds)]
    cross_validate(f"{n_folds}-fold cross-validation, folds grouped by target character:", grouped, grid, right, overrules)
    picked = choose(grid, right, overrules, list(range(len(items))))
    print(f"the procedure on all of dev picks: {picked.name} (use it as the default)")
    held_out_splits(corpus, converter, picked)
    low_confidence(evidence, golds, converter.options)
    speed(converter, [text for text, _, _ in items])


def held_out_splits(corpus: Path, converter: PinyinConverter, picked: Setting) -> None:
    """Score any other CPP split in the folder with the picked setting and the single components."""
    for sent_file in sorted(corpus.glob("cpp_*.sent")):
        split = sent_file.stem.removeprefix("cpp_")
        if split == "dev" or not (corpus / f"cpp_{split}.lb").is_file():
            continue
        items = load_cpp(corpus, split, None)
        evidence = [converter.evidence(text, score_all=True)[i] for text, i, _ in items]
        for s in (picked, Setting("model alone", None), Setting("dictionaries alone", None)):
            score = sum(reading(s, ev) == g for ev, (_, _, g) in zip(evidence, items)) / len(items)
            print(f"held-out split {split!r} ({len(items)} targets): {s.name:<20} {100 * score:.2f} %")


def low_confidence(evidence: list[CharEvidence], golds: list[str], options: PinyinOptions) -> None:
    """How many targets the default options flag as low confidence, and how often those are right."""
    flagged = right_flagged = right_other = 0
    for ev, gold in zip(evidence, golds):
        chosen = decide(ev, options)[0]
        if ev.model and ev.model.get(chosen or "", 0.0) < LOW_CONFIDENCE_PROB:
            flagged += 1
            right_flagged += chosen == gold
        else:
            right_other += chosen == gold
    other = len(golds) - flagged
    print(f"low confidence (p < {LOW_CONFIDENCE_PROB}): {flagged} of {len(golds)} targets flagged "
          f"({100 * flagged / len(golds):.1f} %), {100 * right_flagged / max(flagged, 1):.1f} % of them right; "
          f"{100 * right_other / max(other, 1):.2f} % right among the rest")


def speed(converter: PinyinConverter, sentences: list[str]) -> None:
    """Sentences per second of the default converter (one process; label it if the machine was busy)."""
    start = time.perf_counter()
    for text in sentences:
        converter.sentence(text)
    elapsed = time.perf_counter() - start
    chars = sum(map(len, sentences))
    print(f"speed: {len(sentences) / elapsed:.0f} sentences/s ({chars / len(sentences):.1f} chars/sentence, one process)")


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("BOOKVOICE_SHARED") or Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--corpus", type=Path, default=shared / "corpora/polyphone")
    parser.add_argument("--limit", type=int, default=None, help="only the first N sentences")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    run(args.corpus, args.limit, args.folds)


if __name__ == "__main__":
    main()
