"""Text normalisation before G2P: written forms (numbers, dates, money, units, signs) to spoken words."""
from text_prep.normalize.en import normalize_en
from text_prep.normalize.zh import normalize_zh

__all__ = ["normalize_en", "normalize_zh"]
