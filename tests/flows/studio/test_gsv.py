"""The studio on a project read by a tiny random GPT-SoVITS voice: a new take is a new seed, heard at once."""
from __future__ import annotations

from tests.flows.studio.conftest import assert_one_new_entry_in_one_chapter, new_take, played


def test_new_take_with_a_gpt_sovits_voice_changes_only_its_chapter_and_plays(gsv_studio, browser):
    entries, mp3s = new_take(browser, gsv_studio, "0.0.1")
    played(browser, "0.0.1")
    assert_one_new_entry_in_one_chapter(gsv_studio.project, entries, mp3s, "00-")
