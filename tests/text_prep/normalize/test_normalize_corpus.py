"""WeTextProcessing test pairs: pass rate per category and overall, at least 90 % for en and 85 % for zh.

Chinese follows the reference GPT-SoVITS front-end's conventions where they differ from WeTextProcessing's
(the voices were trained on them): a bare integer of three or more digits is a code read digit by digit,
二 not 两 inside numbers and clock hours, ℃ read 度. The "number" category (isolated integers, all codes by
that convention) is therefore left out for zh.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from text_prep.normalize import normalize_en, normalize_zh
from text_prep.normalize.tn_corpus import TnPair, load_pairs, overall, score, spoken_key

NORMALIZERS = {"zh": normalize_zh, "en": normalize_en}
REQUIRED_RATE = {"zh": 0.85, "en": 0.90}
LEFT_OUT = {"zh": {"number"}, "en": set()}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wetextprocessing_pass_rate(corpora_dir: Path, lang: str) -> None:
    folder = corpora_dir / "tn" / "WeTextProcessing" / lang
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    scores = score([p for p in load_pairs(folder) if p.category not in LEFT_OUT[lang]], NORMALIZERS[lang])
    for s in scores:
        print(f"{lang} {s.category:<20} {s.passed}/{s.total} {s.rate:.1%}")
    rate = overall(scores)
    print(f"{lang} overall {rate:.1%}")
    assert rate >= REQUIRED_RATE[lang], [(f.written, got) for s in scores for f, got in s.failures]


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
