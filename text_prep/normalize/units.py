"""Measurement units and currencies: written symbol -> Chinese and English spoken names."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """How one written unit or currency is read; an empty name means the language leaves it as written."""

    zh: str
    en: str  # singular
    en_plural: str = ""

    def english(self, plural: bool) -> str:
        """The English name, plural or singular."""
        return (self.en_plural or self.en + "s") if plural else self.en


UNITS: dict[str, Unit] = {
    "km/h": Unit("千米每小时", "kilometer per hour", "kilometers per hour"),
    "kph": Unit("千米每小时", "kilometer per hour", "kilometers per hour"),
    "mph": Unit("英里每小时", "mile per hour", "miles per hour"),
    "m/s": Unit("米每秒", "meter per second", "meters per second"),
    "kg": Unit("千克", "kilogram"), "㎏": Unit("千克", "kilogram"),
    "mg": Unit("毫克", "milligram"), "g": Unit("克", "gram"),
    "t": Unit("吨", ""),
    "km": Unit("千米", "kilometer"), "㎞": Unit("千米", "kilometer"),
    "cm": Unit("厘米", "centimeter"), "㎝": Unit("厘米", "centimeter"),
    "mm": Unit("毫米", "millimeter"), "㎜": Unit("毫米", "millimeter"),
    "μm": Unit("微米", "micrometer"), "µm": Unit("微米", "micrometer"),
    "nm": Unit("纳米", "nanometer"), "m": Unit("米", "meter"),
    "㎡": Unit("平方米", "square meter"), "㎥": Unit("立方米", "cubic meter"),
    "mi": Unit("英里", "mile"), "ft": Unit("英尺", "foot", "feet"), "yd": Unit("码", "yard"),
    "lb": Unit("磅", "pound"), "lbs": Unit("磅", "pound"), "oz": Unit("盎司", "ounce"),
    "ha": Unit("公顷", "hectare"),
    "mL": Unit("毫升", "milliliter"), "ml": Unit("毫升", "milliliter"), "㎖": Unit("毫升", "milliliter"),
    "L": Unit("升", "liter"), "l": Unit("升", ""), "cc": Unit("毫升", "cc", "cc"), "㏄": Unit("毫升", "cc", "cc"),
    "h": Unit("小时", "hour"), "hr": Unit("小时", "hour"), "hrs": Unit("小时", "hour"),
    "min": Unit("分钟", "minute"), "s": Unit("秒", ""), "ms": Unit("毫秒", "millisecond"),
    "℃": Unit("摄氏度", "degree Celsius", "degrees Celsius"),
    "°C": Unit("摄氏度", "degree Celsius", "degrees Celsius"),
    "℉": Unit("华氏度", "degree Fahrenheit", "degrees Fahrenheit"),
    "°F": Unit("华氏度", "degree Fahrenheit", "degrees Fahrenheit"),
    "°": Unit("度", "degree"),
    "kWh": Unit("千瓦时", "kilowatt hour"), "kW": Unit("千瓦", "kilowatt"), "W": Unit("瓦", "watt"),
    "V": Unit("伏", "volt"), "mAh": Unit("毫安时", "milliampere hour"),
    "Hz": Unit("赫兹", "hertz", "hertz"), "kHz": Unit("千赫兹", "kilohertz", "kilohertz"),
    "MHz": Unit("兆赫兹", "megahertz", "megahertz"), "GHz": Unit("吉赫兹", "gigahertz", "gigahertz"),
    "KB": Unit("", "kilobyte"), "MB": Unit("", "megabyte"), "GB": Unit("", "gigabyte"), "TB": Unit("", "terabyte"),
    "dB": Unit("分贝", "decibel"),
    "%": Unit("", "percent", "percent"), "‰": Unit("", "per mille", "per mille"),
}
SQUARE, CUBIC = "²", "³"
POWER_WORDS = {SQUARE: ("平方", "square"), CUBIC: ("立方", "cubic")}

CURRENCIES: dict[str, Unit] = {
    "US$": Unit("美元", "US dollar"), "HK$": Unit("港元", "Hong Kong dollar"),
    "A$": Unit("澳元", "Australian dollar"), "C$": Unit("加元", "Canadian dollar"),
    "NT$": Unit("新台币", "New Taiwan dollar"), "S$": Unit("新加坡元", "Singapore dollar"),
    "$": Unit("美元", "dollar"), "€": Unit("欧元", "euro"), "£": Unit("英镑", "pound"),
    "￥": Unit("元", "yuan", "yuan"), "¥": Unit("元", "yen", "yen"),
    "₩": Unit("韩元", "won", "won"), "₹": Unit("卢比", "rupee"),
    "USD": Unit("美元", "US dollar"), "CNY": Unit("人民币", "yuan", "yuan"), "RMB": Unit("人民币", "yuan", "yuan"),
    "HKD": Unit("港元", "Hong Kong dollar"), "AUD": Unit("澳元", "Australian dollar"),
    "CAD": Unit("加元", "Canadian dollar"), "EUR": Unit("欧元", "euro"), "GBP": Unit("英镑", "pound"),
    "JPY": Unit("日元", "yen", "yen"), "KRW": Unit("韩元", "won", "won"), "INR": Unit("卢比", "rupee"),
    "SGD": Unit("新加坡元", "Singapore dollar"), "TWD": Unit("新台币", "New Taiwan dollar"),
}


def trim_amount(amount: str) -> str:
    """An amount without trailing decimal zeros ("12.0500" -> "12.05", "1.00" -> "1")."""
    whole, _, cents = amount.partition(".")
    cents = cents.rstrip("0")
    return f"{whole}.{cents}" if cents else whole


def alternation(keys: object) -> str:
    """A regex alternation of ``keys``, longest first so "km" wins over "k"."""
    return "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))  # type: ignore[arg-type]


@functools.lru_cache(maxsize=None)
def unit_pattern(lang: str) -> str:
    """Alternation of the units that ``lang`` ("zh" or "en") reads."""
    return alternation(key for key, unit in UNITS.items() if (unit.zh if lang == "zh" else unit.en))


@functools.lru_cache(maxsize=None)
def currency_symbol_pattern() -> str:
    """Alternation of the currency signs and codes that come before an amount."""
    return alternation(CURRENCIES)
