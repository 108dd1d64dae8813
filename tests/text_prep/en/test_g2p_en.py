"""English G2P: dictionary words, acronyms, camel case, possessives, and a real out-of-vocabulary fallback."""
from __future__ import annotations

import pytest

from text_prep.en.lts import default_model
from text_prep.en.g2p import ARPABET, cmu, g2p_en, spell, word_phones


def _g(text: str) -> str:
    return " ".join(g2p_en(text))


def test_dictionary_words_and_punctuation() -> None:
    assert _g("Hello, world!") == "HH AH0 L OW1 , W ER1 L D !"
    assert _g("Wait; what: now...") == "W EY1 T , W AH1 T , N AW1 …"
    assert _g("quick-witted") == "K W IH1 K W IH1 T IH0 D"          # no pause inside a hyphenated word


def test_acronyms_are_spelled_and_words_in_capitals_are_not() -> None:
    assert _g("GPU") == "JH IY1 P IY1 Y UW1"
    assert _g("It is IT.") == "IH1 T IH1 Z AY1 T IY1 ."
    assert _g("NASA") == "N AE1 S AH0"                              # a long dictionary acronym is a word
    assert _g("THE END") == "DH AH0 EH1 N D"                        # a heading, not two acronyms
    assert _g("ChatGPT") == "CH AE1 T " + " ".join(spell("GPT"))
    assert _g("A cat and plan A") == "AH0 K AE1 T AH0 N D P L AE1 N EY1"


def test_possessive_and_plural() -> None:
    assert _g("Frankenstein's").endswith("N Z")
    assert _g("Smith's").endswith("TH S")
    assert _g("Rose's").endswith("Z IH0 Z")


@pytest.mark.parametrize("word", ["Zorblaxian", "glimphorious", "Quenthrax", "bookvoice"])
def test_out_of_vocabulary_words_are_pronounced_not_spelled(word: str) -> None:
    assert word.lower() not in cmu()
    phones = word_phones(word)
    assert phones and set(phones) <= ARPABET
    assert phones != tuple(spell(word)) and len(phones) <= len(word) + 2
    assert sum(p.endswith("1") for p in phones) == 1               # exactly one primary stress
    assert any(p[-1].isdigit() for p in phones)


def test_compound_split_uses_dictionary_parts() -> None:
    assert word_phones("bookvoice") == tuple(cmu()["book"][0] + ["V", "OY2", "S"])


def test_letter_to_sound_model_reproduces_dictionary_words() -> None:
    words = sorted(cmu())[::997][:120]
    words = [w for w in words if w.isalpha()]
    model = default_model()
    right = sum([p.rstrip("012") for p in model.predict(w)] == [p.rstrip("012") for p in cmu()[w][0]]
                for w in words)
    assert right / len(words) > 0.7


def test_digits_and_empty_input() -> None:
    assert _g("H100") == " ".join(spell("H")) + " W AH1 N HH AH1 N D R AH0 D"
    assert g2p_en("") == [] and g2p_en("!!! ...") == ["!"]
