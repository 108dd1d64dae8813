"""Chinese normalisation: one case (or a few) per rule, exact spoken forms."""
from __future__ import annotations

import pytest

from text_prep.normalize import normalize_zh


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        # cardinals, 两 only for a bare 2 before a measure word (the reference's 二百, 二千), never after 第
        ("共465篇", "共四百六十五篇"),
        ("10011个", "一万零一十一个"),
        ("10011", "幺零零幺幺"),                      # no measure word: a code, digit by digit
        ("他的编号是48615964。", "他的编号是四八六幺五九六四。"),
        ("房间号312", "房间号三幺二"),
        ("2000多箱", "二千多箱"),
        ("200两银子", "二百两银子"),
        ("第256页", "第二百五十六页"),
        ("100兆", "一百兆"),
        ("人均200以内", "人均二零零以内"),
        ("2年后", "两年后"),
        ("2两", "二两"),
        ("第2名", "第二名"),
        ("2", "二"),
        ("1,234,567人", "一百二十三万四千五百六十七人"),
        ("独得300w张", "独得三百万张"),
        # decimals, fractions, percents, negatives
        ("共计6.42万人", "共计六点四二万人"),
        ("命中率.22", "命中率零点二二"),
        ("36.00元", "三十六点零元"),                  # trailing zeros: one 零, as the reference reads
        ("版本v2.0发布", "版本v二点零发布"),
        ("3/16", "十六分之三"),
        ("1 / 2", "二分之一"),
        ("同比增长6.3%", "同比增长百分之六点三"),
        ("5%-10%", "百分之五到百分之十"),
        ("-2.5%", "负百分之二点五"),
        ("计算-2的绝对值", "计算负二的绝对值"),
        # ranges and scores
        ("3-5天", "三到五天"),
        ("3~5年", "三到五年"),
        ("中国1-2", "中国一比二"),
        ("比分定格在78:96", "比分定格在七十八比九十六"),
        # phone numbers, digit by digit with 幺
        ("可以打我手机13501234567", "可以打我手机幺三五零幺二三四五六七"),
        ("尾号为2349", "尾号为二三四九"),
        ("可以拨打12306来咨询", "可以拨打幺二三零六来咨询"),
        ("给12315打个电话", "给幺二三幺五打个电话"),
        ("报警请打110。", "报警请打幺幺零。"),
        ("他考了120分", "他考了一百二十分"),
        ("127.0.0.1", "一二七点零点零点一"),
        # dates and years
        ("2008-08-08", "二零零八年八月八日"),
        ("2002/01/28", "二零零二年一月二十八日"),
        ("08-08-2008", "二零零八年八月八日"),
        ("2008.08", "二零零八年八月"),
        ("08/08", "八月八日"),
        ("1990年", "一九九零年"),
        ("公元618年", "公元六一八年"),                  # a calendar year of any length
        ("他活了80年", "他活了八十年"),                  # a count of years
        ("2008-2010年", "二零零八到二零一零年"),
        ("90后", "九零后"),
        # times
        ("我是5:02开始的", "我是五点零二分开始的"),
        ("于5:35:36发射", "于五点三十五分三十六秒发射"),
        ("2:02", "二点零二分"),
        ("14:30", "十四点半"),
        ("8:30-22:00", "八点半至二十二点"),
        ("8:00 a.m.准时开会", "上午八点准时开会"),
        ("10:00-12:00开会", "十点至十二点开会"),
        # money
        ("价格是￥13.5", "价格是十三点五元"),
        ("价格是A$13.5", "价格是十三点五澳元"),
        ("CNY 1.25", "一点二五人民币"),
        ("售价$5万", "售价五万美元"),
        ("售价￥299.00", "售价二百九十九元"),
        # units
        ("重达25kg", "重达二十五千克"),
        ("最高气温38°C", "最高气温三十八度"),
        ("温度在-10℃~5℃之间", "温度在零下十度到五度之间"),
        ("15-20℃", "十五到二十度"),
        ("实际面积120m²", "实际面积一百二十平方米"),
        ("10km/h", "每小时十公里"),
        ("渲染速度10ms一帧", "渲染速度十毫秒一帧"),
        ("2km", "两千米"),
        # math signs
        ("2 = 1 + 1", "二等于一加一"),
        ("5-3=2", "五减三等于二"),
        ("3×4=12", "三乘四等于十二"),
        ("2<=4", "二小于等于四"),
        ("当场票数≥100万", "当场票数大于等于一百万"),
        ("±2的平方都是4", "正负二的平方都是四"),
        # abbreviations written with digits
        ("O2O", "O to O"),
    ],
)
def test_rules(written: str, spoken: str) -> None:
    assert normalize_zh(written) == spoken


def test_embedded_english_words_are_left_for_the_g2p() -> None:
    assert normalize_zh("ChatGPT的GPU用了8张卡") == "ChatGPT的GPU用了八张卡"
    assert normalize_zh("我用iPhone打电话") == "我用iPhone打电话"


def test_sentence_punctuation_is_kept_and_full_width_unified() -> None:
    assert normalize_zh("他说：“我们已经吃过了！”。") == "他说:“我们已经吃过了!”。"
    assert normalize_zh("苹果发布新ＩＰＨＯＮＥ，仅仅是２０１５年") == "苹果发布新IPHONE,仅仅是二零一五年"


def test_traditional_characters_become_simplified() -> None:
    assert normalize_zh("寶貝們說了3句話") == "宝贝们说了三句话"
    assert normalize_zh("乾隆皇帝") == "乾隆皇帝"  # simplified text is left alone


def test_circle_used_as_zero_among_numerals() -> None:
    assert normalize_zh("第一○回") == "第一〇回"
