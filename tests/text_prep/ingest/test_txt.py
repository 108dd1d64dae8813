"""TXT books: encodings, line endings, hard wrapping, chapter headings, TOC/boilerplate skipping, bad files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from text_prep.errors import BookError
from text_prep.ingest.load import load_book
from text_prep.ingest.txt import FRONT_MATTER_TITLE, read_txt

CHINESE = "第一回 開始\n\n　　天色漸漸暗了下來。行者道：「師父，我們今晚就在這裡過夜吧。」\n\n第二回 結束\n\n　　眾人都同意了，於是開始準備晚飯，大家吃得很高興。\n"
SIMPLIFIED = "第一章 开始\n\n　　天色渐渐暗了下来。“师父，我们今晚就在这里过夜吧，”他说道。\n\n第二章 结束\n\n　　大家都同意了，于是开始准备晚饭。\n"
WESTERN = "Chapter 1\n\nThe café served crème brûlée to the naïve señor.\n\nChapter 2\n\nHe paid in façade coins.\n"


def write(tmp_path: Path, data: bytes, name: str = "book.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        (CHINESE, "utf-8"),
        (CHINESE, "utf-8-sig"),
        (CHINESE, "utf-16"),
        (WESTERN, "utf-16-le"),
        (SIMPLIFIED, "gb18030"),
        (SIMPLIFIED, "gbk"),
        (CHINESE, "big5"),
        (WESTERN, "latin-1"),
    ],
)
def test_encodings_are_detected(tmp_path: Path, text: str, codec: str) -> None:
    book = read_txt(write(tmp_path, text.encode(codec)))
    paragraphs = [p for c in book.chapters for p in c.paragraphs]
    expected = [line.strip() for line in text.split("\n\n")[1::2]]
    assert paragraphs == [p.replace("\n", "") for p in expected]
    assert len(book.chapters) == 2


def test_line_endings_and_hard_wrapping(tmp_path: Path) -> None:
    text = (
        "CHAPTER I.\r\nDown the Hole\r\n\r\nAlice was beginning to get very tired of sitting by her sister on the\r\n"
        "bank, and of having nothing to do: once or twice she had peeped into a\r\nwell-\r\nknown book.\r\n\r\n"
        "So she was considering.\r\n"
    )
    chapter = read_txt(write(tmp_path, text.encode())).chapters[0]
    assert chapter.title == "CHAPTER I. Down the Hole"
    assert chapter.paragraphs == [
        "Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: "
        "once or twice she had peeped into a well-known book.",
        "So she was considering.",
    ]


def test_chinese_hard_wrap_joins_without_spaces_and_indent_starts_paragraphs(tmp_path: Path) -> None:
    text = "第一回\n\n蓋聞天地之數，有十二萬九千\n六百歲為一元。將一元分為十二會。\n　　詩曰：\n　　　　混沌未分天地亂。\n"
    chapter = read_txt(write(tmp_path, text.encode())).chapters[0]
    assert chapter.paragraphs == ["蓋聞天地之數，有十二萬九千六百歲為一元。將一元分為十二會。", "詩曰：", "混沌未分天地亂。"]


@pytest.mark.parametrize(
    "heading",
    [
        "第一回 靈根育孕",
        "第十二章",
        "第3节 风起",
        "第一○○回",
        "卷一",
        "Chapter 12",
        "CHAPTER XII.",
        "Letter 4",
        "XII",
        "BOOK II: The Return",
    ],
)
def test_heading_patterns(tmp_path: Path, heading: str) -> None:
    text = f"Some opening words.\n\n{heading}\n\nThe chapter text follows here.\n"
    book = read_txt(write(tmp_path, text.encode()))
    assert [(c.title, c.kind) for c in book.chapters] == [(FRONT_MATTER_TITLE, "front"), (heading, "body")]


def test_prose_lines_that_start_like_headings_are_not_headings(tmp_path: Path) -> None:
    text = (
        "Chapter 1\n\nChapter 3 was the best of them, said he, and then the\nreader turned the page.\n\n"
        "第三回合他又輸了，大家都笑了起來，說他不行\n後來他贏了。\n"
    )
    book = read_txt(write(tmp_path, text.encode()))
    assert [c.title for c in book.chapters] == ["Chapter 1"]
    assert len(book.chapters[0].paragraphs) == 2


def test_table_of_contents_and_gutenberg_boilerplate_are_skipped(tmp_path: Path) -> None:
    text = (
        "The Project Gutenberg eBook of Tiny Tales\n\nTitle: Tiny Tales\n\nAuthor: Jo Writer\n\nLanguage: English\n\n"
        "Release date: May 1, 2001 [eBook #123]\n\n*** START OF THE PROJECT GUTENBERG EBOOK TINY TALES ***\n\n"
        "Contents\n\n CHAPTER I.   The Start\n CHAPTER II.  The End\n\n[Illustration]\n\n"
        "CHAPTER I.\nThe Start\n\nIt was _very_ early.\n\n* * * * *\n\nCHAPTER II.\nThe End\n\nIt was late.\n\n"
        "*** END OF THE PROJECT GUTENBERG EBOOK TINY TALES ***\n\nUpdated editions will replace the previous one.\n"
    )
    book = read_txt(write(tmp_path, text.encode()))
    assert [c.title for c in book.chapters if c.kind == "body"] == ["CHAPTER I. The Start", "CHAPTER II. The End"]
    assert book.chapters[0].kind == "front" and "Contents" in book.chapters[0].paragraphs
    assert book.chapters[1].paragraphs == ["It was very early."]
    assert book.chapters[2].paragraphs == ["It was late."]
    meta = book.metadata
    assert (meta.title, meta.authors, meta.language) == ("Tiny Tales", ["Jo Writer"], "en")
    assert meta.identifier == "gutenberg:123"


def test_line_per_paragraph_files_with_a_toc_at_the_top(tmp_path: Path) -> None:
    text = "目录\n第一章 山\n第二章 水\n第一章 山\n　　山很高。\n　　山上有樹。\n第二章 水\n　　水很深。\n"
    book = read_txt(write(tmp_path, text.encode()))
    assert [(c.title, c.kind) for c in book.chapters] == [
        (FRONT_MATTER_TITLE, "front"),
        ("第一章 山", "body"),
        ("第二章 水", "body"),
    ]
    assert book.chapters[1].paragraphs == ["山很高。", "山上有樹。"]
    assert book.metadata.language == "zh"


def test_stray_html_and_site_adverts_are_removed(tmp_path: Path) -> None:
    text = (
        "第一章 开始\n\n<p>天色渐渐暗了。</p><br/>他说&nbsp;好。\n\n本书由某某网整理提供\n\n"
        "www.example-novels.com\n\n更多精彩小说请访问 www.xs.cn 免费下载\n\n大家都睡了。\n"
    )
    chapter = read_txt(write(tmp_path, text.encode())).chapters[0]
    assert chapter.paragraphs == ["天色渐渐暗了。", "他说 好。", "大家都睡了。"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty file"),
        (b"  \n\r\n\t ", "empty file"),
        (os.urandom(4096), "binary|encoding"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary|encoding"),
    ],
)
def test_empty_and_binary_files_fail_with_book_error(tmp_path: Path, data: bytes, problem: str) -> None:
    with pytest.raises(BookError, match=problem):
        read_txt(write(tmp_path, data))


def test_chinese_author_line_is_read_as_the_author(tmp_path):
    book = tmp_path / "novel.txt"
    book.write_text("灯塔与代码\n\n作者：林晓雨\n\n第一章 雨夜\n\n雨下了一整夜。她没有睡。\n\n第二章 清晨\n\n天亮了。\n",
                    encoding="utf-8")
    parsed = load_book(book)
    assert parsed.metadata.title == "灯塔与代码"
    assert parsed.metadata.authors == ["林晓雨"]
