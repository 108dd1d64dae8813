"""M4B: chapter marks at each chapter's start, tags and cover, exact whole-book cues, segments reused on rebuild."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp4 import MP4

from flows.audio.ffmpeg import AAC_FRAME_SAMPLES, ffmpeg_exe
from flows.delivery.info import BookInfo
from flows.delivery.m4b import adts_frames, build_m4b, ffmetadata
from flows.delivery.subtitles import line_cues, timeline_cues
from tests.flows.delivery.conftest import FADE_S, decode
from tests.flows.delivery.tones import assert_span_holds_tone, rms


def probe_chapters(path: Path) -> list[tuple[float, str]]:
    """(start seconds, title) of each chapter as libavformat (what ffprobe uses) reads it from the file."""
    text = subprocess.run([ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path), "-f", "ffmetadata", "-"],
                          capture_output=True, check=True, text=True).stdout
    chapters = []
    for block in text.split("[CHAPTER]")[1:]:
        fields = dict(line.split("=", 1) for line in block.strip().splitlines() if "=" in line)
        num, den = (int(x) for x in fields["TIMEBASE"].split("/"))
        chapters.append((int(fields["START"]) * num / den, fields["title"]))
    return chapters


@pytest.fixture(scope="module")
def m4b(tone_book, tmp_path_factory):
    out = tmp_path_factory.mktemp("m4b")
    return build_m4b(tone_book.chapters(), tone_book.info, out / "book.m4b", out / "segments")


def test_chapter_marks_are_the_titles_at_each_chapters_start(tone_book, m4b):
    chapters = probe_chapters(m4b.path)
    assert [title for _, title in chapters] == [plan.title for plan in tone_book.plans]
    rate, fade = m4b.sample_rate, int(FADE_S * m4b.sample_rate) + 1
    audio = decode(m4b.path, rate)
    for (start_s, _), timings in zip(chapters, tone_book.timings()):
        mark = round(start_s * rate)
        head = timings.parts[0].lines[0].start                     # room tone before the spoken title
        onset = mark + int(np.argmax(np.abs(audio[mark:]) > 0.05))   # where the title's tone really begins
        assert 0 <= (onset - head) - mark <= AAC_FRAME_SAMPLES + fade  # the chapter's audio starts within a frame
    assert abs(audio.size - m4b.n_samples) <= AAC_FRAME_SAMPLES


def test_tags_and_cover_are_present(tone_book, m4b):
    tags = MP4(m4b.path).tags
    assert tags["©nam"] == ["Tone Book"] and tags["©alb"] == ["Tone Book"] and tags["©ART"] == ["A. Writer"]
    assert tags["©wrt"] == ["Test Voice"] and tags["©day"] == ["2024"] and tags["©gen"] == ["Audiobook"]
    assert tags["desc"] == ["Tones; = and # too."]
    assert tags["covr"] and bytes(tags["covr"][0]) == tone_book.info.cover.read_bytes()


def test_same_loudness_as_the_mp3s(tone_book, m4b):
    book = decode(m4b.path, m4b.sample_rate)
    mp3 = np.concatenate([decode(p, m4b.sample_rate) for c in tone_book.chapters() for p in c.parts])
    assert abs(20 * np.log10(rms(book) / rms(mp3))) < 0.5


def test_whole_book_cues_hold_exactly_their_tones(tone_book, m4b):
    audio = decode(m4b.path, m4b.sample_rate)
    others = list(tone_book.freqs.values())
    placed, labels = [], []
    for position, timings in enumerate(tone_book.timings()):
        offset = m4b.audio_offset(position)
        for part in timings.parts:
            placed.append((offset, part.lines))
            labels += [(span.label, k, len(line_cues(span, timings.sample_rate)))
                       for span in part.lines for k in range(len(line_cues(span, timings.sample_rate)))]
            offset += part.n_samples
    cues = timeline_cues(placed, m4b.sample_rate)
    assert len(cues) == len(labels)
    for cue, (label, k, n) in zip(cues, labels):
        assert_span_holds_tone(audio, m4b.sample_rate, cue.start_ms, cue.end_ms, tone_book.freqs[label], others,
                               k == 0, k == n - 1)


def test_rebuild_after_one_chapter_changes_encodes_only_that_chapter(tone_book, tmp_path):
    chapters = tone_book.chapters()
    first = build_m4b(chapters, tone_book.info, tmp_path / "a.m4b", tmp_path / "segments")
    assert first.encoded_chapters == (1, 2, 3)
    again = build_m4b(chapters, tone_book.info, tmp_path / "a.m4b", tmp_path / "segments")
    assert again.encoded_chapters == ()
    changed = tmp_path / "changed.mp3"
    changed.write_bytes(chapters[2].parts[0].read_bytes()[:-4096])          # a different chapter 3
    edited = [*chapters[:2], type(chapters[2])(3, "The End", (changed,))]
    third = build_m4b(edited, tone_book.info, tmp_path / "a.m4b", tmp_path / "segments")
    assert third.encoded_chapters == (3,) and third.chapter_starts[:2] == first.chapter_starts[:2]
    assert len(list((tmp_path / "segments").glob("*.aac"))) == 3           # the stale segment is gone


def test_ffmetadata_escapes_and_frames_are_counted(tmp_path):
    meta = ffmetadata(BookInfo("A=B; #1", "X\\Y"), ["Ch\n1"], [0], 2048, 44100)
    assert "title=A\\=B\\; \\#1" in meta and "artist=X\\\\Y" in meta and "title=Ch\\\n1" in meta
    assert re.search(r"START=0\nEND=2048", meta) and "composer" not in meta
    bad = tmp_path / "bad.aac"
    bad.write_bytes(b"not adts at all")
    with pytest.raises(ValueError):
        adts_frames(bad)
