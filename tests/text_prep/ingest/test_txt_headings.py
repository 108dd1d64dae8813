"""TXT chapter headings in messy real-world layouts: site prefixes, tables of contents, numbering, repeats, overrides.

The texts are synthetic, built to reproduce the layouts of held-out novels that went wrong: a BOM +
CRLF site download whose heading lines carry a breadcrumb prefix, a traditional-character edition
numbering chapters 廿一/卅, a download with a table of contents, a repeated heading and a stray
heading-like line, and a Gutenberg English novel whose contents list plain front sections and whose
prose has paragraphs starting "BOOK I. ..., CHAPTER I. ...".
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from text_prep.ingest.inspect import inspect_book
from text_prep.ingest.load import IngestOptions, load_book
from text_prep.ingest.txt import FRONT_MATTER_TITLE, read_txt
from text_prep.ingest.txt_headings import en_number, zh_number

ZH_DIGITS = "一二三四五六七八九"
ZH_BODY = (
    "　　却说那猴王自从得了名字，每日里在山中玩耍，不觉又过了许多年月。众猴都来拜贺，大家欢喜不尽。\n"
    "　　次日一早，猴王又领着众猴上山采花觅果，直到天晚方才回来歇息。\n"
)
EN_BODY = (
    "It was a long day on the water and the men were tired of the work, so they sat\n"
    "down on the deck and talked of home until the sun went down over the sea.\n"
)


def zh_numeral(n: int) -> str:
    """1..39 in the style of old editions: 十一, 廿, 廿三, 卅一."""
    tens, units = divmod(n, 10)
    unit = ZH_DIGITS[units - 1] if units else ""
    return unit if tens == 0 else ("十", "廿", "卅")[tens - 1] + unit


def body_titles(path: Path, **kwargs: object) -> list[str]:
    return [c.title for c in read_txt(path, **kwargs).chapters if c.kind == "body"]


def test_headings_behind_a_recurring_site_prefix_in_a_bom_crlf_file(tmp_path: Path) -> None:
    text = "西游记\n\n作者：吴承恩\n\n" + "".join(
        f"《》目录 第{zh_numeral(i)}回　灵根育孕源流出　心性修持大道生\n{ZH_BODY}\n" for i in range(1, 31)
    )
    path = tmp_path / "site.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    book = read_txt(path)
    titles = [c.title for c in book.chapters if c.kind == "body"]
    assert len(titles) == 30
    assert titles[0] == "第一回 灵根育孕源流出 心性修持大道生" and titles[-1].startswith("第卅回")
    assert book.metadata.title == "西游记" and book.metadata.authors == ["吴承恩"]
    assert all("prefix '《》目录'" in d.reason for d in book.headings if d.taken)


def test_a_prefix_seen_once_does_not_make_a_heading(tmp_path: Path) -> None:
    text = "第一回 開始\n\n" + ZH_BODY + "\n楼主说 第三回 真好看\n\n" + ZH_BODY + "\n第二回 結束\n\n" + ZH_BODY
    path = tmp_path / "once.txt"
    path.write_text(text, encoding="utf-8")
    assert body_titles(path) == ["第一回 開始", "第二回 結束"]


def test_toc_repeated_heading_and_stray_number_in_a_crlf_edition(tmp_path: Path) -> None:
    chapters = 35
    toc = "紅樓夢\n\n目錄\n" + "".join(f"第{zh_numeral(i)}回　甄士隱夢幻識通靈\n" for i in range(1, chapters + 1))
    text = toc + "\n　　此開卷第一回也。作者自云：曾歷過一番夢幻之後，故將真事隱去。\n\n"
    for i in range(1, chapters + 1):
        text += f"第{zh_numeral(i)}回　甄士隱夢幻識通靈\n\n"
        if i == 7:
            text += "第七回\n\n"  # the heading again, alone: merged
        text += ZH_BODY + "\n"
        if i == 9:
            text += "第卅二回\n\n" + ZH_BODY + "\n"  # out of order: read as text
    path = tmp_path / "hong.txt"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    book = read_txt(path)
    titles = [c.title for c in book.chapters if c.kind == "body"]
    assert titles == [f"第{zh_numeral(i)}回 甄士隱夢幻識通靈" for i in range(1, chapters + 1)]
    front = book.chapters[0]
    assert front.kind == "front" and "目錄" in front.paragraphs
    ninth = book.chapters[9]
    assert "第卅二回" in ninth.paragraphs  # kept as text, not lost
    reasons = {d.text: d.reason for d in book.headings if not d.taken}
    assert "merged" in reasons["第七回"] and "from 9 to 32" in reasons["第卅二回"]


def gutenberg_novel(chapters: int) -> str:
    head = (
        "The Project Gutenberg eBook of Whale Tale\n\nTitle: Whale Tale\n\nAuthor: Her Man\n\n"
        "*** START OF THE PROJECT GUTENBERG EBOOK WHALE TALE ***\n\n\nWHALE TALE;\n\nBy Her Man\n\n\n"
    )
    toc = "CONTENTS\n\nETYMOLOGY.\n\nEXTRACTS (Supplied by a Sub-Sub-Librarian).\n\n" + "".join(
        f"CHAPTER {i}. Title {i}.\n\n" for i in range(1, chapters + 1)
    ) + "Epilogue\n\n\n\n"
    body = (
        f"ETYMOLOGY.\n\n(Supplied by a Late Usher to a Grammar School.)\n\n{EN_BODY}\n"
        f"EXTRACTS. (Supplied by a Sub-Sub-Librarian).\n\n{EN_BODY}\n"
    )
    for i in range(1, chapters + 1):
        body += f"CHAPTER {i}. Title {i}.\n\n{EN_BODY}\n"
        if i == 3:
            body += (
                "BOOK I. (Folio), CHAPTER I. (Sperm Whale).—This whale, among the English of\n"
                "old vaguely known as the Trumpa whale, is the largest of them all.\n\n"
                "BOOK I. (Folio), CHAPTER II. (Right Whale).—In one respect this is the\n"
                "Most venerable of the leviathans, being the one first regularly hunted.\n\n"
                "BOOK II. (Octavo).—These embrace the whales of middling magnitude.\n\n"
            )
    return head + toc + body + f"Epilogue\n\n{EN_BODY}\n*** END OF THE PROJECT GUTENBERG EBOOK WHALE TALE ***\n"


def test_contents_list_plain_sections_and_prose_that_starts_like_a_heading(tmp_path: Path) -> None:
    path = tmp_path / "whale.txt"
    path.write_text(gutenberg_novel(8), encoding="utf-8")
    book = read_txt(path)
    assert [c.title for c in book.chapters] == [
        FRONT_MATTER_TITLE,
        "ETYMOLOGY.",
        "EXTRACTS. (Supplied by a Sub-Sub-Librarian).",
        *(f"CHAPTER {i}. Title {i}." for i in range(1, 9)),
        "Epilogue",
    ]
    third = book.chapters[5]
    assert len(third.paragraphs) == 4 and third.paragraphs[1].startswith("BOOK I. (Folio), CHAPTER I.")
    assert "CONTENTS" in book.chapters[0].paragraphs


def test_numbering_may_restart_under_parts(tmp_path: Path) -> None:
    text = "".join(
        f"Part {part}\n\n" + "".join(f"Chapter {i}\n\nSome words of part {part}.\n\n" for i in range(1, 4))
        for part in (1, 2)
    )
    path = tmp_path / "parts.txt"
    path.write_text(text, encoding="utf-8")
    book = read_txt(path)
    assert [c.title for c in book.chapters if c.kind == "body"] == ["Chapter 1", "Chapter 2", "Chapter 3"] * 2
    assert any("restarts at 1" in d.reason for d in book.headings)
    assert not any("prefix" in d.reason for d in book.headings)  # "...words of part 1." is prose


def test_a_project_heading_pattern_replaces_the_built_in_one(tmp_path: Path) -> None:
    text = "Intro words.\n\n§ 1 Dawn\n\nLight came.\n\n§ 2 Noon\n\nHeat came.\n\n§ 9 misprint\n\nStill noon.\n\n§ 3 Dusk\n\nDark came.\n"
    path = tmp_path / "custom.txt"
    path.write_text(text, encoding="utf-8")
    assert body_titles(path) == [FRONT_MATTER_TITLE]  # nothing the built-in patterns know: one chapter
    pattern = r"§ (?P<num>\d+) \w+$"
    assert body_titles(path, heading_pattern=pattern) == ["§ 1 Dawn", "§ 2 Noon", "§ 3 Dusk"]
    assert [c.title for c in load_book(path, heading_pattern=pattern).chapters][1:] == ["§ 1 Dawn", "§ 2 Noon", "§ 3 Dusk"]
    with pytest.raises(ValueError, match="heading_pattern"):
        IngestOptions(heading_pattern="([unclosed")


def test_inspect_says_why_each_heading_was_taken(tmp_path: Path) -> None:
    path = tmp_path / "whale.txt"
    path.write_text(gutenberg_novel(4), encoding="utf-8")
    out = inspect_book(path)
    assert "Headings (TXT)" in out
    assert "- listed in the table of contents" in out and "; an entry of the table of contents" in out
    assert "its sentence goes on in the next line" in out
    data = json.loads(inspect_book(path, as_json=True))
    taken = [h for h in data["headings"] if h["taken"]]
    assert [h["text"] for h in taken][:3] == ["ETYMOLOGY.", "EXTRACTS. (Supplied by a Sub-Sub-Librarian).", "CHAPTER 1. Title 1."]
    assert all(h["reason"] and h["line"] > 0 for h in data["headings"])


@pytest.mark.parametrize(
    ("text", "value"),
    [("一", 1), ("十二", 12), ("廿一", 21), ("卅", 30), ("一百零一", 101), ("一百二十", 120), ("九八", 98),
     ("一○○", 100), ("１２", 12), ("兩千", 2000), ("x", None)],
)
def test_chinese_numerals(text: str, value: int | None) -> None:
    assert zh_number(text) == value


@pytest.mark.parametrize(("text", "value"), [("12", 12), ("XII", 12), ("iv", 4), ("Twelve", 12), ("first", 1),
                                             ("last", None), ("IIII", None)])
def test_english_numbers(text: str, value: int | None) -> None:
    assert en_number(text) == value


def test_a_heading_after_an_unfinished_line_is_taken_when_it_continues_the_numbering(tmp_path: Path) -> None:
    verse = "　　正是：滿紙荒唐言一把辛酸淚都云作者痴誰解其中味真是好一段故事說與後來的人聽那些年那些人那些事"  # long, no stop
    text = "".join(
        f"第{zh_numeral(i)}回　甄士隱夢幻識通靈\n{ZH_BODY}{verse}\n" for i in range(1, 6)
    ) + "　　這是第九回\n的故事。\n"
    path = tmp_path / "verse.txt"
    path.write_text(text, encoding="utf-8")
    book = read_txt(path)
    assert [c.title for c in book.chapters] == [f"第{zh_numeral(i)}回 甄士隱夢幻識通靈" for i in range(1, 6)]
    assert sum("continues the numbering" in d.reason for d in book.headings) == 4
