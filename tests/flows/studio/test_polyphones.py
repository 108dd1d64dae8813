"""Polyphone highlighting: readings and alternatives from the front-end, low confidence from its own judgement."""
from __future__ import annotations

from flows.studio.polyphones import find_polyphones
from text_prep.phones.lexicon import Lexicon
from text_prep.zh import pinyin


def test_polyphones_carry_their_reading_and_alternatives():
    found = {p.char: p for p in find_polyphones("他觉得这条路很长", Lexicon.empty())}
    assert found["长"].reading == "chang2" and "zhang3" in found["长"].alternatives
    assert found["觉"].reading == "jue2" and "jiao4" in found["觉"].alternatives
    assert "他" not in found                     # not polyphonic for the polyphone model: not highlighted
    assert find_polyphones("The lighthouse.", Lexicon.empty()) == []


def test_low_confidence_is_the_front_ends_judgement_and_a_lexicon_entry_settles_it(tmp_path, monkeypatch):
    text = "他觉得这条路很长"
    index = text.index("长")
    doubt = pinyin.UncertainReading(index, "长", "chang2", 0.55, (("zhang3", 0.45),), "model")
    monkeypatch.setattr(pinyin, "uncertain_readings", lambda t, below=pinyin.LOW_CONFIDENCE_PROB: [doubt])
    low = [p for p in find_polyphones(text, Lexicon.empty()) if p.low_confidence]
    assert [(p.char, p.alternatives[0]) for p in low] == [("长", "zhang3")]

    lexicon_file = tmp_path / "lexicon.txt"
    lexicon_file.write_text("很长 hen3 zhang3\n", encoding="utf-8")
    fixed = next(p for p in find_polyphones(text, Lexicon.load(lexicon_file)) if p.char == "长")
    assert (fixed.reading, fixed.source, fixed.low_confidence) == ("zhang3", "lexicon", False)
