"""English text normalisation: written forms (numbers, dates, times, money, units, abbreviations...)
to spoken English words; punctuation is kept."""
from __future__ import annotations

import re

from text_prep.normalize import en_numbers as num
from text_prep.normalize import en_words as words
from text_prep.normalize.charset import drop_unspoken, unify_width
from text_prep.normalize.rules import Rule, apply_rules, compiled, squeeze_spaces
from text_prep.normalize.symbols import FREE_SIGN_WORDS, MATH_SIGNS, OPERATOR, is_plain_range, split_expression
from text_prep.normalize.units import (
    CURRENCIES,
    POWER_WORDS,
    UNITS,
    alternation,
    currency_symbol_pattern,
    trim_amount,
    unit_pattern,
)

NUM = r"[0-9]+(?:,[0-9]{3})*(?![0-9])(?:\.[0-9]+)?"  # 12 | 1,200 | 3.14
DEC = rf"(?:{NUM}|\.[0-9]+)"  # also ".5"
SIGNED = rf"-?{DEC}"
START = r"(?<![\w.])"  # a number starts here (not inside a word or another number)
END = r"(?![\w]|\.[0-9])"
YEAR_FIRST, YEAR_LAST = 1200, 2999  # bare 4-digit numbers in this span are read as years
_AP = r"(?P<ap>[aApP])\.?\s?[mM]\b(?P<apdot>\.)?"
_TZ = rf"(?:\s+(?P<tz>(?i:{'|'.join(words.TIME_ZONES)}))\b)?"
SCALES = {"k": "thousand", "K": "thousand", "m": "million", "M": "million", "bn": "billion", "b": "billion",
          "B": "billion"}
TLDS = "com|org|net|edu|gov|io|ai|co|uk|cn|de|fr|jp|info|biz|me|tv|us"
URL_PARTS = {".": "dot", "/": "slash", "-": "dash", "_": "underscore", "+": "plus", "@": "at", ":": "colon"}
VULGAR_FRACTIONS = {"¼": "1/4", "½": "1/2", "¾": "3/4", "⅓": "1/3", "⅔": "2/3", "⅕": "1/5", "⅖": "2/5",
                    "⅗": "3/5", "⅘": "4/5", "⅙": "1/6", "⅚": "5/6", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8", "⅞": "7/8"}


def _final_period(match: re.Match[str], dotted: bool = True) -> str:
    """"." when an abbreviation's own period also ended the text ("... at 5 p.m.")."""
    return "." if dotted and not match.string[match.end():].strip() else ""


def _quantity(number: str) -> str:
    """A number in a range: years as years, everything else as decimal/cardinal."""
    if number.isdigit() and len(number) == 4 and YEAR_FIRST <= int(number) <= YEAR_LAST:
        return num.year(number)
    return num.decimal(number)


def _spell(text: str) -> str:
    """An e-mail address or URL read piece by piece ("cdf1@abc.edu" -> "cdf one at abc dot edu")."""
    pieces = compiled(r"[0-9]+|[A-Za-z]+|[./\-_+@:]").findall(text)
    return " ".join(num.cardinal(p) if p.isdigit() else URL_PARTS.get(p, p) for p in pieces)


def _url(match: re.Match[str]) -> str:
    body = compiled(r"^https?://").sub("", match.group())
    return _spell(compiled(r"^www\.").sub("w w w.", body))


def _abbreviation(match: re.Match[str]) -> str:
    return words.ABBREVIATIONS[match.group()] + _final_period(match)


def _acronym(match: re.Match[str]) -> str:
    """'U.S.' -> 'U S' (letters, which the G2P spells)."""
    return " ".join(match.group().replace(".", "").upper()) + _final_period(match)


def _state(match: re.Match[str]) -> str:
    """', PA' -> ', Pennsylvania'; a ZIP code after it is read digit by digit."""
    code, zip_code = match["code"], match["zip"]
    if code not in words.STATES or (code in words.AMBIGUOUS_STATES and not zip_code):
        return match.group()
    return words.STATES[code] + (" " + num.digits(zip_code) if zip_code else "")


def _roman(match: re.Match[str]) -> str:
    """'World War II' -> 'World War two'; 'Henry VIII' -> 'Henry the eighth'; a lone 'IV' -> 'four'."""
    value = words.roman_value(match["r"])
    if value is None:
        return match.group()
    lead = match.groupdict().get("w")
    if lead in words.ROMAN_RULERS:
        return f"{lead} the {num.ordinal(str(value))}"
    spoken = num.cardinal(str(value))
    return f"{lead} {spoken}" if lead else spoken + (match.groupdict().get("dot") or "")


def _toll_free(match: re.Match[str]) -> str:
    """'1-800-GO-U-HAUL' -> 'one, eight hundred, GO U HAUL'."""
    rest = " ".join(num.digits(p) if p.isdigit() else p for p in match["rest"].split("-"))
    return f"one, {num.cardinal(match['a'])}, {rest}"


def _phone(match: re.Match[str]) -> str:
    """'+1 123-456-7890' -> 'plus one, one two three, four five six, seven eight nine oh'."""
    groups = [match["a1"] or match["a2"], match["b"], match["c"], match["x"]]
    spoken = [num.digits(g) for g in groups if g]
    return (f"plus {num.digits(match['cc'])}, " if match["cc"] else "") + ", ".join(spoken)


def _month_name(written: str) -> str:
    return next(m for m in words.MONTHS if m.lower().startswith(written[:3].lower()))


def _date(day: str, month: str, year: str | None, comma: str = "", article: str = "the ") -> str:
    """'the fifth of January, twenty twelve'."""
    text = f"{article}{num.ordinal(str(int(day)))} of {month}"
    return text + (f"{comma} {num.year(year)}" if year else "")


def _iso_date(match: re.Match[str]) -> str:
    return _date(match["d"], words.MONTHS[int(match["m"]) - 1], match["y"])


def _named_date(match: re.Match[str]) -> str:
    """'jan. 5, 2012' / '5 January 2012' / '4 March'."""
    written = match["mon"]
    if written.lower() == written and written in words.AMBIGUOUS_MONTHS or not 1 <= int(match["d"]) <= 31:
        return match.group()
    has_article = compiled(r"(?i)\bthe\s+$").search(match.string, 0, match.start())
    return _date(match["d"], _month_name(written), match["y"], match["comma"] or "", "" if has_article else "the ")


def _period_of_year(match: re.Match[str]) -> str:
    """'3Q22' -> 'the third quarter of twenty two'; '1H23' -> 'the first half of twenty three'."""
    part = "quarter" if match["kind"] == "Q" else "half"
    year = match["y"]
    return f"the {num.ordinal(match['n'])} {part} of {num.year(year) if len(year) == 4 else num.cardinal(year)}"


def _decade(match: re.Match[str]) -> str:
    """'1990s' -> 'nineteen nineties'; "'70s" -> 'seventies'."""
    decade = match["y"]
    return num.plural_words(num.year(decade) if len(decade) == 4 else num.cardinal(decade))


def _clock(match: re.Match[str]) -> str:
    """'02:30' -> 'two thirty'; '2:00' -> "two o'clock"; '10:00:05' -> 'ten hours zero minutes and five seconds'."""
    hour, minute, second = int(match["h"]), int(match["m"]), match.groupdict().get("s")
    if hour > 24 or minute > 59 or (second and int(second) > 59):
        return match.group()
    ap = f" {match['ap'].upper()}M" if match["ap"] else ""
    if second:
        text = f"{num.cardinal(str(hour))} hours {num.cardinal(str(minute))} minutes and {num.cardinal(second)} seconds"
    elif minute == 0:
        text = num.cardinal(str(hour)) + ("" if ap else " o'clock" if hour <= 12 else " hundred")
    else:
        text = f"{num.cardinal(str(hour))} {'oh ' if minute < 10 else ''}{num.cardinal(str(minute))}"
    zone = f" {match['tz'].upper()}" if match.groupdict().get("tz") else ""
    return text + ap + zone + _final_period(match, bool(match["apdot"]) and not zone)


def _bare_hour(match: re.Match[str]) -> str:
    """'2 a.m.' -> 'two AM'."""
    zone = f" {match['tz'].upper()}" if match["tz"] else ""
    ap = f" {match['ap'].upper()}M"
    return num.cardinal(str(int(match["h"]))) + ap + zone + _final_period(match, bool(match["apdot"]) and not zone)


def _amount(number: str, currency_key: str, scale: str = "") -> str:
    """'12.0500' dollars -> 'twelve point oh five dollars'; with a scale, 'one million dollars'."""
    amount = trim_amount(number)
    spoken = num.decimal(amount) + (f" {scale}" if scale else "")
    return f"{spoken} {CURRENCIES[currency_key].english(plural=bool(scale) or amount != '1')}"


def _money(match: re.Match[str]) -> str:
    """'$12.05' -> 'twelve point oh five dollars'; '$1 million' / '$1m' -> 'one million dollars'."""
    return _amount(match["n"], match["cur"], SCALES.get(match["abbr"] or "", match["scale"] or ""))


def _money_code(match: re.Match[str]) -> str:
    """'100 USD' -> 'one hundred US dollars' (other three-letter words are left alone)."""
    return _amount(match["n"], match["cur"]) if match["cur"] in CURRENCIES else match.group()


def _era(match: re.Match[str]) -> str:
    """'2024 B.C' -> 'twenty twenty four BC'."""
    era = match["era"].replace(".", "").replace(" ", "")
    return f"{num.year(match['y'])} {era}{_final_period(match, match['era'].endswith('.'))}"


def _dotted(match: re.Match[str]) -> str:
    """'127.0.0.1' -> digits joined by 'dot'; '3.10.2' -> 'three point ten point two'."""
    parts = match.group().split(".")
    if len(parts) == 4 and all(int(p) <= 255 for p in parts):
        return " dot ".join(num.digits(p, zero="zero") for p in parts)
    return " point ".join(num.cardinal(p) for p in parts)


def _math(match: re.Match[str]) -> str:
    """Operators between numbers become words ('2 * 10' -> '2 times 10'); the numbers are read later."""
    parts = split_expression(match.group(), SIGNED)
    if is_plain_range(parts):
        return match.group()
    return " ".join(MATH_SIGNS[part][1] if index % 2 else part for index, part in enumerate(parts))


def _measure(match: re.Match[str]) -> str:
    """'-12kg' -> 'negative twelve kilograms'; '3.5 cm²' -> 'three point five square centimeters'."""
    unit = UNITS[match["u"]]
    plural = bool(match["b"]) or match["a"] not in ("1", "-1")
    text = num.decimal(match["a"]) + (f" to {num.decimal(match['b'])}" if match["b"] else "")
    power = POWER_WORDS[match["p"]][1] + " " if match["p"] else ""
    return f"{text} {power}{unit.english(plural)}"


def _fraction(match: re.Match[str]) -> str:
    """'1/2' -> 'one half'; '23 4/5' -> 'twenty three and four fifths'; '24/7' -> 'twenty four seven'."""
    top, bottom, whole = match["n"], match["d"], match["w"]
    if int(bottom) == 0 or (top, bottom) == ("24", "7"):
        return f"{(num.cardinal(whole) + ' ') if whole else ''}{num.cardinal(top)} {num.cardinal(bottom)}"
    if whole:
        part = num.fraction(top, bottom)
        return f"{num.cardinal(whole)} and {'a' + part[3:] if top == '1' else part}"  # "two and a half"
    return num.fraction(top, bottom)


def _cardinal(match: re.Match[str]) -> str:
    """Any remaining integer; spaced off from letters it touches ('cdf1' -> 'cdf one')."""
    text, start, end = match.string, match.start(), match.end()
    before = " " if start and text[start - 1].isalpha() else ""
    after = " " if end < len(text) and text[end].isalpha() else ""
    number = match.group()
    spoken = num.digits(number) if len(number) > 1 and number.startswith("0") else num.cardinal(number)
    return before + spoken + after


TEXT_RULES: tuple[Rule, ...] = (
    Rule("vulgar-fraction", "[" + "".join(VULGAR_FRACTIONS) + "]",
         lambda m: (" " if m.string[m.start() - 1:m.start()].isdigit() else "") + VULGAR_FRACTIONS[m.group()]),
    Rule("email", r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", lambda m: _spell(m.group())),
    Rule("url", rf"(?<![\w@.])(?:https?://)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:{TLDS})\b(?:/[^\s\"'<>()]*)?", _url),
    Rule("abbreviation", rf"(?<![\w.])(?:{alternation(words.ABBREVIATIONS)})(?!\w)", _abbreviation),
    Rule("acronym", r"(?<![\w.])(?![aApP]\.[mM]\.)(?:[A-Za-z]\.){2,}(?!\w)", _acronym),
    Rule("weekday-range",
         rf"\b(?P<a>{alternation(words.WEEKDAYS)})\.?\s?[-–]\s?(?P<b>{alternation(words.WEEKDAYS)})\b\.?",
         lambda m: f"{words.WEEKDAYS[m['a']]} to {words.WEEKDAYS[m['b']]}"),
    Rule("saint", r"\bSt\.(?=\s+[A-Z])", lambda m: "Saint"),
    Rule("street", rf"\b(?P<name>[A-Z][a-z]+) (?P<t>St|{alternation(words.STREET_TYPES)})\b\.?",
         lambda m: f"{m['name']} {words.STREET_TYPES.get(m['t'], 'Street')}"),
    Rule("state", r"(?<=, )(?P<code>[A-Z]{2})(?:\s+(?P<zip>[0-9]{5})(?:-[0-9]{4})?)?(?![\w])", _state),
    Rule("roman-counted", rf"\b(?P<w>{'|'.join(words.ROMAN_COUNTERS + words.ROMAN_RULERS)})\s+(?P<r>[IVXLCDM]+)\b",
         _roman),
    Rule("roman-heading", r"^\s*(?P<r>[IVXLCDM]{2,}|[VX])(?P<dot>\.?)\s*$", _roman),
    Rule("letter-to-letter", r"(?<![A-Za-z])([A-Z])2([A-Z])(?![A-Za-z])", lambda m: f"{m[1]} to {m[2]}"),
)

NUMBER_RULES: tuple[Rule, ...] = (
    Rule("number-prefix", rf"\b(?P<w>{alternation(words.NUMBER_PREFIXES)})\.\s?(?=[0-9])",
         lambda m: words.NUMBER_PREFIXES[m["w"]] + " "),
    Rule("toll-free", r"(?<![\w-])1-(?P<a>8[0-9]{2})-(?P<rest>[A-Z0-9]+(?:-[A-Z0-9]+)*)", _toll_free),
    Rule("date-iso", r"(?<![\w-])(?P<y>[12][0-9]{3})(?P<sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=sep)"
                     r"(?P<d>0?[1-9]|[12][0-9]|3[01])(?![0-9])", _iso_date),
    Rule("date-us", r"(?<![\w/])(?P<m>0?[1-9]|1[0-2])/(?P<d>0?[1-9]|[12][0-9]|3[01])/(?P<y>[0-9]{4})(?![0-9])",
         _iso_date),
    Rule("phone", r"(?<![\w+])(?:\+(?P<cc>[0-9]{1,3})[\s-]?)?(?:\((?P<a1>[0-9]{3})\)\s?|(?P<a2>[0-9]{3})[-.])"
                  r"(?P<b>[0-9]{3})[-.](?P<c>[0-9]{4})(?:-(?P<x>[0-9]{1,4}))?(?![0-9])", _phone),
    Rule("date-month-day", rf"\b(?P<mon>(?i:{words.MONTH_PATTERN}))\.?\s+(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?"
                           r"(?![0-9:.]|,[0-9]{3})(?:(?P<comma>,)?\s+(?P<y>[0-9]{4})(?![0-9]))?", _named_date),
    Rule("date-day-month", rf"\b(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?"
                           rf"(?P<mon>(?i:{words.MONTH_PATTERN}))\b\.?"
                           r"(?:(?P<comma>,)?\s+(?P<y>[0-9]{4})(?![0-9]))?", _named_date),
    Rule("quarter", r"\b(?P<n>[1-4])(?P<kind>Q)(?P<y>[0-9]{2}|[0-9]{4})\b", _period_of_year),
    Rule("half", r"\b(?P<n>[12])(?P<kind>H)(?P<y>[0-9]{2}|[0-9]{4})\b", _period_of_year),
    Rule("era", r"(?<![\w.])(?P<y>[0-9]{1,4})\s?(?P<era>B\.?\s?C\.?(?:E\.?)?|A\.?\s?D\.?|C\.?E\.?)(?![A-Za-z])",
         _era),
    Rule("decade", r"(?<![\w])'?(?P<y>(?:1[0-9]|20)?[0-9]0)'?s\b", _decade),
    Rule("clock", rf"(?<![\w:.])(?P<h>[0-9]{{1,2}}):(?P<m>[0-9]{{2}})(?::(?P<s>[0-9]{{2}}))?(?![0-9])"
                  rf"(?:\s*{_AP})?{_TZ}",
         _clock),
    Rule("clock-dotted", rf"(?<![\w.])(?P<h>[0-9]{{1,2}})\.(?P<m>[0-9]{{2}})\s*{_AP}{_TZ}", _clock),
    Rule("clock-hour", rf"(?<![\w.:])(?P<h>[0-9]{{1,2}})\s*{_AP}{_TZ}", _bare_hour),
    Rule("money", rf"(?<![A-Za-z])(?P<cur>{currency_symbol_pattern()})\s?(?P<n>{NUM})"
                  r"(?:\s?(?P<scale>thousand|million|billion|trillion)|(?P<abbr>bn|[kKmMbB]))?\b", _money),
    Rule("money-code", rf"(?P<n>{NUM})\s?(?P<cur>[A-Z]{{3}})\b", _money_code),
    Rule("cents", rf"{START}(?P<n>{NUM})\s?¢", lambda m: f"{num.decimal(m['n'])} cent{'' if m['n'] == '1' else 's'}"),
    Rule("version", r"(?<![A-Za-z0-9])(?P<v>[vV])(?P<n>[0-9]+(?:\.[0-9]+)+)(?![\w]|\.[0-9])",
         lambda m: f"{m['v'].upper()} {' point '.join(num.cardinal(p) for p in m['n'].split('.'))}"),
    Rule("dotted", r"(?<![\w.])[0-9]+(?:\.[0-9]+){2,}(?![\w]|\.[0-9])", _dotted),
    Rule("math", rf"{START}{SIGNED}(?:\s*(?:{OPERATOR})\s*{SIGNED})+", _math),
    Rule("measure", rf"{START}(?P<a>{SIGNED})(?:\s?[-–]\s?(?P<b>{DEC}))?\s?(?P<u>{unit_pattern('en')})(?P<p>[²³])?"
                    r"(?![A-Za-z0-9])", _measure),
    Rule("fraction", r"(?<![\w/.])(?:(?P<w>[0-9]+)\s+)?(?P<n>[0-9]+)/(?P<d>[0-9]+)(?:st|nd|rd|th|ths)?"
                     r"(?![\w/]|\.[0-9])",
         _fraction),
    Rule("ordinal", rf"{START}(?P<n>[0-9]+(?:,[0-9]{{3}})*)(?:st|nd|rd|th)\b", lambda m: num.ordinal(m["n"])),
    Rule("range", rf"{START}(?P<a>-?{DEC})\s?[-–]\s?(?P<b>{DEC}){END}",
         lambda m: f"{_quantity(m['a'])} to {_quantity(m['b'])}"),
    Rule("ratio", r"(?<![\w.:])(?P<a>[0-9]+):(?P<b>[0-9]+)(?![\w:])",
         lambda m: f"{num.cardinal(m['a'])} to {num.cardinal(m['b'])}"),
    Rule("decimal", rf"{START}-?(?:[0-9]+(?:,[0-9]{{3}})*)?\.[0-9]+{END}", lambda m: num.decimal(m.group())),
    Rule("year", rf"(?<![\w.,$-])(?:1[2-9][0-9]{{2}}|2[0-9]{{3}}){END}(?!,[0-9])", lambda m: num.year(m.group())),
    Rule("height", r"(?<![\w'])(?P<f>[0-9])'\s?(?P<i>[0-9]{1,2})(?:\"|'')",
         lambda m: f"{num.cardinal(m['f'])} foot {num.cardinal(m['i'])}"),
    Rule("sign-before-number", rf"(?P<op><=|>=|!=|[<>=])\s*(?=-?\.?[0-9])", lambda m: f" {MATH_SIGNS[m['op']][1]} "),
    Rule("number-sign", r"#(?=[0-9])", lambda m: "number "),
    Rule("negative", r"(?<![\w)])[-−](?=[0-9])", lambda m: "negative "),
    Rule("cardinal", r"[0-9]+(?:,[0-9]{3})*(?![0-9])", _cardinal),
)

SIGN_RULES: tuple[Rule, ...] = (
    Rule("free-sign", "[" + "".join(FREE_SIGN_WORDS) + "]", lambda m: f" {FREE_SIGN_WORDS[m.group()][1]} "),
    Rule("ampersand", r"\s*&\s*", lambda m: " and "),
)


def normalize_en(text: str) -> str:
    """English written form -> spoken form (numbers, dates, money, units, abbreviations in words)."""
    text = drop_unspoken(unify_width(text))
    text = apply_rules(text, TEXT_RULES)
    if compiled(r"[0-9]").search(text):
        text = apply_rules(text, NUMBER_RULES)
    text = apply_rules(text, SIGN_RULES)
    return squeeze_spaces(text)
