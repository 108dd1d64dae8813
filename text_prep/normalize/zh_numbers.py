"""Chinese readings of numbers: cardinals (cn2an), digit strings, decimals, fractions, years."""
from __future__ import annotations

DIGITS = "零一二三四五六七八九"
PHONE_ONE = "幺"  # "1" in phone numbers and codes
MAX_CARDINAL_DIGITS = 16  # longest integer cn2an reads; longer ones are read digit by digit
LARGE_UNITS = frozenset("百千万亿")
# Measure words after which a bare 2 is read 两 ("2个" -> 两个, but "2月", "2号", "2两" keep 二).
LIANG_CLASSIFIERS = frozenset(
    "个年岁天次本只位人种件条张台辆家项名周倍场座所份篇部批支节届头匹口间把双对句点分秒"
    "块元角毛杯碗瓶盒袋箱根棵朵片颗粒封首幅段套组类门股声步趟遍回下眼层米克吨升斤公千百万亿"
    "小英毫厘海里亩平立度瓦伏赫秒"
)


def digits(number: str, phone: bool = False) -> str:
    """Digit-by-digit reading ("2015" -> 二零一五; phone=True reads 1 as 幺)."""
    text = "".join(DIGITS[int(ch)] for ch in number if ch.isdigit())
    return text.replace("一", PHONE_ONE) if phone else text


def cardinal(number: str, next_char: str = "") -> str:
    """An integer ("1,200", "-3") read as a quantity; ``next_char`` (what follows it) picks 两 over 二."""
    sign = ""
    if number.startswith(("-", "−")):
        sign, number = "负", number[1:]
    number = number.replace(",", "")
    if len(number) > 1 and number.startswith("0") or len(number) > MAX_CARDINAL_DIGITS:
        return sign + digits(number)
    import cn2an  # imported on first use: it takes a quarter of a second

    text = cn2an.an2cn(number)
    if text.startswith("二") and (text[1:2] in LARGE_UNITS or (text == "二" and next_char in LIANG_CLASSIFIERS)):
        text = "两" + text[1:]
    return sign + text


def decimal(number: str, next_char: str = "") -> str:
    """An integer or decimal ("6.42" -> 六点四二, ".5" -> 零点五)."""
    whole, dot, fraction = number.partition(".")
    if not dot:
        return cardinal(whole, next_char)
    if whole in ("", "-", "−"):
        whole += "0"
    return cardinal(whole) + "点" + digits(fraction)


def fraction(numerator: str, denominator: str) -> str:
    """A fraction ("3/16" -> 十六分之三)."""
    return f"{decimal(denominator)}分之{decimal(numerator)}"


def year(number: str) -> str:
    """A year, digit by digit ("1990" -> 一九九零)."""
    return digits(number)
