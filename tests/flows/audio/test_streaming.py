"""Streamed chapter writing: same audio and levels as whole-chapter processing, flat memory, clean failures."""
from __future__ import annotations

import errno
import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from bench.bench_assembly import run_in_subprocess, synthetic_chapter
from flows.audio.assemble import MissingAudioError, assemble_part, part_source
from flows.audio.samples import OUTPUT_SAMPLE_RATE, blocks, normalize, undb
from flows.store.cache import SentenceCache
from flows.pipeline.chapter import write_chapter
from flows.errors import OutputError
from flows.audio.export import Tags, acx_problems, decode_mp3, write_part_file
from flows.audio.ffmpeg import encode_mp3_file
from flows.audio.limiter import limit_stream
from flows.audio.loudness import measure_blocks
from flows.config.project import OutputConfig, Project

TAGS = Tags("Chapter 1", "Streamed Book", "A. Writer", 1, 3, cover=b"\x89PNG fake cover")


def reference_limit(x: np.ndarray, ceiling_db: float) -> np.ndarray:
    """The limiter as specified, over the whole signal at once."""
    ceiling, window = np.float32(undb(ceiling_db)), int(0.005 * OUTPUT_SAMPLE_RATE)
    gain = np.minimum(np.float32(1.0), ceiling / np.maximum(np.abs(x), np.float32(1e-12)))
    return np.clip(x * uniform_filter1d(minimum_filter1d(gain, size=2 * window + 1), size=window), -ceiling, ceiling)


def reference_normalize(x: np.ndarray, target_db: float, ceiling_db: float) -> np.ndarray:
    """Whole-signal normalisation as assembly did it before streaming: scale and limit, twice."""
    y = x.astype(np.float32)
    for _ in range(2):
        rms = float(np.sqrt(np.mean(y.astype(np.float64) ** 2)))
        y = reference_limit(y * np.float32(undb(target_db) / rms), ceiling_db)
    return y


def reference_levels(decoded: np.ndarray) -> tuple[float, float, float]:
    """RMS and peak (dBFS) as before, and pyloudnorm's loudness of a 16 kHz copy, as the old report used."""
    import pyloudnorm
    import soxr

    wide = decoded.astype(np.float64)
    lufs = pyloudnorm.Meter(16000).integrated_loudness(soxr.resample(decoded, OUTPUT_SAMPLE_RATE, 16000))
    return 20 * np.log10(np.sqrt(np.mean(wide ** 2))), 20 * np.log10(np.max(np.abs(wide))), lufs


def reference_mp3(samples: np.ndarray) -> bytes:
    """The previous encoder: the whole signal through pydub in memory."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")               # pydub warns at import: audioop deprecated, no ffmpeg on PATH
        from pydub import AudioSegment

    from flows.audio.ffmpeg import ffmpeg_exe

    AudioSegment.converter = ffmpeg_exe()
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    out = io.BytesIO()
    AudioSegment(data=pcm, sample_width=2, frame_rate=OUTPUT_SAMPLE_RATE, channels=1).export(
        out, format="mp3", codec="libmp3lame", bitrate="192k",
        parameters=["-ar", "44100", "-ac", "1", "-map_metadata", "-1", "-id3v2_version", "0", "-write_id3v1", "0"])
    return out.getvalue()


def reference_tagged(data: bytes, tags: Tags) -> bytes:
    """The previous tagger: mutagen saving a tag into the whole MP3 held in memory."""
    from mutagen.id3 import APIC, ID3, TALB, TIT2, TPE1, TRCK

    id3 = ID3()
    for frame in (TIT2(encoding=3, text=tags.title), TALB(encoding=3, text=tags.album),
                  TPE1(encoding=3, text=tags.artist), TRCK(encoding=3, text=f"{tags.track}/{tags.total_tracks}"),
                  APIC(encoding=3, mime=tags.cover_mime, type=3, desc="Cover", data=tags.cover)):
        id3.add(frame)
    buffer = io.BytesIO(data)
    id3.save(buffer, v2_version=3)
    return buffer.getvalue()


def speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * OUTPUT_SAMPLE_RATE)) / OUTPUT_SAMPLE_RATE
    envelope = np.clip(np.sin(2 * np.pi * 3.7 * t), 0, None) * (np.sin(2 * np.pi * 0.2 * t) > -0.5)
    return (rng.uniform(0.2, 0.4) * envelope * sum(np.sin(2 * np.pi * f * t) / k for k, f in
                                                  enumerate((150, 300, 450, 2400), start=1))).astype(np.float32)


@pytest.fixture
def small_chapter(tmp_path):
    cache = SentenceCache(tmp_path / "cache")
    plan = synthetic_chapter(cache, minutes=0.4, distinct=5)
    return plan, cache, Project(root=tmp_path / "proj", name="p", book=tmp_path / "book.txt")


def test_streamed_limiter_equals_the_whole_signal_limiter_for_any_block_cut():
    x = speechlike(6.0) * 6
    reference = reference_limit(x, -4.0)
    rng = np.random.default_rng(1)
    cuts = np.cumsum(rng.choice([1, 7, 300, 441, 882, 5000, 40000], size=400))
    pieces = np.split(x, cuts[cuts < x.size])
    streamed = np.concatenate(list(limit_stream(iter(pieces), -4.0, OUTPUT_SAMPLE_RATE)))
    assert streamed.shape == x.shape and np.max(np.abs(streamed)) <= undb(-4.0) + 1e-7
    assert np.max(np.abs(reference - x)) > 0.1                   # the limiter really works on this input
    assert np.allclose(streamed, reference, atol=1e-6)


@pytest.mark.parametrize("rate", [16000, 44100])
@pytest.mark.parametrize("signal", ["speech", "noise", "quiet_then_loud", "rumble", "hiss"])
def test_streaming_loudness_agrees_with_pyloudnorm(signal, rate):
    import pyloudnorm

    rng = np.random.default_rng(2)
    n = 12 * rate
    t = np.arange(n) / rate
    x = {"speech": lambda: np.resize(speechlike(12.0), n),
         "noise": lambda: 0.05 * rng.standard_normal(n),
         "quiet_then_loud": lambda: np.concatenate([0.0005 * rng.standard_normal(n // 2),   # gated out
                                                    0.2 * rng.standard_normal(n - n // 2)]),
         "rumble": lambda: 0.3 * np.sin(2 * np.pi * 30 * t),
         "hiss": lambda: 0.1 * np.sin(2 * np.pi * 6000 * t)}[signal]().astype(np.float32)
    levels = measure_blocks(blocks(x, 9999), rate)
    assert levels.lufs == pytest.approx(pyloudnorm.Meter(rate).integrated_loudness(x), abs=0.1)
    assert levels.rms_db == pytest.approx(20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2))), abs=1e-6)
    assert levels.peak_db == pytest.approx(20 * np.log10(np.max(np.abs(x))), abs=1e-6)


def test_loudness_of_too_short_or_silent_signals_is_the_silence_floor():
    assert measure_blocks([np.full(1000, 0.1, np.float32)], OUTPUT_SAMPLE_RATE).lufs == -120.0
    assert measure_blocks([np.zeros(OUTPUT_SAMPLE_RATE, np.float32)], OUTPUT_SAMPLE_RATE).lufs == -120.0


def test_streamed_normalisation_equals_whole_signal_normalisation():
    x = speechlike(9.0, seed=3)
    assert np.allclose(normalize(x, -20.0, -4.0), reference_normalize(x, -20.0, -4.0), atol=1e-6)


def test_streamed_chapter_matches_whole_chapter_processing(small_chapter):
    plan, cache, project = small_chapter
    part = write_chapter(plan, TAGS, project, cache).parts[0]
    written = (project.out_dir / part.file).read_bytes()

    samples = assemble_part(plan.lines, 0, cache, project.pauses, project.output)
    before = reference_mp3(reference_normalize(samples, -20.0, -4.0))
    new, old = decode_mp3(written), decode_mp3(before)
    assert new.size == old.size == samples.size and part.duration_s == round(samples.size / OUTPUT_SAMPLE_RATE, 3)
    for now, then in zip((part.rms_db, part.peak_db, part.lufs), reference_levels(old)):
        assert now == pytest.approx(then, abs=0.1)
    assert not acx_problems(measure_blocks([new], OUTPUT_SAMPLE_RATE))

    assert written == reference_tagged(before, TAGS)                 # byte for byte the file written before

    from mutagen.mp3 import MP3, BitrateMode

    mp3 = MP3(project.out_dir / part.file)
    assert (mp3.info.sample_rate, mp3.info.channels, mp3.info.bitrate) == (44100, 1, 192000)
    assert mp3.info.bitrate_mode == BitrateMode.CBR
    assert str(mp3.tags["TRCK"]) == "1/3" and mp3.tags.getall("APIC")[0].data == TAGS.cover


def test_room_tone_replays_identically_on_every_pass(small_chapter):
    plan, cache, project = small_chapter
    source = part_source(plan.lines, 0, cache, project.pauses, project.output)
    first, second = np.concatenate(list(source())), np.concatenate(list(source()))
    assert np.array_equal(first, second)


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_chapter_length():
    short, long = run_in_subprocess(2.0), run_in_subprocess(20.0)
    assert long["audio_s"] >= 9 * short["audio_s"]
    grow_short = short["rss_peak_mib"] - short["rss_before_mib"]
    grow_long = long["rss_peak_mib"] - long["rss_before_mib"]
    assert grow_long < 40 and long["traced_peak_mib"] < 24               # a few tens of MB at most
    assert grow_long - grow_short < 6 and long["traced_peak_mib"] - short["traced_peak_mib"] < 2


def test_disk_full_while_publishing_keeps_the_old_file_and_leaves_no_temp(small_chapter, monkeypatch):
    import flows.store.fsio

    plan, cache, project = small_chapter
    dest = project.out_dir / "01-chapter.mp3"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"previous render")

    def full_disk(fd: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(flows.store.fsio, "write_all", full_disk)
    source = part_source(plan.lines, 0, cache, project.pauses, project.output)
    with pytest.raises(OutputError, match=r"01-chapter\.mp3: cannot write: disk full$"):
        write_part_file(source, TAGS, dest, project.output)
    assert dest.read_bytes() == b"previous render"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["01-chapter.mp3"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_encoder_reports_a_full_disk_as_enospc():
    with pytest.raises(OSError) as raised:
        encode_mp3_file(blocks(speechlike(2.0)), Path("/dev/full"), OUTPUT_SAMPLE_RATE)
    assert raised.value.errno == errno.ENOSPC


def test_a_sentence_corrupted_in_the_cache_aborts_the_chapter_without_writing(small_chapter):
    plan, cache, project = small_chapter
    entry = cache.path(plan.lines[-1].job.key)
    entry.write_bytes(entry.read_bytes()[:-10])                  # header intact, audio fails its checksum
    with pytest.raises(MissingAudioError, match=r"no cached audio for 1\.\d+"):
        write_chapter(plan, TAGS, project, cache)
    assert not list(project.out_dir.iterdir())


def test_a_failure_while_encoding_stops_ffmpeg_and_removes_the_scratch_file(tmp_path, monkeypatch):
    import flows.audio.export

    real_encode = flows.audio.export.encode_mp3_file

    def encode_until_block_5(stream, path, sample_rate):
        def failing():
            for i, block in enumerate(stream):
                if i == 5:
                    raise MissingAudioError("no cached audio for 1.0.7")
                yield block
        return real_encode(failing(), path, sample_rate)

    monkeypatch.setattr(flows.audio.export, "encode_mp3_file", encode_until_block_5)
    with pytest.raises(MissingAudioError):
        write_part_file(lambda: blocks(speechlike(8.0), 20000), TAGS, tmp_path / "out" / "01.mp3", OutputConfig())
    assert not list((tmp_path / "out").iterdir())
