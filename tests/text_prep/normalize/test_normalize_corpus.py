"""WeTextProcessing test pairs: pass rate per category and overall, at least 90 % for zh and for en."""
from __future__ import annotations

from pathlib import Path

import pytest

from text_prep.normalize import normalize_en, normalize_zh
from text_prep.normalize.tn_corpus import TnPair, load_pairs, overall, score, spoken_key

NORMALIZERS = {"zh": normalize_zh, "en": normalize_en}
REQUIRED_RATE = 0.90


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wetextprocessing_pass_rate(corpora_dir: Path, lang: str) -> None:
    folder = corpora_dir / "tn" / "WeTextProcessing" / lang
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    scores = score(load_pairs(folder), NORMALIZERS[lang])
    for s in scores:
        print(f"{lang} {s.category:<20} {s.passed}/{s.total} {s.rate:.1%}")
    rate = overall(scores)
    print(f"{lang} overall {rate:.1%}")
    assert rate >= REQUIRED_RATE, [(f.written, got) for s in scores for f, got in s.failures]


def test_load_pairs_and_score(tmp_path: Path) -> None:
    (tmp_path / "money.txt").write_text("$1 => one dollar\n$2 => two dollars\nno separator\n", encoding="utf-8")
    (tmp_path / "word.txt").write_text("中 =>\n", encoding="utf-8")
    pairs = load_pairs(tmp_path)
    assert pairs == [TnPair("money", "$1", "one dollar"), TnPair("money", "$2", "two dollars"), TnPair("word", "中", "")]
    scores = score(pairs, lambda text: "one dollar" if text == "$1" else text)
    assert [(s.category, s.passed, s.total) for s in scores] == [("money", 1, 2), ("word", 0, 1)]
    assert overall(scores) == pytest.approx(1 / 3)


def test_spoken_key_ignores_spaces_punctuation_and_case() -> None:
    assert spoken_key('He said: "Twenty-one," AM') == spoken_key("he said twenty one am")
    assert spoken_key("他说:“好!”") == "他说好"
