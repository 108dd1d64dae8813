"""Each deliberate difference from the reference front-end, checked on its example."""
from __future__ import annotations

import pytest

from text_prep.phones.differences import DIFFERENCES, Difference
from text_prep.phones.frontend import phonemize


@pytest.mark.parametrize("row", DIFFERENCES, ids=[d.name for d in DIFFERENCES])
def test_difference_example(row: Difference) -> None:
    result = phonemize(row.example, lang=row.lang)
    assert result.norm_text == row.norm_text
    assert f" {row.phones} " in f" {' '.join(result.phones)} "


def test_every_marked_reference_bug_of_the_agreement_set_is_listed() -> None:
    marked = {d.name for d in DIFFERENCES if d.marked}
    assert marked == {"semicolon-colon", "em-dash", "curly-apostrophe", "abbrev-full-stop", "capital-A-letter",
                      "year-digits", "measure-digits", "dash-as-minus", "fullwidth-stop-deleted"}
    assert len({d.name for d in DIFFERENCES}) == len(DIFFERENCES)
