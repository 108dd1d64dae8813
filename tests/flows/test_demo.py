"""The bundled demo rendered with the draft voice: every chapter MP3 meets the ACX/format rules."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mutagen.mp3 import MP3, BitrateMode

from flows.audio.samples import measure
from flows.audio.export import decode_mp3
from flows.pipeline.render import run_render
from tests.flows.conftest import REPO


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory, prefect_server) -> Path:
    project = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(REPO / "projects" / "demo", project, ignore=shutil.ignore_patterns("out", "cache", ".bookvoice"))
    run_render(project)
    return project / "out"


def test_demo_renders_one_mp3_per_chapter_meeting_every_audio_rule(demo_out):
    files = sorted(demo_out.glob("*.mp3"))
    assert len(files) == 3
    for track, path in enumerate(files, start=1):
        mp3 = MP3(path)
        assert (mp3.info.sample_rate, mp3.info.channels, mp3.info.bitrate) == (44100, 1, 192000)
        assert mp3.info.bitrate_mode == BitrateMode.CBR
        tags = mp3.tags
        assert str(tags["TALB"]) == "灯塔与代码 The Lighthouse and the Code" and str(tags["TPE1"]) == "林晓雨"
        assert str(tags["TRCK"]) == f"{track}/3" and str(tags["TIT2"]).startswith("第")
        assert tags.getall("APIC")[0].data.startswith(b"\x89PNG")
        levels = measure(decode_mp3(path.read_bytes()))       # measured on the encoded file
        assert -23.0 <= levels.rms_db <= -18.0
        assert levels.peak_db <= -3.0


def test_demo_chapters_start_with_room_tone_and_end_with_room_tone(demo_out):
    import numpy as np

    audio = decode_mp3(sorted(demo_out.glob("*.mp3"))[0].read_bytes())
    head, tail = audio[: int(0.5 * 44100)], audio[-int(1.0 * 44100):]
    for quiet in (head, tail):
        rms_db = 20 * np.log10(np.sqrt(np.mean(quiet.astype(np.float64) ** 2)) + 1e-12)
        assert -90 < rms_db < -55        # room tone: present, not digital silence, not speech
