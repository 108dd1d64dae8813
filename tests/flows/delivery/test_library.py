"""Library folders: Author/Title with the audio, subtitles, cover.jpg and metadata Audiobookshelf and Plex read."""
from __future__ import annotations

import json
import subprocess
from dataclasses import replace

from flows.audio.ffmpeg import ffmpeg_exe
from flows.delivery.library import LibraryChapter, book_folder, build_library, folder_name

JPEG = b"\xff\xd8\xff"


def test_folder_names_are_safe_everywhere():
    assert folder_name('AC/DC: "Live"?', "x") == "AC DC Live"
    assert folder_name("  ...  ", "Untitled") == "Untitled"
    assert folder_name("Dr. Who.", "x") == "Dr. Who"
    assert folder_name("鲁迅", "x") == "鲁迅"


def test_m4b_layout_with_cover_metadata_and_narrator(tone_book, tmp_path):
    audio = tmp_path / "out" / "book.m4b"
    audio.parent.mkdir()
    audio.write_bytes(b"m4b bytes")
    subs = audio.with_suffix(".srt")
    subs.write_text("1\n", encoding="utf-8")
    chapters = [LibraryChapter("One", 0.0, 10.5), LibraryChapter("Two", 10.5, 20.0)]
    folder = build_library(tmp_path / "lib", tone_book.info, [audio], chapters, [subs])
    assert folder == tmp_path / "lib" / "A. Writer" / "Tone Book"
    assert sorted(p.name for p in folder.iterdir()) == ["book.m4b", "book.srt", "cover.jpg", "desc.txt",
                                                        "metadata.json", "reader.txt"]
    assert (folder / "book.m4b").stat().st_ino == audio.stat().st_ino          # hard-linked, not copied
    assert (folder / "cover.jpg").read_bytes() == tone_book.info.cover.read_bytes()
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert meta["title"] == "Tone Book" and meta["authors"] == ["A. Writer"] and meta["narrators"] == ["Test Voice"]
    assert meta["publishedYear"] == "2024" and meta["genres"] == ["Audiobook"]
    assert [(c["title"], c["start"]) for c in meta["chapters"]] == [("One", 0.0), ("Two", 10.5)]
    assert (folder / "reader.txt").read_text(encoding="utf-8").strip() == "Test Voice"


def test_switching_to_mp3s_removes_the_stale_m4b_and_converts_a_png_cover(tone_book, tmp_path):
    png = tmp_path / "cover.png"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1",
                    str(png)], check=True)
    info = replace(tone_book.info, cover=png, narrator="")
    m4b = tmp_path / "book.m4b"
    m4b.write_bytes(b"x")
    build_library(tmp_path / "lib", info, [m4b], [])
    mp3s = [p for chapter in tone_book.chapters() for p in chapter.parts]
    folder = build_library(tmp_path / "lib", info, mp3s, [])
    names = sorted(p.name for p in folder.iterdir())
    assert "book.m4b" not in names and all(p.name in names for p in mp3s) and "reader.txt" not in names
    assert (folder / "cover.jpg").read_bytes()[:3] == JPEG
    assert book_folder(tmp_path / "lib", info) == folder
