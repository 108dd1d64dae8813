"""Chinese text normalisation: written forms (numbers, dates, money, units...) to spoken Chinese.

Embedded English words are left as they are (the G2P segments languages); sentence punctuation
is kept, full-width ASCII forms become half-width, traditional characters become simplified.
"""
from __future__ import annotations

import re

from text_prep.normalize import zh_numbers as num
from text_prep.normalize.charset import drop_unspoken, unify_width
from text_prep.normalize.rules import Rule, apply_rules, compiled, squeeze_spaces
from text_prep.normalize.symbols import FREE_SIGN_WORDS, MATH_SIGNS, OPERATOR, is_plain_range, split_expression
from text_prep.normalize.traditional import to_simplified
from text_prep.normalize.units import CURRENCIES, POWER_WORDS, UNITS, currency_symbol_pattern, trim_amount, unit_pattern

NUM = r"[0-9]+(?:,[0-9]{3})*(?![0-9])(?:\.[0-9]+)?"  # 12 | 1,200 | 3.14
SIGNED = rf"[-−]?{NUM}"
START = r"(?<![0-9])(?<![0-9]\.)"  # a number starts here (not inside another one)
END = r"(?![0-9])"
# Anything that may need a rule; text without it only gets the character clean-up.
TRIGGER = r"[0-9±×÷≤≥≠≈√∞π]"
PHONE_CONTEXT = r"(?:电话|手机|号码|尾号|热线|拨打|致电|传真|分机|客服)(?:号码|号)?(?:是|为|:)?\s*"
ORDINAL_PREFIX = "第"
ZH_NUMERALS = "〇零一二三四五六七八九十百千万"
HOUR_PREFIX = {"a": "上午", "p": "下午"}
HALF_HOUR = 30
SCORE_END = r"(?=$|[\s,.!?;:)\]}\"'、。，！？；：”’）])"  # a "1-2" followed by this is a score


def _next_char(match: re.Match[str]) -> str:
    """The character right after ``match`` ("" at the end, or after 第: "第2名" is 第二名, never 第两名)."""
    if match.string[match.start() - 1:match.start()] == ORDINAL_PREFIX:
        return ""
    return match.string[match.end():match.end() + 1]


def _phone(match: re.Match[str]) -> str:
    """Keep the lead-in (group "lead", if any), read the digits of group "number" one by one."""
    lead = match.groupdict().get("lead") or ""
    return lead + num.digits(match.group("number"), phone=True)


def _dotted(match: re.Match[str]) -> str:
    """IP addresses and version strings: each part digit by digit, joined by 点."""
    return "点".join(num.digits(part) for part in match.group().split("."))


def _date(year: str | None, month: str | None, day: str | None) -> str:
    """Year digit by digit, month and day as cardinals (二零零八年八月八日)."""
    text = f"{num.year(year)}年" if year else ""
    text += f"{num.cardinal(str(int(month)))}月" if month else ""
    return text + (f"{num.cardinal(str(int(day)))}日" if day else "")


def _ymd(match: re.Match[str]) -> str:
    return _date(match["y"], match["m"], match["d"])


def _dmy(match: re.Match[str]) -> str:
    first, second = int(match["a"]), int(match["b"])
    month, day = (match["a"], match["b"]) if first <= 12 else (match["b"], match["a"])
    if int(month) > 12 or (first > 12 and second > 12):
        return match.group()
    return _date(match["y"], month, day)


def _year_month(match: re.Match[str]) -> str:
    if match["sep"] == "." and len(match["m"]) != 2:  # "2008.8" is a decimal
        return match.group()
    return _date(match["y"], match["m"], None)


def _month_day(match: re.Match[str]) -> str:
    if not (match["m"].startswith("0") or match["d"].startswith("0")):  # "10-12" is a range
        return match.group()
    return _date(None, match["m"], match["d"])


def _years(match: re.Match[str]) -> str:
    """'1990' before 年 (and '2008-2010年'): digit by digit."""
    text = num.year(match["y"])
    return text + ("到" + num.year(match["y2"]) if match["y2"] else "")


def _clock(match: re.Match[str]) -> str:
    """'8:05', '13:10:36', '1:02am' as clock times; impossible times ('78:96') as scores."""
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if hour > 24 or minute > 59 or second > 59:
        if match["s"] or match["ap"]:
            return match.group()
        return f"{num.cardinal(match['h'])}比{num.cardinal(match['m'])}"
    text = HOUR_PREFIX.get((match["ap"] or "").lower(), "") + num.cardinal(str(hour)) + "点"
    if minute == HALF_HOUR and not second:
        return text + "半"
    if minute or second:
        text += (num.digits(match["m"]) if minute < 10 else num.cardinal(match["m"])) + "分"
    if second:
        text += (num.digits(match["s"]) if second < 10 else num.cardinal(match["s"])) + "秒"
    return text


def _bare_hour(match: re.Match[str]) -> str:
    """'8 a.m.' -> 上午八点."""
    return HOUR_PREFIX[match["ap"].lower()] + num.cardinal(str(int(match["h"]))) + "点"


def _money(match: re.Match[str]) -> str:
    """'￥13.50' -> 十三点五元; '$5万' -> 五万美元."""
    currency = CURRENCIES[match["cur"]]
    return num.decimal(trim_amount(match["n"])) + (match["scale"] or "") + currency.zh


def _money_code(match: re.Match[str]) -> str:
    """'100USD' -> 一百美元 (other three-letter words are left alone)."""
    return _money(match) if match["cur"] in CURRENCIES else match.group()


def _percent(match: re.Match[str]) -> str:
    """'6.3%' -> 百分之六点三; '5-10%' -> 百分之五到百分之十; '‰' -> 千分之."""
    prefix = "千分之" if match["sign"] == "‰" else "百分之"

    def one(value: str) -> str:
        negative = value.startswith(("-", "−"))
        return ("负" if negative else "") + prefix + num.decimal(value.lstrip("-−"))

    return one(match["a"]) + (f"到{one(match['b'])}" if match["b"] else "")


def _speed(match: re.Match[str]) -> str:
    """'10km/h' -> 每小时十公里 (how speeds are said)."""
    per, unit = ("每小时", "公里") if match["u"] == "km/h" else ("每秒", "米")
    return per + num.decimal(match["n"], unit[0]) + unit


def _measure(match: re.Match[str]) -> str:
    """A quantity (or range) with a unit: '25kg' -> 二十五千克, '120m²' -> 一百二十平方米."""
    unit = UNITS[match["u"]].zh
    power = POWER_WORDS[match["p"]][0] if match["p"] else ""
    after = power[:1] or unit[:1]
    text = num.decimal(match["a"], after)
    if match["b"]:
        text += "到" + num.decimal(match["b"], after)
    return text + power + unit


def _scaled(match: re.Match[str]) -> str:
    """Internet shorthand: '300w' -> 三百万, '5k' -> 五千."""
    scale = "万" if match["x"] == "w" else "千"
    return num.decimal(match["n"], scale) + scale


def _math(match: re.Match[str]) -> str:
    """'1+2=3' -> 一加二等于三; a lone 'a-b' is left to the range rule."""
    parts = split_expression(match.group(), SIGNED)
    if is_plain_range(parts):
        return match.group()
    return "".join(MATH_SIGNS[part][0] if index % 2 else num.decimal(part) for index, part in enumerate(parts))


def _free_sign(match: re.Match[str]) -> str:
    return FREE_SIGN_WORDS[match.group()][0]


def _sign_before_number(match: re.Match[str]) -> str:
    return MATH_SIGNS[match["op"]][0]


def _range(match: re.Match[str]) -> str:
    """'3-5' -> 三到五; a final '1-2' (nothing measured after it) is a score: 一比二."""
    link = "到"
    if match["dash"] != "~" and compiled(SCORE_END).match(match.string, match.end()):
        link = "比"
    after = _next_char(match)
    return num.decimal(match["a"], after) + link + num.decimal(match["b"], after)


def _ratio(match: re.Match[str]) -> str:
    return f"{num.cardinal(match['a'])}比{num.cardinal(match['b'])}"


def _fraction(match: re.Match[str]) -> str:
    return num.fraction(match["a"], match["b"])


def _number(match: re.Match[str]) -> str:
    """A quantity, or a code read digit by digit when no measure word follows (房间号312 -> 三幺二)."""
    after = match.string[match.end():match.end() + 2]
    if num.is_code(match.group(), after) and not after.lstrip().startswith(("万", "亿")):
        return num.digits(match.group(), phone=True)
    return num.decimal(match.group(), _next_char(match))


def _version(match: re.Match[str]) -> str:
    """'v2.0' -> v二点零 (a version, not a sentence stop)."""
    first, *rest = match["n"].split(".")
    return match["v"] + "点".join([num.cardinal(first)] + [num.digits(part) for part in rest])


def _temperature(match: re.Match[str]) -> str:
    """'35℃' -> 三十五度, '-5℃' -> 零下五度 (the reference's reading), '15-20℃' -> 十五到二十度."""
    def one(value: str) -> str:
        return ("零下" if value.startswith(("-", "−")) else "") + num.decimal(value.lstrip("-−"))

    return one(match["a"]) + (f"到{one(match['b'])}" if match["b"] else "") + "度"


_AP = r"(?:\s*(?P<ap>[aApP])\.?[mM]\.?(?![A-Za-z]))"
RULES: tuple[Rule, ...] = (
    Rule("letter-to-letter", r"(?<![A-Za-z])([A-Z])2([A-Z])(?![A-Za-z])", lambda m: f"{m[1]} to {m[2]}"),
    Rule("phone-after-cue", rf"(?P<lead>{PHONE_CONTEXT})(?P<number>[0-9][0-9-]{{1,}}[0-9])(?![0-9]|\.[0-9])", _phone),
    Rule("phone-before-call", r"(?<![0-9])(?P<number>[0-9]{3,})(?=打个?电话)", _phone),
    Rule("mobile", r"(?<![0-9])(?P<number>1[3-9][0-9]{9})(?![0-9])", _phone),
    Rule("landline", r"(?<![0-9-])(?P<number>0[0-9]{2,3}-[0-9]{7,8}|[48]00-[0-9]{3}-[0-9]{4})(?![0-9])", _phone),
    Rule("date-ymd", rf"{START}(?P<y>[12][0-9]{{3}})(?P<sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=sep)"
                     rf"(?P<d>0?[1-9]|[12][0-9]|3[01]){END}", _ymd),
    Rule("date-dmy", rf"{START}(?P<a>[0-3]?[0-9])(?P<sep>[-/.])(?P<b>[0-3]?[0-9])(?P=sep)(?P<y>[12][0-9]{{3}}){END}",
         _dmy),
    Rule("date-ym", rf"{START}(?P<y>[12][0-9]{{3}})(?P<sep>[-/.])(?P<m>0[1-9]|1[0-2]|[1-9])(?![0-9]|[-/.][0-9])",
         _year_month),
    Rule("date-my", rf"{START}(?P<m>0[1-9]|1[0-2])[-/.](?P<y>[12][0-9]{{3}}){END}",
         lambda m: _date(m["y"], m["m"], None)),
    Rule("date-md", r"(?<![0-9./-])(?P<m>0[1-9]|1[0-2])[-/.](?P<d>0[1-9]|[12][0-9]|3[01])(?![0-9]|[-/.][0-9])",
         _month_day),
    Rule("dotted", r"(?<![0-9.])[0-9]+(?:\.[0-9]+){2,}(?![0-9])", _dotted),
    Rule("era-year", r"(?<=公元)(?P<pre>前)?(?P<y>[0-9]{1,4})(?=\s*年)", lambda m: (m["pre"] or "") + num.year(m["y"])),
    Rule("year", r"(?<![0-9])(?P<y>[0-9]{4})(?:\s*[-~到至]\s*(?P<y2>[0-9]{4}))?(?=\s*年)", _years),
    Rule("generation", r"(?<![0-9])(?P<y>[0-9]0)(?=后)", lambda m: num.year(m["y"])),
    Rule("clock", rf"(?<![0-9])(?P<h>[0-9]{{1,2}}):(?P<m>[0-9]{{2}})(?::(?P<s>[0-9]{{2}}))?{_AP}?{END}", _clock),
    Rule("clock-range", r"(?<=[点分秒半])\s*[-~]\s*(?=[上下]午|[零一二两三四五六七八九十])", lambda m: "至"),
    Rule("hour", rf"{START}(?P<h>[0-9]{{1,2}}){_AP}", _bare_hour),
    Rule("version", r"(?<![A-Za-z0-9])(?P<v>[vV])(?P<n>[0-9]+(?:\.[0-9]+)+)(?![0-9.])", _version),
    Rule("temperature", rf"{START}(?P<a>[-−]?{NUM})(?:\s*[-~]\s*(?P<b>[-−]?{NUM}))?\s?(?:℃|°C)", _temperature),
    Rule("money", rf"(?<![A-Za-z])(?P<cur>{currency_symbol_pattern()})\s?(?P<n>{NUM})(?P<scale>[万亿])?", _money),
    Rule("money-code", rf"(?P<n>{NUM})(?P<scale>[万亿])?\s?(?P<cur>[A-Z]{{3}})(?![A-Za-z])", _money_code),
    Rule("percent", rf"{START}(?P<a>{SIGNED})(?:\s*[%‰]?\s*[-~]\s*(?P<b>{SIGNED}))?\s*(?P<sign>[%‰])", _percent),
    Rule("speed", rf"{START}(?P<n>{NUM})\s?(?P<u>km/h|m/s)(?![A-Za-z])", _speed),
    Rule("scaled", rf"{START}(?P<n>{NUM})(?P<x>[wk])(?![A-Za-z])", _scaled),
    Rule("measure", rf"{START}(?P<a>{SIGNED})(?:\s*[-~]\s*(?P<b>{SIGNED}))?\s?(?P<u>{unit_pattern('zh')})"
                    r"(?P<p>[²³])?(?![A-Za-z])", _measure),
    Rule("math", rf"(?<![0-9A-Za-z])(?<![0-9]\.){SIGNED}(?:\s*(?:{OPERATOR})\s*{SIGNED})+", _math),
    Rule("free-sign", r"[≤≥≠≈±×÷√∞π]", _free_sign),
    Rule("sign-before-number", r"(?P<op><=|>=|[<>=])\s*(?=[0-9])", _sign_before_number),
    Rule("negative", r"(?<![0-9A-Za-z)])[-−](?=[0-9])", lambda m: "负"),
    Rule("range", rf"{START}(?P<a>{NUM})\s*(?P<dash>[-~])\s*(?P<b>{NUM}){END}", _range),
    Rule("ratio", rf"{START}(?P<a>[0-9]+):(?P<b>[0-9]+){END}", _ratio),
    Rule("fraction", rf"(?<![0-9/.])(?P<a>{NUM})\s*/\s*(?P<b>{NUM})(?![0-9/])", _fraction),
    Rule("pure-decimal", r"(?<![0-9A-Za-z.])\.(?P<d>[0-9]+)(?![0-9.])", lambda m: num.decimal("." + m["d"])),
    Rule("number", rf"{START}{NUM}", _number),
    Rule("tilde-range", r"(?<=[\u4e00-\u9fff])\s*~\s*(?=[负零一二两三四五六七八九十])", lambda m: "到"),
)


def normalize_zh(text: str) -> str:
    """Chinese written form -> spoken form (numbers, dates, money, units... in Chinese words)."""
    text = to_simplified(unify_width(text))
    if "○" in text:  # a circle typeset for 〇 among Chinese numerals ("第一○回")
        text = compiled(rf"(?<=[{ZH_NUMERALS}])○|○(?=[{ZH_NUMERALS}])").sub("〇", text)
    text = drop_unspoken(text)
    if compiled(TRIGGER).search(text):
        text = apply_rules(text, RULES)
    return squeeze_spaces(text)
