"""English G2P: the reference's dictionary, names, homographs by part of speech, spelling, parts and guesses."""
from __future__ import annotations

import pytest

from text_prep.en.dictionary import homograph_phones, names, pronunciations
from text_prep.en.g2p import ARPABET, g2p_en, lookup, prepare, spell, word_phones
from text_prep.en.neural_g2p import neural_g2p


def _g(text: str) -> str:
    return " ".join(g2p_en(text))


def test_the_reference_dictionary_is_read_not_the_newer_cmudict() -> None:
    assert _g("Alice") == "AE1 L IH0 S"                   # CMUdict 0.7b, not AH0
    assert pronunciations()["chatgpt"] == ("CH", "AE1", "T", "JH", "IY1", "P", "IY1", "T", "IY1")   # hot fix
    assert "ai" not in pronunciations()                   # dropped by the reference: spelled
    assert _g("Hello, world!") == "HH AH0 L OW1 , W ER1 L D !"


def test_homographs_follow_the_part_of_speech() -> None:
    assert _g("I used to go.").split()[1:5] == ["Y", "UW1", "S", "T"]
    assert _g("The subject is hard.").split()[2:8] == ["S", "AH1", "B", "JH", "IH0", "K"]
    assert homograph_phones("read", "VBD") == ("R", "EH1", "D")
    assert homograph_phones("read", "VB") == ("R", "IY1", "D")     # the reference's prefix rule


def test_unknown_words_names_spelling_and_parts() -> None:
    assert "lacie" in names() and word_phones("Lacie") == names()["lacie"]   # title case: the name list
    assert lookup("youd") == ("Y", "UW1", "D", "IY1")        # you + d, a short part spelled
    assert lookup("hed") == tuple(spell("hed"))              # up to three letters: spelled
    assert lookup("mouseof") == pronunciations()["mouse"] + pronunciations()["of"]


def test_the_network_guesses_like_g2p_en() -> None:
    assert neural_g2p().predict("doesnt") == ("D", "OW1", "S", "AH0", "N", "T")
    phones = word_phones("Zorblaxian")
    assert phones and set(phones) <= ARPABET


def test_possessives() -> None:
    assert _g("Smith's").endswith("TH S")
    assert lookup("kirwin's")[-1] == "Z"


def test_marks_and_characters_the_reference_keeps() -> None:
    assert prepare("(Alice) said “no”…") == "Alice said no."      # an ellipsis is a full stop
    assert _g("Now...") == "N AW1 ."                          # a run of marks is its first mark
    assert _g("'Yes,' said Alice.").split()[:2] == ["-", "Y"]   # a quote mark ' reads as -
    assert _g("quick-witted") == "K W IH1 K W IH1 T IH0 D"
    assert _g("McDonald").split() == list(lookup("Mc")) + list(lookup("Donald"))


def test_acronyms_and_words_in_capitals() -> None:
    assert _g("GPU") == "JH IY1 P IY1 Y UW1"
    assert _g("It is IT.") == "IH1 T IH1 Z AY1 T IY1 ."
    assert _g("THE END") == "DH AH0 EH1 N D"                  # shouting: words, not letters
    assert _g("ChatGPT is here") == "CH AE1 T " + " ".join(spell("GPT")) + " IH1 Z HH IY1 R"


@pytest.mark.parametrize(("text", "phones"), [
    ("A cat and plan A", "AH0 K AE1 T AH0 N D P L AE1 N EY1"),
    ("", ""),
    ("!!! ...", "!"),
])
def test_small_cases(text: str, phones: str) -> None:
    assert _g(text) == phones
