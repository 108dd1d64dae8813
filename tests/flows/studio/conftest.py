"""Studio fixtures: projects rendered by the real CLI, a studio running as a subprocess, headless Chromium."""
from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import tomli_w

from tests.flows.conftest import REPO, write_project

STARTUP_TIMEOUT_S = 180.0      # a loaded 2-core machine imports the front-end slowly
JOB_TIMEOUT_S = 300.0
PAGE_WAIT_S = 300.0
HEALTH_POLL_S = 0.2

BOOK = """第一章　雨夜的信

陈长安坐在窗前，读那封来自远方的信。他觉得这条路很长。
The lighthouse needs you, Chen.

第二章　Strange Marks

Click [there](javascript:window.__pwned=3) now.
This line will be replaced by an override.
An image that is not one.

第三章　回家

They went home at noon. 长安点了点头，海很安静。
Chen smiled at the sea.
"""
# hostile text that reaches the page through the real paths: the book title and a text override
HOSTILE_TITLE = '</title><script>window.__pwned=1</script>Book'
HOSTILE_EDIT = '<script>window.__pwned=2</script><img src=x onerror="window.__pwned=4"> Hello there.'
HOSTILE_LABEL = "1.0.1"
GSV_FAST = {"max_retries": 0, "max_tokens_per_phone": 1.0, "budget_slack": 0}   # random weights never say EOS


def _env(project: Path) -> dict[str, str]:
    """A CLI subprocess's environment: no user voices (only the project's) and a synthesis lock of its own.

    Session-wide studios start before the per-test private lock is set, and a render elsewhere on this
    machine must never hold them up (nor they it).
    """
    from flows.farm.slots import LOCK_ENV

    return {**os.environ, "PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(project / ".config"),
            LOCK_ENV: str(project.parent / "synthesis")}


def _bookvoice(args: list[str], project: Path) -> subprocess.CompletedProcess:
    """Run the CLI as a user would."""
    env = _env(project)
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


def render(project: Path) -> subprocess.CompletedProcess:
    """``bookvoice render -q PROJECT`` as a user runs it; fails the test on a non-zero exit."""
    done = _bookvoice(["render", "-q", str(project)], project)
    assert done.returncode == 0, done.stderr
    return done


def draft_project(root: Path) -> Path:
    """A small bilingual book read by the draft voice, with a hostile title and a hostile text override."""
    project = write_project(root, None, book={"title": HOSTILE_TITLE},
                            voice={"engine": "draft", "settings": {}})
    (project / "book.txt").write_text(BOOK, encoding="utf-8")
    original = "This line will be replaced by an override."
    (project / "overrides.json").write_text(json.dumps({HOSTILE_LABEL: {"original": original, "text": HOSTILE_EDIT}}),
                                            encoding="utf-8")
    return project


def fake_project(root: Path) -> Path:
    """The same book read by the fake engine (its audio changes with the seed, so a new take is audible)."""
    project = write_project(root, None)
    (project / "book.txt").write_text(BOOK, encoding="utf-8")
    return project


def gsv_project(root: Path, voice_dir: Path) -> Path:
    """The same book read by a tiny random GPT-SoVITS voice (added to the project with ``bookvoice voice add``)."""
    from tests.tiny_voice import build_tiny_voice

    tiny = build_tiny_voice(voice_dir, BOOK)
    project = write_project(root, None, voice={"engine": "gpt-sovits", "profile": "tiny", "settings": GSV_FAST},
                            render={"chunk": 4, "skip_kinds": [], "device": "cpu"})
    (project / "book.txt").write_text(BOOK, encoding="utf-8")
    added = _bookvoice(["voice", "add", "tiny", "--gpt", str(tiny.gpt), "--sovits", str(tiny.sovits), "--ref",
                        str(tiny.reference), "--ref-text", tiny.reference_text, "--hubert", str(tiny.hubert_dir),
                        "--bert", str(tiny.bert_dir), "--project", str(project)], project)
    assert added.returncode == 0, added.stderr
    return project


def cache_entries(project: Path) -> set[str]:
    return {p.name for p in (project / "cache").rglob("*.pcm")}


def mp3_bytes(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / "out").glob("*.mp3"))}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningStudio:
    """A ``bookvoice studio`` subprocess: where to reach it and its token."""

    project: Path
    port: int
    token: str
    url: str                      # the page to open, token included when bound beyond loopback
    proc: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        """A raw HTTP request (the path is sent exactly as given: no client-side normalisation)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = dict(headers or {})
        if token:
            sent["X-Studio-Token"] = token
        if body is not None:
            sent["Content-Type"] = "application/json"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=sent)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, data

    def post(self, path: str, body: dict | None = None) -> dict:
        status, data = self.request("POST", path, body or {}, token=self.token)
        assert status == 200, data
        return json.loads(data)

    def get(self, path: str) -> dict:
        sep = "&" if "?" in path else "?"
        status, data = self.request("GET", f"{path}{sep}token={self.token}")
        assert status == 200, data
        return json.loads(data)

    def wait_job(self, job_id: int) -> dict:
        """Block on the server-sent event stream until job ``job_id`` has finished; returns the job."""
        url = f"{self.base}/api/events?after=0&token={self.token}"
        deadline = time.monotonic() + JOB_TIMEOUT_S
        with urllib.request.urlopen(url, timeout=JOB_TIMEOUT_S) as stream:
            for raw in stream:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("data: "):
                    event = json.loads(line[len("data: "):])
                    if event["kind"] == "job" and event["id"] == job_id and event["state"] in ("done", "failed"):
                        assert event["state"] == "done", event["error"]
                        return event
                assert time.monotonic() < deadline, f"job {job_id} did not finish"
        raise AssertionError("the event stream ended")


def start_studio(project: Path, host: str = "127.0.0.1") -> RunningStudio:
    """Start ``bookvoice studio`` on a free port and wait for its health URL to answer."""
    port = _free_port()
    env = _env(project)
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "studio", str(project), "--port", str(port),
                             "--host", host], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    seen = []
    for line in proc.stdout:                     # the address is printed once the project is open
        seen.append(line)
        if "bookvoice studio for" in line:
            break
    else:
        raise AssertionError("the studio exited: " + "".join(seen))
    announced = seen[-1]
    threading.Thread(target=lambda: seen.extend(proc.stdout), daemon=True).start()   # never let the pipe fill
    url = announced.strip().rsplit(": ", 1)[1].replace(f"//{host}:", "//127.0.0.1:")
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:   # waiting for another process to listen: polling its health URL is the only signal
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        assert proc.poll() is None, "the studio exited while starting"
        assert time.monotonic() < deadline, "the studio did not answer in time"
        time.sleep(HEALTH_POLL_S)
    with urllib.request.urlopen(url, timeout=30) as response:
        page = response.read().decode("utf-8")
    token = page.split('name="studio-token" content="', 1)[1].split('"', 1)[0]
    return RunningStudio(project, port, token, url, proc)


def stop_studio(studio: RunningStudio) -> None:
    studio.proc.terminate()
    try:
        studio.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        studio.proc.kill()
        studio.proc.wait()


@pytest.fixture(scope="session")
def draft_studio(tmp_path_factory, prefect_server) -> Iterator[RunningStudio]:
    """The draft-voice project, rendered by ``bookvoice render``, open in a studio on 127.0.0.1."""
    project = draft_project(tmp_path_factory.mktemp("studio") / "draft")
    render(project)
    studio = start_studio(project)
    yield studio
    stop_studio(studio)


@pytest.fixture(scope="session")
def fake_studio(tmp_path_factory, prefect_server) -> Iterator[RunningStudio]:
    """The fake-engine project, rendered, open in a studio bound to every address (so the token is required)."""
    project = fake_project(tmp_path_factory.mktemp("studio") / "fake")
    render(project)
    studio = start_studio(project, host="0.0.0.0")
    yield studio
    stop_studio(studio)


@pytest.fixture(scope="session")
def gsv_studio(tmp_path_factory, prefect_server) -> Iterator[RunningStudio]:
    """The tiny GPT-SoVITS project, rendered, open in a studio on 127.0.0.1."""
    root = tmp_path_factory.mktemp("studio")
    project = gsv_project(root / "gsv", root / "voice")
    render(project)
    studio = start_studio(project)
    yield studio
    stop_studio(studio)


def _chromium() -> tuple[str, str]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        pytest.skip("chromium and chromedriver not installed (Debian: apt-get install -y chromium chromium-driver); "
                    "CI installs them")
    pytest.importorskip("selenium", reason="selenium is in the dev extra (pip install -e '.[dev]')")
    return binary, driver


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Chromium driven by Selenium (the distribution's chromedriver; nothing downloaded)."""
    binary, driver = _chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--mute-audio",
                "--autoplay-policy=no-user-gesture-required",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    chrome.set_page_load_timeout(120)
    yield chrome
    chrome.quit()


def open_page(browser, studio: RunningStudio) -> None:
    """Load the studio page and wait until its first chapter is shown."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(studio.url)
    WebDriverWait(browser, PAGE_WAIT_S).until(
        lambda b: b.execute_script("return document.body.dataset.ready === 'true'"))


def line_row(browser, label: str):
    """Open the line's chapter in the page and return the line's row."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    chapter = label.split(".")[0]
    version = "return document.getElementById('lines').dataset.version"
    before = browser.execute_script(version)
    browser.find_element(By.CSS_SELECTOR, f'.chapter-link[data-chapter="{chapter}"]').click()
    WebDriverWait(browser, PAGE_WAIT_S).until(lambda b: b.execute_script(version) != before)   # rows rebuilt
    return browser.find_element(By.CSS_SELECTOR, f'.line[data-label="{label}"]')


def wait_page_job(browser, description: str) -> None:
    """Until the page's job status (fed by server-sent events) says the described job is done."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def finished(b) -> bool:
        status = b.find_element(By.ID, "job-status")
        assert status.get_attribute("data-state") != "failed", status.text
        return description in status.text and status.get_attribute("data-state") == "done"

    WebDriverWait(browser, JOB_TIMEOUT_S).until(finished)


def played(browser, label: str) -> None:
    """Until the page's audio element plays the line and its currentTime advances."""
    from selenium.webdriver.support.ui import WebDriverWait

    player = "return document.getElementById('player')"
    WebDriverWait(browser, PAGE_WAIT_S).until(lambda b: f"/audio/{label}.wav" in b.execute_script(f"{player}.currentSrc")
                                              and b.execute_script(f"{player}.currentTime") > 0.05)
    first = browser.execute_script(f"{player}.currentTime")
    WebDriverWait(browser, PAGE_WAIT_S).until(lambda b: b.execute_script(f"{player}.currentTime") > first)


def new_take(browser, studio: RunningStudio, label: str) -> tuple[set[str], dict[str, bytes]]:
    """Ask the page for a new take of the line and wait until its job is done; the cache entries and MP3s before."""
    from selenium.webdriver.common.by import By

    before = cache_entries(studio.project), mp3_bytes(studio.project)
    open_page(browser, studio)
    row = line_row(browser, label)
    row.click()
    row.find_element(By.CSS_SELECTOR, "button.retake").click()
    wait_page_job(browser, f"new take of {label}")
    return before


def assert_one_new_entry_in_one_chapter(project: Path, entries: set[str], mp3s: dict[str, bytes],
                                        chapter_prefix: str) -> None:
    """The cache gained exactly one entry, and only the chapter file named with `chapter_prefix` changed."""
    assert len(cache_entries(project) - entries) == 1 and entries <= cache_entries(project)
    after = mp3_bytes(project)
    assert after.keys() == mp3s.keys()
    assert [name for name in mp3s if after[name] != mp3s[name]] == [name for name in mp3s
                                                                     if name.startswith(chapter_prefix)]
