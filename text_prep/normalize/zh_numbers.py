"""Chinese readings of numbers: cardinals (cn2an), digit strings, decimals, fractions, years.

Conventions are the reference front-end's (what its voices were trained on): 2 before a measure word is
两 but never in a larger number (二百, 二千); trailing decimal zeros are read as one 零 (36.00 -> 三十六点零).
"""
from __future__ import annotations

DIGITS = "零一二三四五六七八九"
PHONE_ONE = "幺"  # "1" in phone numbers and codes
MAX_CARDINAL_DIGITS = 16  # longest integer cn2an reads; longer ones are read digit by digit
# Measure words after which a bare 2 is read 两 ("2个" -> 两个, but "2月", "2号", "2两" keep 二).
LIANG_CLASSIFIERS = frozenset(
    "个年岁天次本只位人种件条张台辆家项名周倍场座所份篇部批支节届头匹口间把双对句点分秒"
    "块元角毛杯碗瓶盒袋箱根棵朵片颗粒封首幅段套组类门股声步趟遍回下眼层米克吨升斤公千百万亿"
    "小英毫厘海里亩平立度瓦伏赫秒"
)
# What may follow a number read as a quantity; a number of three or more digits followed by none of
# these is a code (an ID, a room or phone number) and is read digit by digit, as the reference does.
# A superset of the reference's own list, so that it never reads a code where the reference counts.
MEASURE_WORDS = LIANG_CLASSIFIERS | frozenset(
    "处架枚堵床株例列栋注艘目尾阙阵炮顶丘袭挑担壳窠曲墙群腔砣客贯扎捆刀令打手罗坡山岭江溪钟队单出脚板"
    "跳枝贴针线管身堂课页户丝钱两铢石钧锱忽寸尺丈寻常铺程撮勺合斗盘碟叠桶笼盆斛锅簋篮罐壶卮盏箩煲啖钵"
    "月日季刻时旬纪世更夜春夏秋冬代辈丸泡幢堆道面微美十骑卷册级轮期多余几兆")
MIN_CODE_DIGITS = 3


def digits(number: str, phone: bool = False) -> str:
    """Digit-by-digit reading ("2015" -> 二零一五; phone=True reads 1 as 幺)."""
    text = "".join(DIGITS[int(ch)] for ch in number if ch.isdigit())
    return text.replace("一", PHONE_ONE) if phone else text


def is_code(number: str, after: str) -> bool:
    """A plain integer of three or more digits that no measure word follows: read digit by digit."""
    return len(number) >= MIN_CODE_DIGITS and number.isdigit() and after.lstrip()[:1] not in MEASURE_WORDS


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
    if text == "二" and next_char in LIANG_CLASSIFIERS:
        text = "两"
    return sign + text


def decimal(number: str, next_char: str = "") -> str:
    """An integer or decimal ("6.42" -> 六点四二, ".5" -> 零点五)."""
    whole, dot, fraction = number.partition(".")
    if not dot:
        return cardinal(whole, next_char)
    if whole in ("", "-", "−"):
        whole += "0"
    if fraction.endswith("0"):
        fraction = fraction.rstrip("0") + "0"          # 36.00 -> 三十六点零, as the reference reads it
    return cardinal(whole) + "点" + digits(fraction)


def fraction(numerator: str, denominator: str) -> str:
    """A fraction ("3/16" -> 十六分之三)."""
    return f"{decimal(denominator)}分之{decimal(numerator)}"


def year(number: str) -> str:
    """A year, digit by digit ("1990" -> 一九九零)."""
    return digits(number)
