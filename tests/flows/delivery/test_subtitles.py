"""Subtitles: one cue per sentence at the sample-exact spans of the assembled chapter files; valid SRT/WebVTT."""
from __future__ import annotations

import re

import pytest

from flows.audio.assemble import LineSpan
from flows.delivery.subtitles import MAX_CUE_S, Cue, line_cues, part_cues, srt_text, timeline_cues, vtt_text, write_subtitles
from tests.flows.delivery.conftest import LONG_SENTENCE, decode
from tests.flows.delivery.tones import assert_span_holds_tone

SRT_TIME = r"\d\d:\d\d:\d\d,\d\d\d"
VTT_TIME = r"\d\d:\d\d:\d\d\.\d\d\d"


def test_timings_cover_every_line_in_order_without_overlap(tone_book):
    for plan, timings in zip(tone_book.plans, tone_book.timings()):
        spans = [span for part in timings.parts for span in part.lines]
        assert [s.label for s in spans] == [line.label for line in plan.lines]
        for part in timings.parts:
            assert all(a.end <= b.start for a, b in zip(part.lines, part.lines[1:]))
            assert 0 < part.lines[0].start and part.lines[-1].end < part.n_samples
    assert len(tone_book.timings()[1].parts) >= 2                      # the middle chapter was split


def test_each_cue_holds_exactly_its_sentences_tone_in_the_decoded_mp3(tone_book):
    others = list(tone_book.freqs.values())
    checked = 0
    for timings in tone_book.timings():
        for p, part in enumerate(timings.parts):
            audio = decode(tone_book.project.out_dir / part.file, timings.sample_rate)
            assert audio.size == part.n_samples                       # decoding returns exactly what was assembled
            cues = part_cues(timings, p)
            for span in part.lines:
                mine = [cues.pop(0) for _ in line_cues(span, timings.sample_rate)]
                for k, cue in enumerate(mine):
                    assert_span_holds_tone(audio, timings.sample_rate, cue.start_ms, cue.end_ms,
                                           tone_book.freqs[span.label], others, k == 0, k == len(mine) - 1)
                    checked += 1
            assert not cues
    assert checked > sum(len(plan.lines) for plan in tone_book.plans)   # the long sentence gave several cues


def test_long_sentences_are_cut_at_clauses_into_short_cues():
    span = LineSpan("3.0.0", LONG_SENTENCE, 1000, 1000 + int(40 * 44100))
    cues = line_cues(span, 44100)
    assert len(cues) >= 3 and " ".join(c.text for c in cues) == LONG_SENTENCE
    assert all(c.text.endswith((",", ";", ".")) for c in cues)          # cut after clause punctuation
    assert all((c.end_ms - c.start_ms) / 1000 <= MAX_CUE_S * 1.5 for c in cues)
    assert cues[0].start_ms == 23 and cues[-1].end_ms == 40023
    assert all(a.end_ms == b.start_ms for a, b in zip(cues, cues[1:]))


def test_srt_and_vtt_are_well_formed(tmp_path):
    hour = 3661 * 44100
    cues = timeline_cues([(0, [LineSpan("1.title", "Title", 100, 44100)]),
                          (hour, [LineSpan("1.0.0", "He said <b>\"go\"</b> & left -->\nnow.", 0, 44100)])], 44100)
    srt, vtt = srt_text(cues), vtt_text(cues)
    blocks = srt.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["1", "2"]
    assert all(re.fullmatch(f"{SRT_TIME} --> {SRT_TIME}", b.splitlines()[1]) for b in blocks)
    assert blocks[1].splitlines()[1] == "01:01:01,000 --> 01:01:02,000"
    assert vtt.startswith("WEBVTT\n\n")
    body = vtt.strip().split("\n\n")[1:]
    assert all(re.fullmatch(f"{VTT_TIME} --> {VTT_TIME}", b.splitlines()[0]) for b in body)
    assert body[1].splitlines()[1] == 'He said &lt;b&gt;"go"&lt;/b&gt; &amp; left --&gt; now.'
    written = write_subtitles(cues, tmp_path / "01-title.mp3", ["srt", "vtt"])
    assert [p.name for p in written] == ["01-title.srt", "01-title.vtt"]
    assert written[0].read_text(encoding="utf-8") == srt
    with pytest.raises(ValueError):
        write_subtitles(cues, tmp_path / "x.mp3", ["ass"])


def test_cues_never_overlap_and_skip_empty_text():
    spans = [LineSpan("a", "one", 0, 66), LineSpan("b", "two", 66, 200), LineSpan("c", " ", 250, 900)]
    assert timeline_cues([(0, spans)], 44100) == [Cue(0, 1, "one"), Cue(1, 5, "two")]
