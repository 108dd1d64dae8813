"""English readings of numbers (num2words underneath): cardinals, ordinals, years, decimals, digits, fractions."""
from __future__ import annotations

import functools

from num2words import num2words

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
OH = "oh"  # "0" read inside digit strings and after a decimal point
MAX_CARDINAL_DIGITS = 30  # longer integers are read digit by digit
SPECIAL_DENOMINATORS = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _plain(words: str) -> str:
    """num2words output without commas and hyphens ("twenty-one" -> "twenty one")."""
    return words.replace(",", "").replace("-", " ")


def digits(number: str, zero: str = OH) -> str:
    """Digit-by-digit reading ("95051" -> "nine five oh five one")."""
    return " ".join(zero if ch == "0" else DIGIT_WORDS[int(ch)] for ch in number if ch.isdigit())


@functools.lru_cache(maxsize=4096)
def cardinal(number: str) -> str:
    """An integer ("1,200", "-3") in words ("one thousand two hundred", "negative three")."""
    sign = ""
    if number.startswith(("-", "−")):
        sign, number = "negative ", number[1:]
    number = number.replace(",", "")
    if len(number) > MAX_CARDINAL_DIGITS:
        return sign + digits(number, zero="zero")
    return sign + _plain(num2words(int(number)))


@functools.lru_cache(maxsize=1024)
def ordinal(number: str) -> str:
    """An ordinal ("21" -> "twenty first")."""
    return _plain(num2words(int(number.replace(",", "")), to="ordinal"))


@functools.lru_cache(maxsize=1024)
def year(number: str) -> str:
    """A year as spoken ("2012" -> "twenty twelve", "1900" -> "nineteen hundred")."""
    return _plain(num2words(int(number), to="year"))


def decimal(number: str) -> str:
    """An integer or decimal; after the point digit by digit ("-12.05" -> "minus twelve point oh five")."""
    whole, dot, fraction = number.partition(".")
    if not dot:
        return cardinal(whole)
    sign = ""
    if whole.startswith(("-", "−")):
        sign, whole = "minus ", whole[1:]
    head = f"{cardinal(whole)} " if whole else ""
    return f"{sign}{head}point {digits(fraction)}"


def fraction(numerator: str, denominator: str) -> str:
    """A fraction ("1/2" -> "one half", "3/4" -> "three quarters", "23/44" -> "twenty three forty fourths")."""
    top, bottom = int(numerator), int(denominator)
    singular, plural = SPECIAL_DENOMINATORS.get(bottom) or (ordinal(denominator), ordinal(denominator) + "s")
    return f"{cardinal(numerator)} {singular if top == 1 else plural}"


def plural_words(words: str) -> str:
    """The plural of a spoken number ("nineteen ninety" -> "nineteen nineties")."""
    return words[:-1] + "ies" if words.endswith("y") else words + "s"
