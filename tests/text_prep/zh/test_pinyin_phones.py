"""Syllable -> [initial, final+tone] by rule, checked against the reference's key list and exceptions."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from text_prep.zh.pinyin_phones import PinyinError, is_syllable, syllable_phones
from text_prep.phones.symbols import load_symbols


@pytest.mark.parametrize(("syllable", "phones"), [
    ("ni3", ("n", "i3")), ("hao3", ("h", "ao3")), ("ai4", ("AA", "ai4")), ("yi1", ("y", "i1")),
    ("yue4", ("y", "ve4")), ("shi4", ("sh", "ir4")), ("zai4", ("z", "ai4")), ("zi5", ("z", "i05")),
    ("yan2", ("y", "En2")), ("ye3", ("y", "E3")), ("ju4", ("j", "v4")), ("lv4", ("l", "v4")),
    ("lve4", ("l", "ve4")), ("xuan2", ("x", "van2")), ("gui4", ("g", "ui4")), ("er2", ("EE", "er2")),
    ("ou1", ("OO", "ou1")), ("wu3", ("w", "u3")), ("n2", ("EE", "en2")), ("r5", ("EE", "er5")),
])
def test_examples(syllable: str, phones: tuple[str, str]) -> None:
    assert syllable_phones(syllable) == phones


def _appendix_b_keys(kit_dir: Path) -> list[str]:
    text = (kit_dir / "REFERENCE.md").read_text(encoding="utf-8")
    block = text.split("## Appendix B", 1)[1].split("The keys are:", 1)[1]
    return re.findall(r"[a-z]+", block.split("(The", 1)[0])


def test_every_reference_syllable_maps_into_the_symbol_table(kit_dir: Path) -> None:
    keys = _appendix_b_keys(kit_dir)
    assert len(keys) == 429
    symbols = set(load_symbols("v1"))
    exceptions = {"zi": "i0", "ci": "i0", "si": "i0", "zhi": "ir", "chi": "ir", "shi": "ir", "ri": "ir",
                  "yan": "En", "ye": "E"}
    for key in keys:
        for tone in "12345":
            initial, final = syllable_phones(key + tone)
            assert {initial, final} <= symbols, key
            assert final[:-1] == exceptions.get(key, final[:-1]), key
        if key[0] in "aeo":
            assert initial == {"a": "AA", "e": "EE", "o": "OO"}[key[0]]
        elif key.startswith(("ju", "qu", "xu", "yu")):
            assert final.startswith("v"), key
        elif key not in exceptions:
            assert initial + final[:-1] == key, key


@pytest.mark.parametrize("bad", ["zhang", "zhng3", "xa3", "gi2", "abc1", "", "3"])
def test_rejects_non_syllables(bad: str) -> None:
    assert not is_syllable(bad)
    with pytest.raises(PinyinError):
        syllable_phones(bad)
