"""Pure pieces of the flow: sentence cache, loudness, project validation, nightly input check, file names."""
from __future__ import annotations

import numpy as np
import pytest

from flows.audio.samples import OUTPUT_SAMPLE_RATE, limit, measure, normalize
from flows.store.cache import SentenceCache
from flows.pipeline.chapter import part_names
from flows.errors import ProjectError
from flows.audio.export import acx_problems, decode_mp3, encode_to_acx
from flows.config.project import OutputConfig, load_project
from flows.farm.schedule import inputs_changed
from flows.pipeline.workspace import inputs_fingerprint, record_rendered_inputs
from tests.flows.conftest import write_project
from tts_engine.engine import SentenceAudio


def _speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    """Bursts of harmonic tone with gaps: a crest factor like speech."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * OUTPUT_SAMPLE_RATE)) / OUTPUT_SAMPLE_RATE
    envelope = (np.sin(2 * np.pi * 1.3 * t) > 0.2) * rng.uniform(0.2, 1.0)
    tone = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 1100), start=1))
    return (0.1 * envelope * tone).astype(np.float32)


def test_cache_round_trip_and_corruption_detection(tmp_path):
    cache = SentenceCache(tmp_path)
    audio = np.linspace(-0.5, 0.5, 1000, dtype=np.float32)
    cache.put(SentenceAudio("ab" * 32, audio, 22050, ["no_eos"]))
    got = cache.get("ab" * 32)
    assert got.sample_rate == 22050 and got.flags == ["no_eos"]
    assert np.allclose(got.audio, audio, atol=1 / 32767)
    assert cache.info("ab" * 32).duration_s == pytest.approx(1000 / 22050)
    path = cache.path("ab" * 32)
    path.write_bytes(path.read_bytes()[:-2])                       # truncated, as by a crash mid-copy
    assert cache.get("ab" * 32) is None and not path.exists()      # detected and dropped
    assert not list(tmp_path.rglob("*.partial"))


def test_normalize_and_limit_hit_the_acx_window_on_the_encoded_mp3():
    x = _speechlike(8.0)
    y = limit(x * 8, ceiling_db=-4.0)
    assert measure(y).peak_db <= -4.0 + 1e-3
    assert measure(normalize(x, -20.0, -4.0)).rms_db == pytest.approx(-20.0, abs=0.5)
    data, levels = encode_to_acx(x * 0.05, OutputConfig())         # very quiet input
    assert not acx_problems(levels)
    assert not acx_problems(measure(decode_mp3(data)))


def test_project_validation_names_file_and_key(tmp_path):
    project = write_project(tmp_path / "p", None)
    assert load_project(project).pauses.head_s == 0.5
    text = (project / "project.toml").read_text(encoding="utf-8")
    (project / "project.toml").write_text(text.replace("tail_s = 1.0", "tail_s = 9.0"), encoding="utf-8")
    with pytest.raises(ProjectError, match=r"project.toml: \[pauses\] tail_s: must be a number in \[1.0, 5.0\]"):
        load_project(project)
    with pytest.raises(ProjectError, match="no project.toml"):
        load_project(tmp_path / "nowhere")


def test_nightly_check_sees_changes_to_book_lexicon_and_settings(tmp_path):
    root = write_project(tmp_path / "p", None)
    project = load_project(root)
    assert inputs_changed(root)                                    # never rendered
    from flows.engines.registry import engine_fingerprint, load_engine

    record_rendered_inputs(project, inputs_fingerprint(project, engine_fingerprint(
        load_engine(project.voice), project.voice)))
    (root / "out").mkdir()
    (root / "out" / "report.json").write_text("{}", encoding="utf-8")
    assert not inputs_changed(root)
    (root / "lexicon.txt").write_text("Chen chen\n", encoding="utf-8")
    assert inputs_changed(root)


def test_part_names_are_numbered_and_keep_any_script():
    assert part_names(3, "第三章 光的长度", 1) == ["03-第三章-光的长度.mp3"]
    assert part_names(12, "Harbour: Lights!", 2) == ["12-harbour-lights-part1.mp3", "12-harbour-lights-part2.mp3"]


def test_normalisation_reads_a_streamed_source_once_more_only_when_the_limiter_engages():
    from flows.audio.samples import blocks, normalized

    sine = np.sin(np.linspace(0, 200 * np.pi, 44100, dtype=np.float32)) * 0.01   # crest factor 3 dB
    clicks = sine.copy()
    clicks[::4410] = 0.5                                                         # crest factor ~22 dB
    for x, passes in ((sine, 2), (clicks, 3)):
        reads = []

        def source(x=x, reads=reads):
            reads.append(1)
            return blocks(x)

        out = np.concatenate(list(normalized(source, -20.0, -4.0)))
        assert len(reads) == passes and out.size == x.size and measure(out).peak_db <= -4.0 + 1e-3
        assert measure(out).rms_db == pytest.approx(-20.0, abs=0.2)          # the re-scale restores most
