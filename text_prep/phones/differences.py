"""Every place the front-end deliberately reads text differently from the reference GPT-SoVITS front-end.

Released voices were trained on the reference's phones, so bookvoice follows the reference everywhere
(tone sandhi, neutral tones, erhua, dictionaries, homographs, number conventions) except where the
reference is clearly wrong: it loses a pause, glues or mangles words, or reads a number in a way no
speaker would. Each row names the case, what the reference does, what bookvoice does instead, why, and an
example whose normalised text and phones ``tests/text_prep/phones/test_differences.py`` checks.
Rows marked ``marked`` are the reference bugs the agreement set's README marks (those sentences are left
out of its third figure); the others count against agreement and are kept because the reference's
reading is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Difference:
    """One deliberate difference from the reference front-end, with a checked example."""

    name: str
    lang: str                 # the phonemize() language of the example
    reference: str            # what the reference does
    ours: str                 # what bookvoice does instead
    reason: str
    example: str
    norm_text: str            # our normalised text of the example
    phones: str               # a run of phones our reading of the example contains
    marked: bool = False      # a bug marked in the agreement set's README


DIFFERENCES: tuple[Difference, ...] = (
    Difference("semicolon-colon", "en", "deletes ; and : (its mapping to , never fires: the keys are regex-escaped)",
               "a , pause", "the pause is lost and clauses run together",
               "Yes; I cannot: no.", "Yes; I cannot: no.", "Y EH1 S , AY1 K AE1 N AA0 T , N OW1", marked=True),
    Difference("em-dash", "en", "deletes — and --, gluing the words around it (syndic—he -> syndiche)",
               "a , pause", "words are glued into nonsense and the pause is lost",
               "He is a syndic—he is.", "He is a syndic—he is.", "S IH1 N D IH0 K , HH IY1", marked=True),
    Difference("curly-apostrophe", "en", "deletes ’ inside words: I’m -> Im (IH1 M), she’s -> Shes",
               "’ between letters is an apostrophe", "contractions are misread",
               "Therefore I’m mad.", "Therefore I’m mad.", "AY1 M M AE1 D", marked=True),
    Difference("abbrev-full-stop", "en", "keeps the full stop of Mr. / Mrs. / Dr. / St. before a name: a . pause",
               "the title is read as a word with no stop (Mister Kirwin)", "a sentence pause inside a name",
               "Mr. Kirwin came.", "Mister Kirwin came.", "M IH1 S T ER0 K ER1 W IH0 N", marked=True),
    Difference("capital-A-letter", "en", "reads every capital A as the letter EY1, also the article",
               "A before a lower-case word is the article AH0", "the article is misread",
               "A cat may look at a king.", "A cat may look at a king.", "AH0 K AE1 T", marked=True),
    Difference("words-in-capitals", "en", "spells every capital letter: DRINK ME -> D R I N K M E",
               "capitalised dictionary words in shouting or headings are read as words; acronyms are spelled",
               "whole words are spelled letter by letter",
               "DRINK ME, she read.", "DRINK ME, she read.", "D R IH1 NG K M IY1 ,"),
    Difference("roman-numerals", "en", "spells Roman numerals letter by letter (George III -> G. I I I)",
               "the counted form (George the third, chapter four)", "numbers are spelled as letters",
               "King George III was mad.", "King George the third was mad.", "DH AH0 TH ER1 D"),
    Difference("ellipsis", "en", "deletes … (it keeps ... as .)", "… is read like ... (a . pause)",
               "the pause is lost", "Wait… no.", "Wait… no.", "W EY1 T . N OW1"),
    Difference("full-width-pauses-in-english", "en", "deletes ，、；： in English text",
               "a , pause", "the pause is lost", "Hello，world", "Hello,world", "HH AH0 L OW1 , W ER1 L D"),
    Difference("version-number", "en", "reads v2.0 as 'vtwo point zero' (a made-up word)",
               "V two point zero", "the letter and the number are glued into one guessed word",
               "Get v2.0 now.", "Get V two point zero now.", "V IY1 T UW1 P OY1 N T Z IY1 R OW0"),
    Difference("year-digits", "zh", "reads any number before 年 digit by digit, also durations (100年 -> 一零零年)",
               "a count of years is a cardinal; a calendar year (1998年) stays digit by digit",
               "durations are misread", "这家老店开了100年", "这家老店开了一百年", "y i4 b ai3 n ian2", marked=True),
    Difference("measure-digits", "zh", "reads 3+ digit numbers before a measure word missing from its list "
               "digit by digit (3000骑 -> 三零零零骑)", "a cardinal before any measure word (a larger list)",
               "quantities are misread", "将军率领3000骑", "将军率领三千骑", "s an1 q ian1 q i2", marked=True),
    Difference("dash-as-minus", "zh", "reads a dash outside arithmetic as 减 (18-25岁 -> 十八减二十五岁)",
               "ranges 到, scores 比, dashes in phone numbers dropped", "ranges and scores are misread",
               "年龄在18-25岁之间", "年龄在十八到二十五岁之间", "sh ir2 b a1 d ao4 EE er4", marked=True),
    Difference("fullwidth-stop-deleted", "zh", "deletes ． (U+FF0E), gluing two sentences",
               "． is a . pause", "the sentence pause is lost", "宝玉来了．众人都笑了", "宝玉来了.众人都笑了",
               "l e5 . zh ong4", marked=True),
    Difference("yuan-sign", "zh", "reads ￥ as a pause and the amount digit by digit (￥899 -> ,八九九)",
               "the amount in yuan (八百九十九元)", "prices are misread", "他花了￥899", "他花了八百九十九元",
               "b a1 b ai3 j iu3 sh ir2 j iu3 y van2"),
    Difference("thousands-separator", "zh", "reads the commas of 1,250,000 as pauses between digit groups",
               "the whole number (一百二十五万)", "large numbers are misread", "善款1,250,000元",
               "善款一百二十五万元", "y i4 b ai3 EE er4 sh ir2 w u3 w an4"),
    Difference("score-colon", "zh", "drops the colon of a score (3:1 -> 三一)", "三比一",
               "scores are misread", "以3:1战胜了客队", "以三比一战胜了客队", "s an1 b i3 y i2"),
    Difference("ordinal-two", "zh", "reads 第2天 as 第两天", "第二天 (an ordinal is never 两)",
               "ordinals are misread", "第2天一早", "第二天一早", "d i4 EE er4 t ian1"),
    Difference("degrees-celsius", "zh", "reads the C of °C as an English letter", "度 (as it reads ℃)",
               "a stray letter in Chinese", "最高气温38°C", "最高气温三十八度", "s an1 sh ir2 b a1 d u4"),
    Difference("clock-am-pm", "zh", "reads 8:00 a.m. as 'eight o'clock a.m. a.m.'", "上午八点",
               "the time is read twice, in English", "8:00 a.m.准时开会", "上午八点准时开会",
               "sh ang4 w u3 b a1 d ian3"),
    Difference("latin-units", "zh", "spells units written in Latin letters as English letters (25kg -> K G)",
               "the Chinese unit name (千克)", "a Chinese sentence switches to English letters",
               "重达25kg", "重达二十五千克", "w u3 q ian1 k e4"),
    Difference("tilde", "zh", "its normaliser turns ~ into 至 outside numbers too (好啊~ -> 好啊至)",
               "a … (its G2P's own mapping, which the normaliser pre-empts)", "a word that is not in the text",
               "好啊~", "好啊…", "h ao3 AA a5 …"),
    Difference("slash", "zh", "its normaliser turns / into 每 everywhere (他/她 -> 他每她)", "a , pause",
               "a word that is not in the text", "他/她来了", "他,她来了", "t a1 , t a1"),
    Difference("traditional-characters", "zh", "its own character table keeps 麽 and 乾 (甚麼 -> shen2 mo2, "
               "乾菜 -> qian2) and maps 榜 to 搒", "OpenCC's conversion (么 me5, 干 gan1, 榜 bang3)",
               "common words are misread", "你解得麼？", "你解得么?", "d e5 m e5 ?"),
    Difference("rare-characters", "zh", "deletes characters outside U+4E00-U+9FA5 (CJK extensions)",
               "reads them when a reading is known", "characters are silently dropped",
               "䶮字", "䶮字", "y En3 z i04"),
)
