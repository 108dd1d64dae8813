"""Tone sandhi as the reference computes it, on words with known citation pinyin (no pinyin model involved)."""
from __future__ import annotations

import pytest

from text_prep.zh.tone_sandhi import Word, apply_sandhi, pre_merge, sandhi_words


def _sandhi(text: str, pinyin: str, pos: str = "x") -> str:
    return " ".join(apply_sandhi(Word(text, pos, tuple(pinyin.split()))).pinyins)


@pytest.mark.parametrize(("text", "citation", "pos", "spoken"), [
    ("你好", "ni3 hao3", "l", "ni2 hao3"),
    ("老鼠", "lao3 shu3", "n", "lao2 shu3"),
    ("展览馆", "zhan3 lan3 guan3", "n", "zhan2 lan2 guan3"),       # 2+1: first two change
    ("小老鼠", "xiao3 lao3 shu3", "n", "xiao3 lao2 shu3"),          # 1+2: the middle changes
    ("很好", "hen3 hao3", "d", "hen2 hao3"),
    ("好吃", "hao3 chi1", "a", "hao3 chi1"),
])
def test_third_tone(text: str, citation: str, pos: str, spoken: str) -> None:
    assert _sandhi(text, citation, pos) == spoken


@pytest.mark.parametrize(("text", "citation", "spoken"), [
    ("一个", "yi1 ge4", "yi2 ge5"),          # yi2 before a (citation) fourth tone; 个 as measure word neutral
    ("一样", "yi1 yang4", "yi2 yang4"),
    ("一天", "yi1 tian1", "yi4 tian1"),
    ("第一", "di4 yi1", "di4 yi1"),
    ("统一", "tong3 yi1", "tong3 yi1"),
    ("看一看", "kan4 yi1 kan4", "kan4 yi5 kan4"),
    ("一九九零", "yi1 jiu3 jiu3 ling2", "yi1 jiu3 jiu3 ling2"),  # a number: 一 unchanged, no 2+2 third pair
    ("十一", "shi2 yi1", "shi2 yi1"),
    ("一百", "yi1 bai3", "yi1 bai3"),                  # the reference leaves 一 in any all-numeral word
    ("一万", "yi1 wan4", "yi1 wan4"),
    ("一九九九", "yi1 jiu3 jiu3 jiu3", "yi1 jiu3 jiu2 jiu3"),
])
def test_yi(text: str, citation: str, spoken: str) -> None:
    assert _sandhi(text, citation) == spoken


@pytest.mark.parametrize(("text", "citation", "spoken"), [
    ("不要", "bu4 yao4", "bu2 yao4"),
    ("不是", "bu4 shi4", "bu2 shi4"),
    ("不好", "bu4 hao3", "bu4 hao3"),
    ("看不懂", "kan4 bu4 dong3", "kan4 bu5 dong3"),
])
def test_bu(text: str, citation: str, spoken: str) -> None:
    assert _sandhi(text, citation) == spoken


@pytest.mark.parametrize(("text", "citation", "pos", "spoken"), [
    ("了", "le5", "ul", "le5"),
    ("了", "liao3", "ul", "liao5"),            # aspect particle even if the source said liao3
    ("着", "zhe2", "uz", "zhe5"),
    ("过", "guo4", "ug", "guo5"),
    ("得", "de2", "ud", "de5"),                # the particle's tone goes neutral
    ("目的", "mu4 di4", "n", "mu4 di5"),       # the reference: any word ending in 的地得
    ("河里", "he2 li3", "ns", "he2 li3"),      # 里 is neutral only for place words tagged s/l/f
    ("家里", "jia1 li3", "s", "jia1 li5"),
    ("哩", "li3", "y", "li5"),                 # the particle 哩 (骗你哩)
    ("起来", "qi3 lai2", "v", "qi3 lai5"),     # the directional complement: 起 keeps its tone
    ("那里", "na4 li3", "r", "na4 li3"),       # not in the reference's lists: li3
    ("男子", "nan2 zi3", "n", "nan2 zi3"),
    ("他们", "ta1 men2", "r", "ta1 men5"),
    ("东西", "dong1 xi1", "n", "dong1 xi5"),   # the reference's neutral-tone word list
    ("先生", "xian1 sheng1", "n", "xian1 sheng5"),
    ("兄弟", "xiong1 di4", "n", "xiong1 di5"),
    ("老太太", "lao3 tai4 tai4", "n", "lao3 tai5 tai5"),  # 老太 (list) + reduplication
    ("桌子", "zhuo1 zi3", "n", "zhuo1 zi5"),
    ("男子", "nan2 zi3", "n", "nan2 zi3"),     # on the reference's never-neutral list
    ("夫人", "fu1 ren2", "n", "fu1 ren2"),
    ("看看", "kan4 kan4", "v", "kan4 kan5"),
    ("人人", "ren2 ren2", "n", "ren2 ren2"),
    ("回来", "hui2 lai2", "v", "hui2 lai5"),
    ("好吧", "hao3 ba1", "x", "hao3 ba5"),
    ("两个", "liang3 ge4", "m", "liang3 ge5"),
])
def test_neutral(text: str, citation: str, pos: str, spoken: str) -> None:
    assert _sandhi(text, citation, pos) == spoken


def test_pre_merge_groups_words_for_the_rules() -> None:
    words = [Word("不", "d", ("bu4",)), Word("懂", "v", ("dong3",)), Word("看", "v", ("kan4",)),
             Word("一", "m", ("yi1",)), Word("看", "v", ("kan4",)), Word("女", "n", ("nv3",)),
             Word("儿", "n", ("er2",))]
    assert [w.text for w in pre_merge(words)] == ["不懂", "看一看", "女儿"]
    assert [w.text for w in pre_merge([Word("我", "r", ("wo3",)), Word("也", "d", ("ye3",))])] == ["我也"]


def test_lexicon_words_are_never_merged_or_changed() -> None:
    fixed = Word("你好", "x", ("ni3", "hao3"), fixed=True)
    assert apply_sandhi(fixed) is fixed
    words = sandhi_words([Word("不", "d", ("bu4",)), fixed])
    assert [w.pinyins for w in words] == [("bu4",), ("ni3", "hao3")]


def test_third_tones_merge_pairwise_and_never_cross_words() -> None:
    words = [Word("我", "r", ("wo3",)), Word("也", "d", ("ye3",)), Word("很", "d", ("hen3",)),
             Word("好", "a", ("hao3",))]
    assert [w.text for w in pre_merge(words)] == ["我也", "很好"]     # a merged word does not merge again
    spoken = " ".join(p for w in sandhi_words(words) for p in w.pinyins)
    assert spoken == "wo2 ye3 hen2 hao3"


def test_verb_shang_and_ba_shou() -> None:
    assert [w.text for w in pre_merge([Word("敢", "v", ("gan3",)), Word("上", "v", ("shang4",))])] == ["敢", "上"]
    assert _sandhi("上", "shang4", "v") == "shang4"          # a verb 上 keeps its tone (怎么敢上厅堂)
    assert _sandhi("上", "shang4", "f") == "shang4"          # a lone localiser too: only X上 words change
    assert _sandhi("桌上", "zhuo1 shang4", "s") == "zhuo1 shang5"
