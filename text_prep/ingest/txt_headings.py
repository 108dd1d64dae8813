"""Chapter headings of plain-text books: heading lines, recurring site prefixes, numbering, tables of contents.

A line is a heading *candidate* when it matches the heading pattern (built in, or a project's own),
or matches it after a prefix that recurs on several candidate lines (a site's "《书名》目录 " breadcrumb).
``txt.py`` decides from the block layout whether a candidate stands where a heading can stand; then
``select_headings`` looks at all of them together:

1. a table of contents (three or more headings with no text between them, plus the short lines
   under a "Contents" title) is front matter, and its plain entries ("ETYMOLOGY.") make the same
   line a heading where it stands alone later in the book;
2. numbering must progress within each family (第…回, Chapter N, Book N): a heading may go up
   by a few, or restart at 1 (books, parts, volumes), never back or far ahead out of the blue;
3. a heading repeated with nothing between is merged into one; a repeated running header
   with text between is dropped.

Each decision keeps a one-line reason, which ``bookvoice inspect`` shows.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from text_prep.ingest.draft import HeadingDecision

ZH_NUMERALS = "0-9０-９零〇○一二三四五六七八九十百千万萬两兩壹贰貳叁參肆伍陆陸柒捌玖拾佰仟廿卅卌"
_EN_NUMBER = (
    r"(?:\d{1,4}|[IVXLCDM]{1,8}|[ivxlcdm]{1,8}|(?i:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last))"
)
_ZH_UNITS = "回章节節卷部篇集幕话話"
_EN_KEYWORDS = "chapter|letter|book|part|volume|canto|act"
# Headings that may carry a title after a separator ("CHAPTER I. Down the Rabbit-Hole", "第一回  靈根育孕").
_HEADING = re.compile(
    rf"^(?:第[{ZH_NUMERALS}]+[{_ZH_UNITS}](?:[\s:：、.．]+\S.{{0,50}})?"
    rf"|卷[{ZH_NUMERALS}]+(?:[\s:：、]+\S.{{0,40}})?"
    r"|序章|序言|楔子|引子|前言|尾[声聲]|[后後]記|后记|番外(?:[\s:：]+\S.{0,20})?"
    rf"|(?i:{_EN_KEYWORDS})\s+{_EN_NUMBER}(?:(?:[.:]|\s*[—–-])(?:\s*\S.{{0,80}})?)?"
    r"|(?i:prologue|epilogue|preface|introduction|foreword|afterword|conclusion|postscript)\.?)$"
)
# A title glued to 第N章 without a separator: short and without clause punctuation.
_GLUED_ZH_HEADING = re.compile(rf"^第[{ZH_NUMERALS}]+[回章节節][^。！？，,；;：:]{{1,30}}$")
# A bare number ("XII", "12."): a heading only when it is alone in its block.
_BARE_NUMBER = re.compile(r"^(?:[IVXLC]{1,7}\.?|\d{1,3}\.?)$")
# Where a heading may start after a prefix, and what a prefix may not contain (sentence punctuation).
_HEADING_START = re.compile(
    rf"第[{ZH_NUMERALS}]+[{_ZH_UNITS}]|卷[{ZH_NUMERALS}]+|\b(?:{_EN_KEYWORDS.title()}|{_EN_KEYWORDS.upper()})\s"
)
_NOT_IN_PREFIX = re.compile(r"[。！？!?，,；;]")
# Family and number of a heading.
_ZH_NUMBERED = re.compile(rf"^第\s*([{ZH_NUMERALS}]+)\s*([{_ZH_UNITS}])")
_ZH_VOLUME = re.compile(rf"^(卷)([{ZH_NUMERALS}]+)")
_EN_NUMBERED = re.compile(rf"^({_EN_KEYWORDS})\s+({_EN_NUMBER})\b", re.I)
_ROMAN = re.compile(r"^M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$")
_CONTENTS_TITLE = re.compile(r"^(?:(?:table of )?contents|目\s*[录錄]|目次)[.:：]?$", re.I)

MAX_HEADING_CHARS = 100
MAX_PREFIX_CHARS = 24  # a site prefix before a heading is at most this long
MIN_PREFIX_LINES = 3  # ... and must recur on this many candidate lines
MIN_TOC_ENTRIES = 3  # headings in a row with no text between them: a table of contents
MAX_TOC_LEAD = 12  # short lines between a "Contents" title and the first listed heading
MAX_NUMBER_JUMP = 5  # a heading may skip this many numbers (a missing chapter) without confirmation
TOC_ENTRY_CHARS = 80

_EN_WORDS = {
    w: i + 1
    for i, w in enumerate(
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50}
_EN_ORDINALS = {w: i + 1 for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth".split())}
_ZH_DIGITS = {
    **dict.fromkeys("零〇○", 0), **dict.fromkeys("一壹", 1), **dict.fromkeys("二贰貳两兩", 2),
    **dict.fromkeys("三叁參", 3), **dict.fromkeys("四肆", 4), "五": 5, "伍": 5, **dict.fromkeys("六陆陸", 6),
    "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
_ZH_TENS = {"廿": 20, "卅": 30, "卌": 40}
_ZH_POWERS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_ZH_MYRIAD = frozenset("万萬")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass
class Candidate:
    """A line that may be a heading: its text without any prefix, numbering family and number."""

    text: str
    reason: str
    family: str = ""
    number: int | None = None
    bare: bool = False  # a bare number: a heading only alone in its block


@dataclass
class Item:
    """A heading or a paragraph in reading order, with the line it starts on."""

    text: str
    heading: bool = False
    line: int = 0
    alone: bool = False  # a short paragraph standing alone (its own block, or one line per paragraph)
    candidate: Candidate | None = None
    notes: list[str] = field(default_factory=list)


def zh_number(digits: str) -> int | None:
    """A Chinese or Arabic numeral ("一百零一", "九八", "一○○", "廿一", "１２") as an int; None if malformed."""
    digits = digits.translate(_FULLWIDTH_DIGITS)
    if digits.isdigit():
        return int(digits)
    if all(ch in _ZH_DIGITS for ch in digits):  # digit by digit: 九八 = 98, 一○○ = 100
        return int("".join(str(_ZH_DIGITS[ch]) for ch in digits))
    total = section = 0
    digit: int | None = None
    for ch in digits:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_TENS:
            section += _ZH_TENS[ch]
            digit = None
        elif ch in _ZH_POWERS:
            section += (1 if digit is None else digit) * _ZH_POWERS[ch]
            digit = None
        elif ch in _ZH_MYRIAD:
            total += (section + (digit or 0)) * 10_000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def en_number(word: str) -> int | None:
    """An English chapter number ("12", "XII", "twelve", "first") as an int; None for "last" or malformed."""
    lowered = word.lower()
    if word.isdigit():
        return int(word)
    if lowered in _EN_WORDS:
        return _EN_WORDS[lowered]
    if lowered in _EN_ORDINALS:
        return _EN_ORDINALS[lowered]
    upper = word.upper()
    if upper and _ROMAN.match(upper):
        values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
        total = 0
        for i, ch in enumerate(upper):
            value = values[ch]
            total += -value if i + 1 < len(upper) and values[upper[i + 1]] > value else value
        return total
    return None


def numbering(text: str) -> tuple[str, int | None]:
    """The numbering family ("第回", "chapter", "bare") and number of a heading; ("", None) if unnumbered."""
    if m := _ZH_NUMBERED.match(text):
        return f"第{m.group(2)}", zh_number(m.group(1))
    if m := _ZH_VOLUME.match(text):
        return m.group(1), zh_number(m.group(2))
    if m := _EN_NUMBERED.match(text):
        return m.group(1).lower(), en_number(m.group(2))
    if _BARE_NUMBER.match(text):
        return "bare", en_number(text.rstrip("."))
    return "", None


class HeadingFinder:
    """Finds heading candidates: the built-in patterns (with recurring prefixes) or a project's own pattern."""

    def __init__(self, pattern: str | None = None) -> None:
        self.custom = re.compile(pattern) if pattern else None
        self.prefixed: dict[int, Candidate] = {}

    def scan_prefixes(self, lines: list[str]) -> None:
        """Find headings that follow a prefix recurring on at least ``MIN_PREFIX_LINES`` lines."""
        if self.custom is not None:
            return
        found: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for index, line in enumerate(lines):
            stripped = line.strip()
            if not stripped or len(stripped) > MAX_HEADING_CHARS or self._match(stripped) is not None:
                continue
            for m in _HEADING_START.finditer(stripped, 1, MAX_PREFIX_CHARS + 1):
                prefix, rest = stripped[: m.start()].strip(), stripped[m.start():].strip()
                if prefix and not _NOT_IN_PREFIX.search(prefix) and self._match(rest) is not None:
                    found[prefix].append((index, rest))
                    break
        for prefix, hits in found.items():
            if len(hits) < MIN_PREFIX_LINES:
                continue
            for index, rest in hits:
                candidate = self._match(rest)
                assert candidate is not None
                candidate.reason += f", after the prefix {prefix!r} found on {len(hits)} lines"
                self.prefixed[index] = candidate

    def candidate(self, index: int, line: str, *, alone: bool) -> Candidate | None:
        """The candidate at line ``index`` (stripped ``line``), or None; bare numbers only when ``alone``."""
        if not line or len(line) > MAX_HEADING_CHARS:
            return None
        found = self.prefixed.get(index) or self._match(line)
        if found is not None and found.bare and not alone:
            return None
        return found

    def _match(self, line: str) -> Candidate | None:
        """The candidate a whole stripped line makes, prefix not considered."""
        if self.custom is not None:
            m = self.custom.match(line)
            if m is None:
                return None
            number = m.groupdict().get("num")
            value = (zh_number(number) if number and zh_number(number) is not None else en_number(number or ""))
            return Candidate(line, "matches the project's heading_pattern", "custom" if number else "", value)
        if _HEADING.match(line) or _GLUED_ZH_HEADING.match(line):
            family, number = numbering(line)
            shown = f"{family} {number}" if family and number is not None else "named heading"
            return Candidate(line, f"matches the heading pattern ({shown})", family, number)
        if _BARE_NUMBER.match(line):
            family, number = numbering(line)
            return Candidate(line, "a bare number alone in its block", family, number, bare=True)
        return None


def toc_key(text: str) -> str:
    """A table-of-contents comparison key: letters and digits only, case-folded."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def select_headings(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """Apply the table-of-contents, numbering and repeat rules to the heading items: (items kept, lines dropped)."""
    toc_end, entries = _mark_tables_of_contents(items)
    _promote_listed(items, toc_end, entries)
    dropped = _check_numbering(items)
    return [item for i, item in enumerate(items) if i not in dropped], [items[i] for i in sorted(dropped)]


def _mark_tables_of_contents(items: list[Item]) -> tuple[int, dict[str, int]]:
    """Turn runs of bodiless headings (and the lines under a Contents title) into front-matter text.

    Returns the index of the item after the last table of contents, and its plain entries (key -> line).
    """
    entries: dict[str, int] = {}
    toc_end = 0
    i = 0
    while i < len(items):
        if not items[i].heading:
            i += 1
            continue
        j = i
        while j + 1 < len(items) and items[j + 1].heading:
            j += 1
        run = items[i:j + 1]
        has_body = j + 1 < len(items)
        if has_body and len(run) > MIN_TOC_ENTRIES - 1 and _listed_before(run[-1], run[:-1]):
            run = run[:-1]  # the table of contents is followed at once by the first chapter it lists
        if len(run) >= MIN_TOC_ENTRIES:
            lead = _contents_lead(items, i)
            for item in [*items[lead:i], *run]:
                if item.heading or not _CONTENTS_TITLE.match(item.text):
                    entries.setdefault(toc_key(item.text), item.line)
                item.heading = False
                item.notes.append("an entry of the table of contents")
            toc_end = i + len(run)
        i = j + 1
    return toc_end, entries


def _listed_before(item: Item, earlier: list[Item]) -> bool:
    """Whether a heading repeats one of ``earlier`` (same family and number, or same text)."""
    assert item.candidate is not None
    return any(_same_heading(item, other) for other in earlier)


def _same_heading(a: Item, b: Item) -> bool:
    """Two headings naming the same chapter: same family and number, or the same text."""
    ca, cb = a.candidate, b.candidate
    if ca is not None and cb is not None and ca.family and ca.number is not None:
        return (ca.family, ca.number) == (cb.family, cb.number)
    return toc_key(a.text) == toc_key(b.text)


def _contents_lead(items: list[Item], start: int) -> int:
    """Index of a "Contents" title shortly before ``start`` (short lines between), else ``start``."""
    for k in range(start - 1, max(-1, start - MAX_TOC_LEAD - 1), -1):
        text = items[k].text
        if _CONTENTS_TITLE.match(text):
            return k
        if items[k].heading or len(text) > TOC_ENTRY_CHARS:
            break
    return start


def _promote_listed(items: list[Item], toc_end: int, entries: dict[str, int]) -> None:
    """Lines standing alone after the table of contents that it lists (without a heading pattern) become headings."""
    if not entries:
        return
    seen: set[str] = set()
    for item in items[toc_end:]:
        key = toc_key(item.text)
        if item.heading or not item.alone or key not in entries or key in seen or len(item.text) > TOC_ENTRY_CHARS:
            continue
        seen.add(key)
        item.heading = True
        item.candidate = Candidate(item.text, f"listed in the table of contents (line {entries[key]})")


def _check_numbering(items: list[Item]) -> set[int]:
    """Numbering must progress per family; repeated headings are merged. Returns the indexes of dropped items."""
    headings = [i for i, item in enumerate(items) if item.heading and item.candidate is not None]
    families = Counter(items[i].candidate.family for i in headings if items[i].candidate.number is not None)
    main_family = families.most_common(1)[0][0] if families else ""
    last: dict[str, int] = {}  # family -> last number taken
    previous: int | None = None  # index of the last heading taken
    dropped: set[int] = set()
    for pos, i in enumerate(headings):
        item, cand = items[i], items[i].candidate
        assert cand is not None
        if previous is not None and _same_heading(item, items[previous]):
            kept = items[previous]
            if all(items[k].heading or k in dropped for k in range(previous + 1, i)):
                if len(item.text) > len(kept.text):
                    kept.text, item.text = item.text, kept.text
                item.heading = False
                item.notes.append(f"repeats the heading on line {kept.line}: merged into it")
                dropped.add(i)
                continue
            if toc_key(item.text) == toc_key(kept.text):
                item.heading = False
                item.notes.append(f"repeats the heading on line {kept.line} as a running header: dropped")
                dropped.add(i)
                continue
        numbered = bool(cand.family) and cand.number is not None
        if numbered and cand.family not in last and cand.family != main_family and cand.number != 1:
            item.heading = False
            item.notes.append(f"the first {cand.family!r} heading is numbered {cand.number}, not 1: read as text")
            continue
        if numbered and cand.family in last:
            before = last[cand.family]
            if not _progresses(before, cand.number, _next_number(items, headings[pos + 1:], cand.family)):
                item.heading = False
                item.notes.append(f"numbering would go from {before} to {cand.number}: read as text")
                continue
            if cand.number <= before:
                item.notes.append(f"numbering restarts at {cand.number}")
        if numbered:
            last[cand.family] = cand.number
        previous = i
    return dropped


def _next_number(items: list[Item], later: list[int], family: str) -> int | None:
    """The number of the next heading of ``family`` among ``later`` item indexes."""
    for k in later:
        cand = items[k].candidate
        if items[k].heading and cand is not None and cand.family == family and cand.number is not None:
            return cand.number
    return None


def _progresses(before: int, number: int, following: int | None) -> bool:
    """Whether ``number`` may follow ``before``: a small step up, a restart at 1, or a jump the next heading confirms."""
    if number == 1 and before >= 1:
        return True
    if before < number <= before + MAX_NUMBER_JUMP:
        return True
    return number > before and following is not None and number < following <= number + MAX_NUMBER_JUMP


def decisions(items: list[Item]) -> list[HeadingDecision]:
    """One decision per candidate line (taken or not), in file order."""
    out = [
        HeadingDecision(item.line, item.text, item.heading, "; ".join([item.candidate.reason, *item.notes]))
        for item in items
        if item.candidate is not None
    ]
    return sorted(out, key=lambda d: d.line)
