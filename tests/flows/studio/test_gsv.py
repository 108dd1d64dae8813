"""The studio on a project read by a tiny random GPT-SoVITS voice: a new take is a new seed, heard at once."""
from __future__ import annotations

from tests.flows.studio.conftest import cache_entries, line_row, mp3_bytes, open_page, played, wait_page_job


def test_new_take_with_a_gpt_sovits_voice_changes_only_its_chapter_and_plays(gsv_studio, browser):
    from selenium.webdriver.common.by import By

    project = gsv_studio.project
    entries, mp3s = cache_entries(project), mp3_bytes(project)
    open_page(browser, gsv_studio)
    row = line_row(browser, "0.0.1")
    row.click()
    row.find_element(By.CSS_SELECTOR, "button.retake").click()
    wait_page_job(browser, "new take of 0.0.1")
    played(browser, "0.0.1")

    assert len(cache_entries(project) - entries) == 1 and entries <= cache_entries(project)
    after = mp3_bytes(project)
    assert [name for name in mp3s if after[name] != mp3s[name]] == [name for name in mp3s if name.startswith("00-")]
