"""The whole front-end: every phone in the version's table, consistent segments, mixed text, lexicon, odd input."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from text_prep.phones.frontend import Phonemes, describe_phones, phonemize
from text_prep.phones.lexicon import Lexicon
from text_prep.phones.symbols import PUNCTUATION, load_symbols, phones_to_ids

SENTENCES = [
    "你好，世界！", "我用ChatGPT写了3篇文章，价格是$100。", "5G网络的速度是3.5km/h吗？",
    "他说：“今天是2024年3月5日，气温25℃。”", "The year 1990 was 25% better, wasn't it?",
    "I bought an RTX 4090显卡 for ¥12,999.", "哪儿有一点儿水？", "看不懂的东西，不要看。",
    "Dr. Smith's GPU ran at 1.5GHz on 3/4 of the nodes.", "孙悟空大闹天宫——“俺老孙来也！”",
    "第一章 The Beginning", "一九九八年，老鼠在展览馆里跑来跑去……", "ＡＢＣ１２３", "Ω≈∞ §†",
]
ALPHABET = list("你好世界长公主了着的一不儿老鼠,.!?，。！？…—- 0123456789%$") + ["GPU", "the", "Chat", "😀", "𠀀", "䶮"]


def _random_texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def _check(result: Phonemes) -> None:
    table = set(load_symbols(result.version))
    assert set(result.phones) <= table
    assert result.phone_ids == phones_to_ids(result.phones, result.version)
    assert result.phones == tuple(p for s in result.segments for p in s.phones)
    assert result.norm_text == "".join(s.norm_text for s in result.segments)
    for seg in result.segments:
        assert seg.phones and seg.lang in ("zh", "en")
        if seg.lang == "zh":
            assert len(seg.word2ph) == len(seg.norm_text) and sum(seg.word2ph) == len(seg.phones)
            assert all("\u3400" <= ch or ch in PUNCTUATION for ch in seg.norm_text)
        else:
            assert seg.word2ph == ()


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("lang", ["auto", "zh", "en"])
def test_every_phone_is_in_the_symbol_table(version: str, lang: str) -> None:
    for text in SENTENCES + _random_texts(60):
        _check(phonemize(text, lang=lang, version=version))


def test_mixed_sentence_segments() -> None:
    result = phonemize("我用ChatGPT写代码，GPU很贵。")
    assert [s.lang for s in result.segments] == ["zh", "en", "zh", "en", "zh"]
    assert result.segments[1].phones[:3] == ("CH", "AE1", "T")
    assert result.segments[3].phones == ("JH", "IY1", "P", "IY1", "Y", "UW1")
    assert result.norm_text == "我用ChatGPT写代码,GPU很贵."


def test_language_choice_decides_lonely_numbers() -> None:
    assert [s.lang for s in phonemize("100", lang="zh").segments] == ["zh"]
    assert [s.lang for s in phonemize("100", lang="en").segments] == ["en"]
    assert phonemize("100").segments[0].lang == "en"
    assert [s.lang for s in phonemize("第3章", lang="en").segments] == ["zh"]


def test_erhua_differs_between_versions() -> None:
    assert phonemize("哪儿", version="v1").phones[-1] != "er3"
    assert phonemize("哪儿", version="v2").phones[-1] == "er3"


def test_lexicon_fixes_a_word_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.txt"
    path.write_text("长公主 chang2 gong1 zhu3\nGIF jiff\nSQL S IY1 K W AH0 L\n", encoding="utf-8")
    lex = Lexicon.load(path)
    text = "长公主笑了。后来长公主也笑了。"
    plain = " ".join(phonemize(text).phones)
    fixed = " ".join(phonemize(text, lexicon=lex).phones)
    assert "zh ang3 g ong1" in plain                                # the misreading the user fixes
    assert fixed.count("ch ang2 g ong1 zh u3") == 2 and "zh ang3" not in fixed
    gif = phonemize("I like GIF files and SQL", lexicon=lex)
    assert "JH IH1 F" in " ".join(gif.phones)                     # respelling "jiff", not G-I-F
    assert "S IY1 K W AH0 L" in " ".join(gif.phones)
    _check(gif)


@pytest.mark.parametrize("text", ["", "   ", "，。！？", "😀🙂", "\n\t"])
def test_empty_and_unpronounceable_input(text: str) -> None:
    result = phonemize(text)
    _check(result)
    assert set(result.phones) <= set(PUNCTUATION)


def test_long_line_and_rare_characters() -> None:
    line = ("孙悟空在花果山水帘洞里住了很久，GPU 2024年。" * 400)[:10_000]
    result = phonemize(line)
    _check(result)
    assert len(result.norm_text) > 5_000
    rare = phonemize("𠀀䶮龘")
    _check(rare)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        phonemize("你好", version="v3")
    with pytest.raises(ValueError):
        phonemize("你好", lang="ja")


def test_describe_phones(tmp_path: Path) -> None:
    out = describe_phones("你好 GPU")
    assert "n i2 h ao3 JH IY1 P IY1 Y UW1" in out and "word2ph: 2 2" in out and "norm:    你好GPU" in out
    path = tmp_path / "lex.toml"
    path.write_text('[zh]\n"你好" = "ni3 hao3"\n', encoding="utf-8")
    assert "n i3 h ao3" in describe_phones("你好", lexicon=path)


def test_short_english_runs_get_a_leading_pause_like_the_reference() -> None:
    assert phonemize("I", lang="en").phones == (",", "AY1")
    assert phonemize("我用了A方案", lang="zh").phones[6:9] == (",", "EY1", "f")
    assert phonemize("😀", lang="en").phones == ()
