"""A render started in the studio is shown live: stage totals and progress, each sentence as it lands, chapters."""
from __future__ import annotations

from tests.flows.studio.conftest import cache_entries, open_page, wait_page_job


def test_render_progress_reaches_the_page_as_it_happens(fake_studio, browser):
    from selenium.webdriver.common.by import By

    project = fake_studio.project
    lines = fake_studio.get("/api/chapter/1")["lines"]
    for line in lines:                                    # lose chapter 1's audio and file: the render must redo it
        (project / "cache" / line["key"][:2] / f"{line['key']}.pcm").unlink()
    for mp3 in (project / "out").glob("01-*.mp3"):
        mp3.unlink()
    before = cache_entries(project)

    open_page(browser, fake_studio)
    browser.find_element(By.ID, "render-all").click()
    wait_page_job(browser, "render the book")
    synth = browser.find_element(By.CSS_SELECTOR, '.stage[data-stage="synthesize"]')
    assert synth.get_attribute("data-total") == synth.get_attribute("data-done") == str(len(lines))
    landed = {e.text.split()[0] for e in browser.find_elements(By.CSS_SELECTOR, "#landed li.landed")}
    assert landed == {line["label"] for line in lines}
    assert any(e.text.startswith("chapter 1 assembled") for e in browser.find_elements(By.CSS_SELECTOR, "#landed li.chapter-done"))
    assert len(cache_entries(project) - before) == len(lines)
    shown = {e.get_attribute("data-label"): e for e in browser.find_elements(By.CSS_SELECTOR, ".line")}
    assert all("no audio yet" not in shown[line["label"]].text for line in lines if line["label"] in shown)
