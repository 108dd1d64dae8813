"""The studio's web app: JSON API, sentence audio, server-sent progress, and the guard every request passes."""
from __future__ import annotations

import contextlib
import html
import io
import ipaddress
import json
import logging
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel

from flows.studio.jobs import EventLog, Job, RenderWorker
from flows.studio.state import FILTERS, ProjectView, StudioError, UnknownLine, paragraph_of

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"studio.js": "text/javascript; charset=utf-8", "studio.css": "text/css; charset=utf-8"}
TOKEN_HEADER = "x-studio-token"
TOKEN_PARAM = "token"
TOKEN_BYTES = 24
EVENT_WAIT_S = 15.0           # a quiet event stream sends a comment this often (keeps proxies and tabs awake)
OPEN_PATHS = ("/health", "/favicon.ico", *(f"/static/{name}" for name in STATIC_FILES))   # nothing of the book
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self'; "
                               "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class StudioSettings:
    """Where the studio listens and the token its requests carry; validated once, here."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be in 0..65535, not {self.port}")
        if not self.token:
            object.__setattr__(self, "token", secrets.token_urlsafe(TOKEN_BYTES))

    @property
    def local(self) -> bool:
        """Bound to a loopback address only: pages may be read without the token (actions still need it)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def url(self, port: int | None = None) -> str:
        """The address to open (with the token when bound beyond this machine)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        base = f"http://{host}:{port or self.port}/"
        return base if self.local else f"{base}?{TOKEN_PARAM}={self.token}"


class TextBody(BaseModel):
    text: str


class SeedBody(BaseModel):
    seed: int


class ApproveBody(BaseModel):
    approved: bool = True


class LexiconBody(BaseModel):
    word: str
    pron: str


def _wav_bytes(audio, sample_rate: int) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, audio, sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def line_json(view: ProjectView, line) -> dict:
    """One line as the page shows it (plain data: the page inserts every string as text)."""
    key, label = line.job.key, line.label
    cached = view.cache.contains(key)
    info = view.cache.info(key) if cached else None
    polyphones = view.polyphones(line.job.text)
    tried = view.review.tried(label, line.job.seed)
    edit = view.overrides.edits.get(label)
    return {"label": label, "key": key, "paragraph": paragraph_of(label), "text": line.text,
            "original": edit.original if edit is not None and edit.text == line.text else None,
            "norm": line.job.text, "phones": " ".join(line.job.phones),
            "polyphones": [{"index": p.index, "char": p.char, "reading": p.reading, "alternatives": list(p.alternatives),
                            "low": p.low_confidence, "source": p.source} for p in polyphones],
            "low": any(p.low_confidence for p in polyphones),
            "flags": list(info.flags) if info else [], "duration_s": round(info.duration_s, 2) if info else None,
            "seed": line.job.seed, "take": tried.index(line.job.seed) + 1, "takes": len(tried), "cached": cached,
            "approved": view.review.is_approved(label, key), "edited": edit is not None and edit.text == line.text}


class Studio:
    """The project view, its render worker and event log: what the routes work on."""

    def __init__(self, project_dir: Path) -> None:
        self.view = ProjectView(project_dir)
        self.events = EventLog()
        self.worker = RenderWorker(self.view.root, self.events, self._pending, lambda: self.view.cache, self._finished)
        threading.Thread(target=self._warm, name="studio-warm", daemon=True).start()

    def _warm(self) -> None:
        try:
            self.view.warm()
        except Exception:  # noqa: BLE001 - warming is an optimisation; requests report real problems themselves
            log.exception("planning the book ahead failed")

    def _pending(self, job: Job) -> list[tuple[str, str]]:
        self.view.reload()
        chapters = job.chapters if job.chapters is not None else list(self.view.chapters)
        return [(line.label, line.job.key) for index in chapters if index in self.view.chapters
                for line in self.view.plan(index).lines if not self.view.cache.contains(line.job.key)]

    def _finished(self, job: Job) -> None:
        self.view.reload()

    def render(self, description: str, chapters: Sequence[int] | None, labels: Sequence[str] = (),
               force: Sequence[str] = ()) -> dict:
        """Re-read the project (the action's files are written) and queue the render."""
        self.view.reload()
        return self.worker.submit(description, chapters, labels, force).public()


def create_app(project_dir: Path, settings: StudioSettings):
    """The FastAPI app for one project."""
    studio = Studio(project_dir)
    view = studio.view

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        studio.events.close()
        studio.worker.stop()

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.studio = studio

    @app.middleware("http")
    async def guard(request: Request, call_next):
        refused = _refusal(request, settings)
        response = PlainTextResponse(refused[1], status_code=refused[0]) if refused else await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        return response

    @app.exception_handler(StudioError)
    async def studio_error(_request: Request, exc: StudioError):
        return JSONResponse({"error": str(exc)}, status_code=404 if isinstance(exc, UnknownLine) else 400)

    @app.get("/health")
    def health() -> dict:
        return {"ok": True}

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(page.replace("{{TOKEN}}", html.escape(settings.token, quote=True))
                            .replace("{{TITLE}}", html.escape(view.title, quote=True)))

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in STATIC_FILES:
            raise HTTPException(404, "no such file")
        return Response((STATIC_DIR / name).read_bytes(), media_type=STATIC_FILES[name])

    @app.get("/api/book")
    def book() -> dict:
        with view.lock:
            chapters = [{"index": c.index, "title": c.title, "sentences": sum(1 for _ in c.sentences())}
                        for c in view.chapters.values()]
            edits = [{"label": e.label, "original": e.original, "text": e.text} for e in view.overrides.edits.values()]
            stale = [e.label for e in view.overrides.stale(view.book)]
            return {"title": view.title, "chapters": chapters, "edits": edits, "stale_edits": stale,
                    "jobs": [job.public() for job in studio.worker.jobs()], "events": studio.events.last}

    @app.get("/api/chapter/{index}")
    def chapter(index: int) -> dict:
        with view.lock:
            plan = view.plan(index)
            return {"index": plan.index, "title": plan.title, "lines": [line_json(view, line) for line in plan.lines]}

    @app.get("/api/lines")
    def lines(filter: str = "all") -> dict:   # noqa: A002 - the query parameter's name
        if filter not in FILTERS:
            raise StudioError(f"unknown filter {filter[:20]!r}: use one of {', '.join(FILTERS)}")
        with view.lock:
            found = [{"chapter": plan.index, "label": line.label, "text": line.text}
                     for plan in view.plans() for line in plan.lines if view.matches(line, filter)]
        return {"filter": filter, "lines": found}

    @app.get("/api/line/{label}/takes")
    def takes(label: str) -> dict:
        return {"label": label, "takes": [{"seed": t.seed, "cached": t.cached, "in_use": t.in_use}
                                          for t in view.takes_of(label)]}

    @app.get("/audio/{name}")
    def audio(name: str, seed: int | None = None) -> Response:
        if not name.endswith(".wav"):
            raise HTTPException(404, "no such file")
        with view.lock:
            line = view.line(name[:-len(".wav")])
            key = line.job.key
            if seed is not None:
                if seed not in view.review.tried(line.label, line.job.seed):
                    raise UnknownLine(f"no take with seed {seed}")
                key = view.key_for_seed(line, seed)
            entry = view.cache.get(key)
        if entry is None:
            raise UnknownLine("that take has no audio yet")
        return Response(_wav_bytes(entry.audio, entry.sample_rate), media_type="audio/wav")

    def chapter_of(label: str) -> int:
        return int(view.line(label).label.split(".")[0])

    @app.post("/api/line/{label}/take")
    def new_take(label: str) -> dict:
        seed = view.new_take(label)
        return studio.render(f"new take of {label} (seed {seed})", [chapter_of(label)], [label])

    @app.post("/api/line/{label}/pick")
    def pick(label: str, body: SeedBody) -> dict:
        view.pick_take(label, body.seed)
        return studio.render(f"take with seed {body.seed} for {label}", [chapter_of(label)], [label])

    @app.post("/api/line/{label}/approve")
    def approve(label: str, body: ApproveBody) -> dict:
        view.approve(label, body.approved)
        return {"label": label, "approved": body.approved}

    @app.post("/api/line/{label}/text")
    def edit(label: str, body: TextBody) -> dict:
        view.edit_text(label, body.text)
        return studio.render(f"edited text of {label}", [chapter_of(label)], [label])

    @app.post("/api/lexicon/preview")
    def lexicon_preview(body: LexiconBody) -> dict:
        preview = view.lexicon_preview(body.word, body.pron)
        return {"word": preview.word, "pron": preview.pron, "to_synthesize": preview.to_synthesize,
                "chapters": list(preview.chapters),
                "lines": [{"label": label, "text": text} for label, text in zip(preview.labels, preview.texts)]}

    @app.post("/api/lexicon/apply")
    def lexicon_apply(body: LexiconBody) -> dict:
        preview = view.lexicon_apply(body.word, body.pron)
        job = studio.render(f"lexicon: {preview.word} = {preview.pron}", list(preview.chapters), list(preview.labels))
        return {**job, "to_synthesize": preview.to_synthesize}

    @app.post("/api/render")
    def render_all() -> dict:
        return studio.render("render the book", None)

    @app.get("/api/jobs/{job_id}")
    def job(job_id: int) -> dict:
        found = studio.worker.job(job_id)
        if found is None:
            raise HTTPException(404, "no such job")
        return found.public()

    @app.get("/api/events")
    def events(request: Request, after: int = 0) -> StreamingResponse:
        start = int(request.headers.get("last-event-id") or after)
        return StreamingResponse(_event_stream(studio.events, start), media_type="text/event-stream")

    return app


def _event_stream(events: EventLog, seq: int) -> Iterator[str]:
    """Server-sent events from number ``seq`` on, until the server stops."""
    while not events.closed:
        batch = events.since(seq, EVENT_WAIT_S)
        if not batch:
            yield ": idle\n\n"
        for seq, event in batch:
            yield f"id: {seq}\nevent: {event['kind']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"


def _refusal(request, settings: StudioSettings) -> tuple[int, str] | None:
    """Why a request is refused (status, message), or None: wrong Host, missing token, wrong method."""
    if request.method not in ("GET", "HEAD", "POST"):
        return 405, "method not allowed"
    if settings.local:
        port = request.url.port or settings.port
        allowed = {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}
        if request.headers.get("host", "") not in allowed:    # DNS rebinding: another site's name for 127.0.0.1
            return 403, "unexpected Host header"
    if request.url.path in OPEN_PATHS:
        return None
    if request.method == "POST":
        given = request.headers.get(TOKEN_HEADER, "")
    elif settings.local:
        return None
    else:
        given = request.query_params.get(TOKEN_PARAM) or request.headers.get(TOKEN_HEADER, "")
    if not secrets.compare_digest(given.encode(), settings.token.encode()):
        return 403, "missing or wrong token"
    return None
