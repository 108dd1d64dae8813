"""The studio in headless Chromium: browse and listen, hostile text stays inert, only project audio is served."""
from __future__ import annotations

import json

import pytest

from tests.flows.studio.conftest import HOSTILE_EDIT, HOSTILE_LABEL, HOSTILE_TITLE, line_row, open_page, played


def test_page_lists_chapters_and_lines_with_normalised_text_phones_and_takes(draft_studio):
    book = draft_studio.get("/api/book")
    assert [c["index"] for c in book["chapters"]] == [0, 1, 2]
    lines = draft_studio.get("/api/chapter/0")["lines"]
    assert [line["label"] for line in lines] == ["0.title", "0.0.0", "0.0.1", "0.1.0"]
    first = lines[1]
    assert first["text"] == "陈长安坐在窗前，读那封来自远方的信。" and first["cached"] and first["duration_s"] > 0.5
    assert first["phones"] and first["take"] == 1 and first["flags"] == []
    # 长 is polyphonic (chang2 / zhang3): highlighted with its alternative
    chang = next(p for p in first["polyphones"] if p["char"] == "长")
    assert chang["reading"] in ("chang2", "zhang3") and set(chang["alternatives"]) & {"chang2", "zhang3"}
    assert {"label": HOSTILE_LABEL, "original": "This line will be replaced by an override.",
            "text": HOSTILE_EDIT} in book["edits"]


def test_a_sentence_plays_in_the_browser(draft_studio, browser):
    from selenium.webdriver.common.by import By

    open_page(browser, draft_studio)
    row = browser.find_element(By.CSS_SELECTOR, '.line[data-label="0.0.0"]')
    row.click()
    row.find_element(By.CSS_SELECTOR, "button.play").click()
    played(browser, "0.0.0")
    assert browser.execute_script("return document.getElementById('player').duration") > 1.0


def test_hostile_book_text_stays_inert(draft_studio, browser):
    from selenium.webdriver.common.by import By

    open_page(browser, draft_studio)
    line_row(browser, "1.0.0")                               # opens chapter 1
    texts = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".line .text")]
    assert HOSTILE_EDIT in texts                                   # shown literally, as text
    assert "Click [there](javascript:window.__pwned=3) now." in texts
    assert browser.find_element(By.ID, "book-title").text == HOSTILE_TITLE
    assert browser.title.startswith(HOSTILE_TITLE)
    assert browser.execute_script("return window.__pwned") is None
    assert browser.execute_script("return document.scripts.length") == 1          # studio.js only
    assert browser.execute_script("return document.querySelectorAll('img, [onerror], a[href^=\"javascript:\"]').length") == 0


@pytest.mark.parametrize("path", [
    "/audio/../../etc/passwd",
    "/audio/..%2F..%2Fetc%2Fpasswd",
    "/audio/%2E%2E/%2E%2E/etc/passwd.wav",
    "/audio/..%2F..%2F..%2F..%2Fetc%2Fpasswd.wav",
    "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/static/../app.py",
    "/static/..%2Fapp.py",
    "/../../etc/passwd",
])
def test_paths_outside_the_project_are_refused(draft_studio, path):
    status, body = draft_studio.request("GET", path)
    assert status in (400, 403, 404, 405, 422)
    assert b"root:" not in body and b"import" not in body


def test_audio_is_served_only_for_lines_and_takes_of_the_project(draft_studio):
    status, body = draft_studio.request("GET", "/audio/0.0.0.wav")
    assert status == 200 and body[:4] == b"RIFF"
    for path in ("/audio/9.9.9.wav", "/audio/0.0.0.pcm", "/audio/0.0.0.wav?seed=12345", "/audio/0.0.0.wav?seed=x"):
        status, _ = draft_studio.request("GET", path)
        assert status in (404, 422), path


def test_state_changes_need_post_and_the_token_even_on_localhost(draft_studio):
    approve = "/api/line/0.0.0/approve"
    assert draft_studio.request("POST", approve, {"approved": True})[0] == 403
    assert draft_studio.request("POST", approve, {"approved": True}, token="wrong")[0] == 403
    assert draft_studio.request("GET", approve)[0] in (403, 404, 405)
    assert draft_studio.request("PUT", approve, {"approved": True}, token=draft_studio.token)[0] == 405
    # another site's name for 127.0.0.1 (DNS rebinding) is refused, even for reads
    assert draft_studio.request("GET", "/api/book", headers={"Host": "evil.example:80"})[0] == 403
    status, data = draft_studio.request("POST", approve, {"approved": False}, token=draft_studio.token)
    assert status == 200 and json.loads(data) == {"label": "0.0.0", "approved": False}


def test_bound_beyond_loopback_every_request_needs_the_token(fake_studio):
    assert "token=" in fake_studio.url
    assert fake_studio.request("GET", "/")[0] == 403
    assert fake_studio.request("GET", "/api/book")[0] == 403
    assert fake_studio.request("GET", "/audio/0.0.0.wav")[0] == 403
    assert fake_studio.request("POST", "/api/line/0.0.0/approve", {"approved": True})[0] == 403
    assert fake_studio.request("POST", "/api/line/0.0.0/approve", {"approved": True}, token="x" * 32)[0] == 403
    assert fake_studio.request("GET", "/health")[0] == 200
    assert fake_studio.request("GET", f"/api/book?token={fake_studio.token}")[0] == 200
    assert fake_studio.request("POST", "/api/line/0.0.0/approve", {"approved": False}, token=fake_studio.token)[0] == 200
