"""Studio figures in headless Chromium: click "New take" -> hearing it, and page load for a 3,000-sentence book.

Usage: .venv/bin/python bench/bench_studio.py [--takes 5] [--sentences 3000] [--json]
Needs chromium and chromedriver (Debian: apt-get install chromium chromium-driver) and selenium (dev extra).
Projects are made in bench/out/studio/.

1. New take, with the draft voice and with a tiny random GPT-SoVITS voice (the tests' voice: random weights, so
   the figure is the path's overhead plus a small network's decoding, not a real voice's synthesis time):
   a small bilingual book is rendered with ``bookvoice render``, a studio is started on it, one take
   warms the engine and the Prefect connection, then ``--takes`` times: click "New take" on a sentence and wait
   for the page's audio element to start playing the new take (the page plays it once its render is done).
   Printed: median and max seconds from the click to the ``playing`` event.
2. Page load: a book of ``--sentences`` sentences (30 chapters, Chinese with English) is opened in a studio
   (not rendered: a page shows "no audio yet" where the cache has nothing, which costs no less than a cached
   line). Printed: studio start-up (process start to health answering), the first page load (navigation to
   the first chapter's lines in the DOM, planning that chapter: front-end on every sentence), a reload once
   that chapter is planned, and the whole-book filter "not yet approved" (plans every chapter).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.flows.conftest import write_project  # noqa: E402
from tests.flows.studio.conftest import BOOK, gsv_project, render, start_studio, stop_studio  # noqa: E402

OUT = REPO / "bench" / "out" / "studio"
CHAPTERS = 30
WAIT_S = 900
ZH = ["陈长安坐在窗前，重新读那封来自远方的信。", "他觉得这条路很长，长得看不见尽头。", "雨一直下到深夜，海很安静。",
      "她把灯塔的钥匙交给了他。", "第二天早上，他们一起去了港口。"]
EN = ["The lighthouse needs you, Chen.", "Nobody spoke for an hour.", "The stairs had three hundred steps."]


def big_book(n_sentences: int) -> str:
    """A TXT book of ``CHAPTERS`` chapters, four sentences a paragraph, no two sentences alike."""
    per_chapter = max(1, n_sentences // CHAPTERS)
    parts = []
    for c in range(1, CHAPTERS + 1):
        parts.append(f"第{c}章　第{c}夜\n")
        sentences = []
        for i in range(per_chapter):
            if i % 4 == 3:
                sentences.append(f"{EN[i % len(EN)][:-1]}, time {i + 1}.")
            else:
                sentences.append(f"{ZH[i % len(ZH)][:-1]}，第{i + 1}次。")
        parts += [" ".join(sentences[j:j + 4]) + "\n" for j in range(0, len(sentences), 4)]
    return "\n".join(parts)


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--mute-audio",
                "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)


def _ready(browser) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, WAIT_S, poll_frequency=0.02).until(
        lambda b: b.execute_script("return document.body.dataset.ready === 'true'"))


def new_take_figures(browser, n_takes: int, voice: str) -> dict:
    """Seconds from clicking "New take" to the new take playing, warm engine (``voice``: draft or tiny-gsv)."""
    from selenium.webdriver.support.ui import WebDriverWait

    project = OUT / f"takes-{voice}"
    shutil.rmtree(project, ignore_errors=True)
    if voice == "draft":
        write_project(project, None, voice={"engine": "draft", "settings": {}})
        (project / "book.txt").write_text(BOOK, encoding="utf-8")
    else:
        gsv_project(project, OUT / "tiny-voice")
    render(project)
    studio = start_studio(project)
    try:
        browser.get(studio.url)
        _ready(browser)
        seconds = []
        for n in range(n_takes + 1):                         # the first take warms up and is not counted
            heard = browser.execute_script("""
                const row = document.querySelector('.line[data-label="0.0.0"]');
                const player = document.getElementById('player');
                window.__heard = null;
                player.addEventListener('playing', () => { window.__heard = performance.now(); }, {once: true});
                const t0 = performance.now();
                row.click();
                row.querySelector('button.retake').click();
                return t0;""")
            WebDriverWait(browser, WAIT_S, poll_frequency=0.02).until(
                lambda b: b.execute_script("return window.__heard !== null"))
            if n:
                seconds.append((browser.execute_script("return window.__heard") - heard) / 1000.0)
    finally:
        stop_studio(studio)
    return {"takes": len(seconds), "median_s": round(statistics.median(seconds), 2), "max_s": round(max(seconds), 2)}


def page_load_figures(browser, n_sentences: int) -> dict:
    """Studio start-up, first and warm page loads, and the whole-book filter, for a big book."""
    from selenium.webdriver.support.ui import WebDriverWait

    project = OUT / "big"
    shutil.rmtree(project, ignore_errors=True)
    write_project(project, None, voice={"engine": "draft", "settings": {}})
    (project / "book.txt").write_text(big_book(n_sentences), encoding="utf-8")
    started = time.monotonic()
    studio = start_studio(project)
    startup = time.monotonic() - started
    try:
        book = studio.get("/api/book")
        total = sum(c["sentences"] for c in book["chapters"])
        loads = []
        for _ in range(2):
            started = time.monotonic()
            browser.get(studio.url)
            _ready(browser)
            loads.append(time.monotonic() - started)
        lines_shown = browser.execute_script("return document.querySelectorAll('.line').length")
        started = time.monotonic()
        browser.find_element("id", "filter").send_keys("not yet approved")
        browser.find_element("id", "filter-go").click()
        WebDriverWait(browser, WAIT_S, poll_frequency=0.05).until(
            lambda b: b.execute_script("return document.querySelectorAll('#filter-results li').length") > 0)
        whole_book = time.monotonic() - started
    finally:
        stop_studio(studio)
    return {"sentences": total, "chapters": len(book["chapters"]), "lines_on_first_page": lines_shown,
            "startup_s": round(startup, 2), "first_load_s": round(loads[0], 2), "warm_load_s": round(loads[1], 2),
            "whole_book_filter_s": round(whole_book, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=int, default=5)
    parser.add_argument("--sentences", type=int, default=3000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    browser = _browser()
    try:
        figures = {"new_take": new_take_figures(browser, args.takes, "draft"),
                   "new_take_gsv": new_take_figures(browser, args.takes, "tiny-gsv"),
                   "page_load": page_load_figures(browser, args.sentences)}
    finally:
        browser.quit()
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    page = figures["page_load"]
    for name, voice in (("new_take", "draft voice"), ("new_take_gsv", "tiny random GPT-SoVITS voice, CPU")):
        take = figures[name]
        print(f"new take -> hearing it ({voice}, warm engine): median {take['median_s']} s, "
              f"max {take['max_s']} s over {take['takes']} takes")
    print(f"{page['sentences']}-sentence book ({page['chapters']} chapters): studio start-up {page['startup_s']} s; "
          f"first page load {page['first_load_s']} s ({page['lines_on_first_page']} lines), "
          f"warm reload {page['warm_load_s']} s; whole-book filter {page['whole_book_filter_s']} s")


if __name__ == "__main__":
    main()
