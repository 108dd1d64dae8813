"""Pronunciation lexicon: both file formats, validation with path and line, splitting, fingerprints."""
from __future__ import annotations

from pathlib import Path

import pytest

from text_prep.errors import LexiconError
from text_prep.phones.lexicon import EnEntry, Lexicon, ZhEntry


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


PLAIN = """# project lexicon
长公主  chang2 gong1 zhu3
tomato  T AH0 M EY1 T OW2
Hermione = her my oh nee
"""


def test_plain_text_entries(tmp_path: Path) -> None:
    lex = Lexicon.load(_write(tmp_path, "lexicon.txt", PLAIN))
    assert lex.zh["长公主"] == ZhEntry("长公主", ("chang2", "gong1", "zhu3"))
    assert lex.en["tomato"] == EnEntry("tomato", phones=("T", "AH0", "M", "EY1", "T", "OW2"))
    assert lex.en["hermione"].respelling == "her my oh nee"


def test_toml_entries_top_level_and_tables(tmp_path: Path) -> None:
    toml = '"重庆" = "chong2 qing4"\n[zh]\n"长公主" = "chang2 gong1 zhu3"\n[en]\nGIF = "JH IH1 F"\n'
    lex = Lexicon.load(_write(tmp_path, "lexicon.toml", toml))
    assert lex.zh["重庆"].pinyins == ("chong2", "qing4")
    assert lex.zh["长公主"].pinyins[0] == "chang2"
    assert lex.en["gif"].phones == ("JH", "IH1", "F")


@pytest.mark.parametrize(("text", "problem"), [
    ("# ok\n长公主 chang2 gong1\n", "line 2: 长公主: 3 characters but 2"),
    ("长公主 chang gong1 zhu3\n", "line 1: 'chang': pinyin needs a tone digit"),
    ("长公主 chang2 gong1 zxu3\n", "line 1: 'zxu3'"),
    ("tomato T AH0 M EY7 T OW2\n", "line 1: tomato: 'EY7' is not an ARPAbet phone"),
    ("A股 a1 gu3\n", "line 1: 'A股': a word must be all Chinese characters or all Latin letters"),
    ("\n\nlonely\n", "line 3: expected a word and its pronunciation"),
])
def test_malformed_plain_file_names_path_and_line(tmp_path: Path, text: str, problem: str) -> None:
    path = _write(tmp_path, "lexicon.txt", text)
    with pytest.raises(LexiconError) as info:
        Lexicon.load(path)
    assert info.value.path == str(path)
    assert problem in info.value.problem


def test_malformed_toml(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match=r"lexicon.toml: invalid TOML.*line 2"):
        Lexicon.load(_write(tmp_path, "lexicon.toml", 'a = "x"\nb = = \n'))
    with pytest.raises(LexiconError, match=r"line 2: 重庆: the pronunciation must be a string"):
        Lexicon.load(_write(tmp_path, "lexicon.toml", '[zh]\n"重庆" = 3\n'))
    with pytest.raises(LexiconError, match=r"line 3: 长公主: 3 characters"):
        Lexicon.load(_write(tmp_path, "lexicon.toml", '[zh]\n"重庆" = "chong2 qing4"\n"长公主" = "chang2"\n'))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="cannot read lexicon"):
        Lexicon.load(tmp_path / "nope.txt")


def test_split_longest_match_and_english_word_boundaries(tmp_path: Path) -> None:
    lex = Lexicon.load(_write(tmp_path, "l.txt", PLAIN + "公主 gong1 zhu3\nGPU gee pee you\n"))
    pieces = lex.split("长公主和公主说：Tomato, tomatoes, my GPU!")
    assert pieces == [lex.zh["长公主"], "和", lex.zh["公主"], "说：", lex.en["tomato"],
                      ", tomatoes, my ", lex.en["gpu"], "!"]


def test_empty_lexicon_and_fingerprints(tmp_path: Path) -> None:
    empty = Lexicon.empty()
    assert not empty and empty.split("你好") == ["你好"] and empty.split("") == []
    assert empty.fingerprint() == Lexicon.empty().fingerprint()
    a = Lexicon.load(_write(tmp_path, "a.txt", PLAIN))
    b = Lexicon.load(_write(tmp_path, "b.txt", "\n".join(reversed(PLAIN.splitlines())) + "\n"))
    c = Lexicon.load(_write(tmp_path, "c.txt", PLAIN.replace("chang2", "zhang3")))
    assert a.fingerprint() == b.fingerprint()          # order and comments do not matter
    assert len({a.fingerprint(), c.fingerprint(), empty.fingerprint()}) == 3
