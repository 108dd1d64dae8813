"""English normalisation: one case (or a few) per rule, exact spoken forms."""
from __future__ import annotations

import pytest

from text_prep.normalize import normalize_en


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        # cardinals, ordinals, decimals, negatives
        ("number 256", "number two hundred and fifty six"),
        ("There were 2,500 soldiers.", "There were two thousand five hundred soldiers."),
        ("-23", "negative twenty three"),
        ("this is 12th game", "this is twelfth game"),
        ("21st", "twenty first"),
        ("-12.5006 billion", "minus twelve point five oh oh six billion"),
        (".5", "point five"),
        ("007", "oh oh seven"),
        ("MP3 player", "MP three player"),
        # fractions
        ("1/2", "one half"),
        ("2/4", "two quarters"),
        ("23/44", "twenty three forty fourths"),
        ("23 4/5", "twenty three and four fifths"),
        ("2½ cups", "two and a half cups"),
        ("¾ people", "three quarters people"),
        # ranges
        ("lose 3-4 pounds", "lose three to four pounds"),
        ("Mon.-Sun.", "Monday to Sunday"),
        # phone numbers, ZIP codes
        ("+1 123-123-5678-1", "plus one, one two three, one two three, five six seven eight, one"),
        ("Call (555) 123-4567 now!", "Call five five five, one two three, four five six seven now!"),
        ("1-800-GO-U-HAUL", "one, eight hundred, GO U HAUL"),
        ("Santa Clara, CA 95051", "Santa Clara, California nine five oh five one"),
        # dates and years
        ("2012-01-05", "the fifth of January twenty twelve"),
        ("jan. 5, 2012", "the fifth of January, twenty twelve"),
        ("5 january 2012", "the fifth of January twenty twelve"),
        ("The 3rd of May", "The third of May"),
        ("you may 5", "you may five"),
        ("in 1987 and 2023.", "in nineteen eighty seven and twenty twenty three."),
        ("2024 B.C", "twenty twenty four BC"),
        ("the '70s", "the seventies"),
        ("The 1990s", "The nineteen nineties"),
        ("3Q22", "the third quarter of twenty two"),
        # times
        ("02:00", "two o'clock"),
        ("2:05", "two oh five"),
        ("12:30 a.m. est", "twelve thirty AM EST"),
        ("2.30 a.m.", "two thirty AM."),
        ("Meet me at 3 p.m. today", "Meet me at three PM today"),
        ("10:00:05 a.m.", "ten hours zero minutes and five seconds AM."),
        ("He scored 3:2.", "He scored three to two."),
        # money
        ("$12.05", "twelve point oh five dollars"),
        ("$1.00", "one dollar"),
        ("$1.2 million", "one point two million dollars"),
        ("He paid €20 and £1", "He paid twenty euros and one pound"),
        ("100 USD", "one hundred US dollars"),
        # units
        ("1kg", "one kilogram"),
        ("-12kg", "negative twelve kilograms"),
        ("3.5 cm²", "three point five square centimeters"),
        ("2-3 °C", "two to three degrees Celsius"),
        ("65 mph", "sixty five miles per hour"),
        ("It's 50% off.", "It's fifty percent off."),
        ("a 6'2\" man", "a six foot two man"),
        # math signs
        ("2 * 10 μm", "two times ten micrometers"),
        ("5 - 3 = 2", "five minus three equals two"),
        ("if x<5", "if x less than five"),
        ("±2", "plus or minus two"),
        # abbreviations, acronyms, Roman numerals, addresses, e-mail, URLs
        ("Mr. Smith met Dr. Jones in St. Louis.", "Mister Smith met Doctor Jones in Saint Louis."),
        ("Koppers Co. From", "Koppers company From"),
        ("Ph.D.", "P H D."),
        ("He lived in the U.S.", "He lived in the U S."),
        ("No. 7", "number seven"),
        ("World War II", "World War two"),
        ("Henry VIII", "Henry the eighth"),
        ("IV", "four"),
        ("I think I can.", "I think I can."),
        ("2788 San Tomas Expy", "twenty seven eighty eight San Tomas Expressway"),
        ("Stroudsburg, PA", "Stroudsburg, Pennsylvania"),
        ("Fine, OK.", "Fine, OK."),
        ("cdf1@abc.edu", "cdf one at abc dot edu"),
        ("visit www.example.com/path", "visit w w w dot example dot com slash path"),
        ("AT&T", "AT and T"),
        ("B2B", "B to B"),
    ],
)
def test_rules(written: str, spoken: str) -> None:
    assert normalize_en(written) == spoken


def test_text_without_numbers_is_unchanged() -> None:
    for text in ("The HTML tag <p> defines a paragraph.", "Try searching for 'Toyota'", "(hello)", '""'):
        assert normalize_en(text) == text
