"""The text front-end: a sentence -> GPT-SoVITS phones, phone ids and per-language segments (for BERT).

Order: the user's lexicon first (its words are never normalised or guessed), then language segmentation,
normalisation per language (written -> spoken form), a second segmentation of the normalised Chinese
(letters a rule left behind, such as the G of 5G, go to the English G2P), then each run's G2P.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from text_prep.en.g2p import g2p_en
from text_prep.zh.g2p import g2p_zh
from text_prep.phones.langseg import LangRun, has_han, segment
from text_prep.phones.lexicon import EnEntry, Lexicon, LexiconPiece, ZhEntry
from text_prep.normalize import normalize_en, normalize_zh
from text_prep.phones.symbols import check_version, phones_to_ids

LANG_CHOICES = ("auto", "zh", "en")
MIN_EN_PHONES = 4            # shorter English runs get a leading "," (as the reference's clean_text does)


@dataclass(frozen=True)
class PhoneSegment:
    """One language run of a sentence with its phones."""

    lang: str                      # "zh" | "en"
    norm_text: str                 # normalised text of this run
    phones: tuple[str, ...]        # GPT-SoVITS symbols
    word2ph: tuple[int, ...]       # zh: phones per character of norm_text (sum == len(phones)); en: ()


@dataclass(frozen=True)
class Phonemes:
    """A whole sentence's front-end result."""

    text: str                      # input text
    version: str                   # "v1" | "v2"
    segments: tuple[PhoneSegment, ...]
    phones: tuple[str, ...]        # all segments' phones concatenated
    phone_ids: tuple[int, ...]     # ids in the version's symbol table
    norm_text: str                 # all segments' norm_text concatenated


def _normalised_runs(run: LangRun) -> Iterator[LangRun]:
    """Normalise one raw run; Latin letters left in normalised Chinese become English runs."""
    if run.lang == "en":
        yield LangRun("en", normalize_en(run.text))
        return
    for sub in segment(normalize_zh(run.text), default="zh"):
        yield sub if sub.lang == "zh" else LangRun("en", normalize_en(sub.text))


def _runs(text: str, default: str, lexicon: Lexicon) -> list[tuple[str, list[LexiconPiece]]]:
    """Group the text into (lang, pieces) runs; a piece is normalised text or a lexicon entry."""
    runs: list[tuple[str, list[LexiconPiece]]] = []

    def add(lang: str, piece: LexiconPiece) -> None:
        if runs and runs[-1][0] == lang:
            runs[-1][1].append(piece)
        else:
            runs.append((lang, [piece]))

    for piece in lexicon.split(text):
        if isinstance(piece, ZhEntry):
            add("zh", piece)
        elif isinstance(piece, EnEntry):
            add("en", piece)
        else:
            for raw in segment(piece, default=default):
                for run in _normalised_runs(raw):
                    add(run.lang, run.text)
    return runs


def _english(pieces: Sequence[LexiconPiece]) -> PhoneSegment:
    phones: list[str] = []
    words: list[str] = []
    for piece in pieces:
        if isinstance(piece, EnEntry):
            phones.extend(piece.phones or g2p_en(piece.respelling))
            words.append(piece.word)
        else:
            phones.extend(g2p_en(str(piece)))
            words.append(str(piece))
    if phones and len(phones) < MIN_EN_PHONES:
        phones.insert(0, ",")                       # the reference pads a short English run with a pause
    return PhoneSegment("en", "".join(words).strip(), tuple(phones), ())


def _chinese(pieces: Sequence[LexiconPiece], version: str) -> PhoneSegment:
    result = g2p_zh([p for p in pieces if isinstance(p, (str, ZhEntry))], version)
    return PhoneSegment("zh", result.norm_text, result.phones, result.word2ph)


def phonemize(text: str, lang: str = "auto", version: str = "v2", lexicon: Lexicon | None = None) -> Phonemes:
    """Phones, ids and language segments of ``text`` for a GPT-SoVITS voice of ``version``.

    ``lang``: "zh" or "en" decide numbers and symbols between languages (Chinese characters are always
    read as Chinese and Latin words as English); "auto" is "zh" when the text has Chinese characters.
    """
    check_version(version)
    if lang not in LANG_CHOICES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANG_CHOICES)}")
    default = lang if lang != "auto" else ("zh" if has_han(text) else "en")
    segments = []
    for run_lang, pieces in _runs(" ".join(text.split()), default, lexicon or Lexicon.empty()):
        seg = _chinese(pieces, version) if run_lang == "zh" else _english(pieces)
        if seg.phones:
            segments.append(seg)
    phones = tuple(p for seg in segments for p in seg.phones)
    return Phonemes(
        text=text,
        version=version,
        segments=tuple(segments),
        phones=phones,
        phone_ids=phones_to_ids(phones, version),
        norm_text="".join(seg.norm_text for seg in segments),
    )


def describe_phones(text: str, lang: str = "auto", version: str = "v2", lexicon: Path | None = None) -> str:
    """Human-readable normalised text, phones and word2ph of ``text`` (the ``bookvoice phones`` output)."""
    lex = Lexicon.load(lexicon) if lexicon is not None else Lexicon.empty()
    result = phonemize(text, lang=lang, version=version, lexicon=lex)
    lines = [f"text:    {result.text}", f"norm:    {result.norm_text}", f"phones:  {' '.join(result.phones)}",
             f"ids:     {' '.join(map(str, result.phone_ids))}"]
    for seg in result.segments:
        lines.append(f"[{seg.lang}] {seg.norm_text}")
        lines.append(f"  phones:  {' '.join(seg.phones)}")
        if seg.lang == "zh":
            lines.append(f"  word2ph: {' '.join(map(str, seg.word2ph))}")
    return "\n".join(lines)
