"""Studio actions in headless Chromium, each re-rendering exactly what it affects through the normal render."""
from __future__ import annotations

import hashlib
import json

from tests.flows.studio.conftest import (HOSTILE_LABEL, assert_one_new_entry_in_one_chapter, cache_entries,
                                        line_row, mp3_bytes, new_take, open_page, played, render, wait_page_job)

WAIT_S = 300


def test_new_take_adds_one_cache_entry_and_changes_only_its_chapter(fake_studio, browser):
    project = fake_studio.project
    entries, mp3s = new_take(browser, fake_studio, "2.0.0")
    assert_one_new_entry_in_one_chapter(project, entries, mp3s, "02-")  # files start with the chapter number
    played(browser, "2.0.0")                                 # the new take plays once it is ready
    line = next(x for x in fake_studio.get("/api/chapter/2")["lines"] if x["label"] == "2.0.0")
    assert (line["take"], line["takes"], line["cached"]) == (2, 2, True)

    # going back to the first take synthesises nothing and restores the chapter byte for byte
    first = fake_studio.get("/api/line/2.0.0/takes")["takes"][0]
    job = fake_studio.post("/api/line/2.0.0/pick", {"seed": first["seed"]})
    assert fake_studio.wait_job(job["id"])["totals"]["synthesized"] == 0
    assert mp3_bytes(project) == mp3s


def test_pronunciation_fix_rerenders_exactly_the_count_shown_before(draft_studio, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    project = draft_studio.project
    open_page(browser, draft_studio)
    browser.find_element(By.ID, "lex-word").send_keys("长安")
    browser.find_element(By.ID, "lex-pron").send_keys("zhang3 an1")   # differs from the reading the front-end gives
    browser.find_element(By.ID, "lex-preview").click()
    count = WebDriverWait(browser, WAIT_S).until(
        lambda b: b.find_element(By.ID, "lex-result").is_displayed() and b.find_element(By.ID, "lex-count").text)
    where = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#lex-lines li")]
    assert int(count) >= 2 and any(item.startswith("0.0.0 ") for item in where)
    assert all("长安" in item for item in where)
    assert "长安" not in (project / "lexicon.txt").read_text(encoding="utf-8")       # a preview writes nothing

    entries = cache_entries(project)
    browser.find_element(By.ID, "lex-apply").click()
    wait_page_job(browser, "lexicon: 长安")
    assert len(cache_entries(project) - entries) == int(count)
    assert "长安 zhang3 an1" in (project / "lexicon.txt").read_text(encoding="utf-8")


def test_text_edit_is_an_override_that_survives_a_full_render_and_is_reported(draft_studio, browser):
    from selenium.webdriver.common.by import By

    project = draft_studio.project
    book_sha = hashlib.sha256((project / "book.txt").read_bytes()).hexdigest()
    open_page(browser, draft_studio)
    row = line_row(browser, "2.0.2")
    row.click()
    row.find_element(By.CSS_SELECTOR, "button.edit").click()
    area = row.find_element(By.CSS_SELECTOR, "textarea.edit-text")
    area.clear()
    area.send_keys("Chen smiled at the quiet sea.")
    row.find_element(By.CSS_SELECTOR, "button.save-text").click()
    wait_page_job(browser, "edited text of 2.0.2")

    overrides = json.loads((project / "overrides.json").read_text(encoding="utf-8"))
    assert overrides["2.0.2"] == {"original": "Chen smiled at the sea.", "text": "Chen smiled at the quiet sea."}
    assert hashlib.sha256((project / "book.txt").read_bytes()).hexdigest() == book_sha
    listed = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#edits li")]
    assert any(item.startswith("2.0.2") and "Chen smiled at the quiet sea." in item for item in listed)

    done = render(project)                                   # a full `bookvoice render`, as a user runs it
    assert " 0 synthesised" in done.stdout                   # the studio rendered through the same path
    report = json.loads((project / "out" / "report.json").read_text(encoding="utf-8"))
    assert {"id": "2.0.2", "original": "Chen smiled at the sea.", "text": "Chen smiled at the quiet sea."} \
        in report["edits"]
    assert HOSTILE_LABEL in {e["id"] for e in report["edits"]}
    assert "Chen smiled at the quiet sea." in (project / "out" / "report.html").read_text(encoding="utf-8")
    line = next(x for x in draft_studio.get("/api/chapter/2")["lines"] if x["label"] == "2.0.2")
    assert line["text"] == "Chen smiled at the quiet sea." and line["edited"] and line["cached"]


def test_filters_find_edited_and_unapproved_lines(draft_studio):
    edited = {x["label"] for x in draft_studio.get("/api/lines?filter=edited")["lines"]}
    assert HOSTILE_LABEL in edited
    draft_studio.post("/api/line/0.1.0/approve", {"approved": True})
    unapproved = {x["label"] for x in draft_studio.get("/api/lines?filter=unapproved")["lines"]}
    assert "0.1.0" not in unapproved and "0.0.0" in unapproved
    everything = draft_studio.get("/api/lines?filter=all")["lines"]
    flagged = draft_studio.get("/api/lines?filter=flagged")["lines"]
    assert len(flagged) <= len(everything)
