"""Spoken names of math signs, and the set of non-ASCII symbols some rule reads aloud."""
from __future__ import annotations

from text_prep.normalize.rules import compiled

# sign -> (Chinese, English); multi-character signs first so a regex alternation prefers them.
MATH_SIGNS: dict[str, tuple[str, str]] = {
    "<=": ("小于等于", "less than or equal to"),
    ">=": ("大于等于", "greater than or equal to"),
    "!=": ("不等于", "not equal to"),
    "≤": ("小于等于", "less than or equal to"),
    "≥": ("大于等于", "greater than or equal to"),
    "≠": ("不等于", "not equal to"),
    "≈": ("约等于", "approximately equals"),
    "±": ("正负", "plus or minus"),
    "=": ("等于", "equals"),
    "+": ("加", "plus"),
    "-": ("减", "minus"),
    "−": ("减", "minus"),
    "×": ("乘", "times"),
    "*": ("乘", "times"),
    "÷": ("除以", "divided by"),
    "<": ("小于", "less than"),
    ">": ("大于", "greater than"),
}
# Signs that are read even when not between two numbers ("≥100万", "±2").
FREE_SIGNS = ("≤", "≥", "≠", "≈", "±", "×", "÷", "√", "∞", "π")
FREE_SIGN_WORDS: dict[str, tuple[str, str]] = {
    **{sign: MATH_SIGNS[sign] for sign in FREE_SIGNS if sign in MATH_SIGNS},
    "√": ("根号", "square root of"),
    "∞": ("无穷大", "infinity"),
    "π": ("派", "pi"),
}
# Non-ASCII symbols that some rule turns into words (kept by the unpronounceable-symbol filter).
SPOKEN_SYMBOLS = frozenset("±×÷≤≥≠≈−√∞°℃℉㎡㎥㎏㎞㎝㎜㎎㎖㏄²³‰µμ¼½¾⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞￥¥€£₩₹")

# Operators recognised between two numbers (longest first).
OPERATOR = r"<=|>=|!=|[=+×÷*<>≤≥≠≈−-]"


def split_expression(expression: str, operand: str) -> list[str]:
    """'5-3 = -2' -> ['5', '-', '3', '=', '-2']: operands (matching ``operand``) alternating with operators."""
    first = compiled(rf"\s*({operand})").match(expression)
    if first is None:
        return [expression]
    parts = [first.group(1)]
    for match in compiled(rf"\s*({OPERATOR})\s*({operand})").finditer(expression, first.end()):
        parts += [match.group(1), match.group(2)]
    return parts


def is_plain_range(parts: list[str]) -> bool:
    """True when the only operators are dashes ('3-5'): a range, not a subtraction."""
    return all(op in ("-", "−") for op in parts[1::2])
