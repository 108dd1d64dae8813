"""Agreement with the reference GPT-SoVITS front-end on the public set (../shared/gsv-conformance/frontend).

Usage: .venv/bin/python bench/bench_frontend_agreement.py [--shared ../shared] [--lang zh|en] [--show CLASS]
Prints, per language, the share of sentences whose phones equal the reference's (all sentences), the
README's figure 3 (zh: differences that are only polyphone choices forgiven; both languages: sentences
marked ``reference_bug`` left out), and per difference class how many sentences show at least one:
polyphone, sandhi/neutral tone, erhua, reading (a non-polyphonic character read otherwise), normalisation,
punctuation, English dictionary/homograph, other. ``--show CLASS`` prints those sentences' differences.
Scoring follows the set's README: characters of the two norm_texts aligned, split into syllables by word2ph.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from text_prep.phones.frontend import Phonemes, phonemize  # noqa: E402

MARKS = frozenset(",.!?…-")
SANDHI_FREE = frozenset("一不")       # any tone explained for these
MIN_PHONES = 6                        # fewer: the reference retries with "." + text
CLASSES = ("polyphone", "sandhi", "erhua", "reading", "normalisation", "punctuation", "en-word", "other")


@dataclass(frozen=True)
class Unit:
    """One aligned piece: a Chinese character with its phones, or a whole English run."""

    key: str
    phones: tuple[str, ...]
    lang: str


def _units(segments: list[tuple[str, str, list[str], list[int] | None]]) -> list[Unit]:
    out: list[Unit] = []
    for lang, norm, phones, word2ph in segments:
        if lang == "zh" and word2ph:
            pos = 0
            for ch, n in zip(norm, word2ph):
                out.append(Unit(ch, tuple(phones[pos:pos + n]), "zh"))
                pos += n
        else:
            out.append(Unit("<en:" + norm.strip() + ">", tuple(phones), "en"))
    return out


def ref_units(row: dict) -> list[Unit]:
    """The reference's units (one zh segment unless it was split by language)."""
    if row.get("segments"):
        return _units([(s["lang"], s["norm_text"], s["phones"], s.get("word2ph")) for s in row["segments"]])
    return _units([("zh", row["norm_text"], row["phones"], row["word2ph"])])


def our_units(result: Phonemes) -> list[Unit]:
    """Our units, from the front-end's segments."""
    return _units([(s.lang, s.norm_text, list(s.phones), list(s.word2ph)) for s in result.segments])


def _explains(reading: str, syllable: tuple[str, ...], char: str) -> bool:
    """README: a reading explains a syllable when equal or differing only by a sandhi tone."""
    initial, final = reading.split(" ")
    if len(syllable) != 2 or syllable[0] != initial or syllable[1][:-1] != final[:-1]:
        return False
    r, s = final[-1], syllable[1][-1]
    return r == s or s == "5" or (r == "3" and s == "2") or char in SANDHI_FREE


def zh_classes(row: dict, ours: list[Unit]) -> list[tuple[str, str]]:
    """(class, description) for every difference between our units and the reference's."""
    theirs = ref_units(row)
    readings = row.get("pypinyin_readings") or {}
    out: list[tuple[str, str]] = []
    matcher = SequenceMatcher(None, [u.key for u in ours], [u.key for u in theirs], autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "replace" and a1 - a0 == b1 - b0 and all(u.lang == v.lang == "zh" for u, v in
                                                           zip(ours[a0:a1], theirs[b0:b1])):
            for u, v in zip(ours[a0:a1], theirs[b0:b1]):          # another character (么/麽): same phones?
                if u.phones != v.phones:
                    out.append(("normalisation", f"{u.key}: {' '.join(u.phones)} vs ref {v.key}: {' '.join(v.phones)}"))
            continue
        if op != "equal":
            a = "".join(u.key for u in ours[a0:a1])
            b = "".join(u.key for u in theirs[b0:b1])
            only_marks = all(k in MARKS for k in a + b)
            out.append(("punctuation" if only_marks else "normalisation", f"{a!r} vs ref {b!r}"))
            continue
        for u, v in zip(ours[a0:a1], theirs[b0:b1]):
            if u.phones == v.phones:
                continue
            desc = f"{u.key}: {' '.join(u.phones)} vs ref {' '.join(v.phones)}"
            if u.lang == "en":
                out.append(("en-word", desc))
            elif u.key == "儿":
                out.append(("erhua", desc))
            elif len(u.phones) != 2 or len(v.phones) != 2:
                out.append(("other", desc))
            else:
                options = readings.get(u.key, [])
                if any(_explains(r, u.phones, u.key) and _explains(r, v.phones, u.key) for r in options):
                    out.append(("sandhi", desc))
                elif len(options) >= 2:
                    out.append(("polyphone", desc))
                else:
                    out.append(("reading", desc))
    return out


def en_classes(row: dict, result: Phonemes) -> list[tuple[str, str]]:
    """Sentence-level classes for English: punctuation only, normalisation, or word phones."""
    ours, theirs = list(result.phones), row["phones"]
    if [p for p in ours if p not in MARKS] == [p for p in theirs if p not in MARKS]:
        return [("punctuation", f"{' '.join(ours)}\n      ref {' '.join(theirs)}")]
    out = []
    if result.norm_text.split() != row["norm_text"].split():
        out.append(("normalisation", f"{result.norm_text!r} vs ref {row['norm_text']!r}"))
    matcher = SequenceMatcher(None, [p for p in ours if p not in MARKS], [p for p in theirs if p not in MARKS],
                              autojunk=False)
    flat_ours = [p for p in ours if p not in MARKS]
    flat_theirs = [p for p in theirs if p not in MARKS]
    diffs = [f"{' '.join(flat_ours[a0:a1])} vs ref {' '.join(flat_theirs[b0:b1])}"
             for op, a0, a1, b0, b1 in matcher.get_opcodes() if op != "equal"]
    out.append(("en-word", "; ".join(diffs)[:400]))
    return out


def run(rows: list[dict], lang: str) -> list[tuple[dict, bool, list[tuple[str, str]]]]:
    """(row, exact, differences) for every row."""
    results = []
    for row in rows:
        text = re.sub(" {2,}", " ", row["text"])
        result = phonemize(text, lang=lang)
        if len(result.phones) < MIN_PHONES:
            result = phonemize("." + text, lang=lang)
        exact = list(result.phones) == row["phones"]
        if exact:
            results.append((row, True, []))
        elif lang == "zh":
            results.append((row, False, zh_classes(row, our_units(result))))
        else:
            results.append((row, False, en_classes(row, result)))
    return results


def report(lang: str, results: list[tuple[dict, bool, list[tuple[str, str]]]], show: str | None) -> None:
    """Print the figures of one language."""
    n = len(results)
    exact = sum(ok for _, ok, _ in results)
    clean = [(row, ok, diffs) for row, ok, diffs in results if not row.get("reference_bug")]
    forgiven = sum(ok or (lang == "zh" and all(c == "polyphone" for c, _ in diffs)) for _, ok, diffs in clean)
    poly_ok = sum(ok or all(c == "polyphone" for c, _ in diffs) for _, ok, diffs in results)
    print(f"{lang}: {n} sentences")
    print(f"  exact (all sentences)                        {exact:5d}  {100 * exact / n:6.1f} %")
    if lang == "zh":
        print(f"  excluding polyphone choices                  {poly_ok:5d}  {100 * poly_ok / n:6.1f} %")
    label = "excluding polyphone choices + reference bugs" if lang == "zh" else "excluding reference bugs"
    print(f"  {label:44s} {forgiven:5d}  {100 * forgiven / len(clean):6.1f} %  (of {len(clean)})")
    per_class: Counter[str] = Counter()
    for _, _, diffs in results:
        per_class.update({c for c, _ in diffs})
    print("  sentences with a difference of class:")
    for cls in CLASSES:
        if per_class[cls]:
            print(f"    {cls:14s} {per_class[cls]:5d}  {100 * per_class[cls] / n:6.1f} %")
    per_stratum: Counter[str] = Counter()
    stratum_ok: Counter[str] = Counter()
    for row, ok, diffs in results:
        per_stratum[row["stratum"]] += 1
        stratum_ok[row["stratum"]] += ok
    for stratum in sorted(per_stratum):
        print(f"    stratum {stratum:22s} exact {100 * stratum_ok[stratum] / per_stratum[stratum]:6.1f} %")
    if show:
        for row, _, diffs in results:
            picked = [d for c, d in diffs if c == show]
            if picked:
                bug = f" [{row['reference_bug']}]" if row.get("reference_bug") else ""
                print(f"  {row['id']}{bug} {row['text']}")
                for d in picked:
                    print(f"      {d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared")
    parser.add_argument("--lang", choices=("zh", "en"), action="append")
    parser.add_argument("--show", choices=CLASSES)
    parser.add_argument("--limit", type=int, default=0, help="only the first N sentences of each language")
    args = parser.parse_args()
    folder = args.shared / "gsv-conformance" / "frontend"
    for lang in args.lang or ("zh", "en"):
        rows = [json.loads(line) for line in (folder / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines()]
        if args.limit:
            rows = rows[:args.limit]
        report(lang, run(rows, lang), args.show)


if __name__ == "__main__":
    main()
