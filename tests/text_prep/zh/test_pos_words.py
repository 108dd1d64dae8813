"""The fast part-of-speech segmenter gives exactly jieba.posseg's words and tags."""
from __future__ import annotations

import pytest

from text_prep.zh.jieba_words import jieba_module
from text_prep.zh.pos_words import pos_words

SENTENCES = [
    "美猴王领一群猿猴、猕猴、马猴等，分派了君臣佐使。",
    "那猴在山中，却会行走跳跃，食草木，饮涧泉，采山花，觅树果；与狼虫为伴，虎豹为群。",
    "又早太阳东上.",                      # a "." in the same block changes the words
    "唐僧们吃了斋,消消停停,将息了一宿.",
    "他在GPT-4和3.5之间犹豫 了很久\n然后走了",
    "獐鹿为友，猕猿为亲；夜宿石崖之下，朝游峰洞之中。",
]


@pytest.mark.parametrize("text", SENTENCES)
def test_same_as_jieba_posseg(text: str) -> None:
    jieba_module()
    import jieba.posseg

    assert pos_words(text) == [(p.word, p.flag) for p in jieba.posseg.lcut(text)]
