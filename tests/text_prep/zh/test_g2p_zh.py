"""Chinese G2P end to end: sandhi in context, erhua v1 vs v2, punctuation phones, word2ph, lexicon words."""
from __future__ import annotations

import pytest

from text_prep.zh.g2p import clean_text, g2p_zh
from text_prep.phones.lexicon import ZhEntry
from text_prep.phones.symbols import load_symbols


def _phones(text: str, version: str = "v2") -> str:
    return " ".join(g2p_zh([text], version).phones)


@pytest.mark.parametrize(("text", "phones"), [
    ("你好", "n i2 h ao3"),
    ("一个", "y i2 g e5"),
    ("一样", "y i2 y ang4"),
    ("第一", "d i4 y i1"),
    ("不要", "b u2 y ao4"),
    ("不是", "b u2 sh ir4"),
    ("看不懂", "k an4 b u5 d ong3"),
    ("老鼠", "l ao2 sh u3"),
    ("展览馆", "zh an2 l an2 g uan3"),
    ("他们说了", "t a1 m en5 sh uo1 l e5"),
    ("他笑着说", "t a1 x iao4 zh e5 sh uo1"),
    ("我的书", "w o3 d e5 sh u1"),
    ("怎么敢上厅堂", "z en3 m e5 g an3 sh ang4 t ing1 t ang2"),   # the verb 上 keeps its tone
    ("骗你哩", "p ian4 n i3 l i5"),                              # the particle 哩 is neutral
    ("他站起来了", "t a1 zh an4 q i3 l ai5 l e5"),                # 起来: only 来 is neutral
    ("那里有人", "n a4 l i3 y ou3 r en2"),                        # the reference's li3
    ("兄弟们", "x iong1 d i5 m en5"),                             # its neutral-tone list
    ("丫鬟坐下", "y a1 h uan2 z uo4 x ia4"),                      # pypinyin's citation tones, not CC-CEDICT's
    ("嗯，好", "EE en1 , h ao3"),                                  # 嗯 read as 恩, as the reference does
])
def test_sandhi_in_context(text: str, phones: str) -> None:
    assert _phones(text) == phones


def test_erhua_only_in_v2() -> None:
    assert _phones("哪儿", "v1").endswith("EE er5") or _phones("哪儿", "v1").endswith("EE er2")
    assert _phones("哪儿", "v2") == "n a3 EE er3"
    assert _phones("一点儿", "v2").endswith("d ian3 EE er3")
    assert _phones("女儿", "v2") == "n v3 EE er2"          # 儿 meaning child is not erhua
    for version in ("v1", "v2"):                           # 儿 is never lost, whatever spelling the source uses
        assert _phones("绣毬儿，火轮儿", version).count("EE er") == 2


def test_punctuation_phones_and_word2ph() -> None:
    result = g2p_zh(["你好，世界！真的吗？？好……走——来-去。"], "v2")
    assert result.norm_text == "你好,世界!真的吗?好…走来-去."             # a run of marks keeps its first
    assert [p for p in result.phones if not p[-1].isalnum()] == [",", "!", "?", "…", "-", "."]   # —— dropped
    assert len(result.word2ph) == len(result.norm_text)
    assert sum(result.word2ph) == len(result.phones)
    assert all(n == (1 if ch in ",!?…-." else 2) for ch, n in zip(result.norm_text, result.word2ph))


def test_clean_text_keeps_only_chinese_and_six_marks() -> None:
    assert clean_text("他说：“abc 你好😀。”！！") == "他说,你好."
    assert clean_text("《书名》（注）") == "书名注"


def test_lexicon_word_keeps_the_users_reading_and_context_is_kept() -> None:
    entry = ZhEntry("长公主", ("chang2", "gong1", "zhu3"))
    result = g2p_zh(["她是", entry, "，", entry, "很好"], "v2")
    assert result.norm_text == "她是长公主,长公主很好"
    assert " ".join(result.phones).count("ch ang2 g ong1 zh u3") == 2
    assert _phones("她是长公主").count("zh ang3") == 1      # what the model says without the lexicon


def test_rare_and_unreadable_characters() -> None:
    result = g2p_zh(["䶮字"], "v2")                        # CJK extension A character with a reading
    assert set(result.phones) <= set(load_symbols("v2"))
    assert len(result.word2ph) == len(result.norm_text)
    assert g2p_zh(["😀🙂"], "v2").phones == ()
    assert g2p_zh([""], "v1").phones == ()
