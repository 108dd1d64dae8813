"""Turn a chapter into synthesis jobs: front-end phones, content keys, seeds and the pause after each line."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

from flows.config.takes import SEED_MODULUS, Takes
from text_prep.book import CONTEXT_SENTENCES, Chapter
from flows.store.fsio import atomic_write_text
from tts_engine.engine import SentenceJob, TextSegment

PLANS_DIR = "plans"

PAUSE_TITLE, PAUSE_SENTENCE, PAUSE_PARAGRAPH, PAUSE_END = "title", "sentence", "paragraph", "end"


class PhoneSegmentLike(Protocol):
    lang: str
    norm_text: str
    phones: tuple[str, ...]
    word2ph: tuple[int, ...]


class PhonemesLike(Protocol):
    """The parts of ``text_prep.phones.frontend.Phonemes`` the planner reads."""

    segments: tuple[PhoneSegmentLike, ...]
    phones: tuple[str, ...]
    phone_ids: tuple[int, ...]
    norm_text: str


Phonemizer = Callable[[str], PhonemesLike]


@dataclass(frozen=True)
class PlannedLine:
    """One spoken line of a chapter (its title or a sentence) and the pause that follows it."""

    label: str              # "3.title" or the sentence id "3.0.2"
    text: str               # the text as written in the book
    job: SentenceJob
    pause: str              # PAUSE_TITLE | PAUSE_SENTENCE | PAUSE_PARAGRAPH | PAUSE_END


@dataclass(frozen=True)
class ChapterPlan:
    """All lines of a chapter in reading order."""

    index: int
    title: str
    lines: tuple[PlannedLine, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(line.job.key for line in self.lines)


def content_key(phonemes: PhonemesLike, before: Sequence[str], after: Sequence[str], engine_fp: str) -> str:
    """Hash of what decides a sentence's audio apart from the seed: text, phones, context, voice."""
    blob = json.dumps({"text": phonemes.norm_text, "phones": list(phonemes.phones),
                       "before": list(before), "after": list(after), "engine": engine_fp}, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def default_seed(base_key: str) -> int:
    """The seed a sentence gets unless a take overrides it: derived from its content."""
    return int(base_key[:8], 16) % SEED_MODULUS


def text_segments(phonemes: PhonemesLike) -> tuple[TextSegment, ...]:
    """The front-end's language runs as the engine's BERT alignment needs them."""
    return tuple(TextSegment(s.lang, s.norm_text, len(s.phones), tuple(s.word2ph)) for s in phonemes.segments)


def make_job(phonemes: PhonemesLike, before: Sequence[str], after: Sequence[str], engine_fp: str,
             forced_seed: int | None) -> SentenceJob:
    """A synthesis job whose key covers content, context, voice and seed."""
    base = content_key(phonemes, before, after, engine_fp)
    seed = default_seed(base) if forced_seed is None else forced_seed
    key = hashlib.sha256(f"{base}:{seed}".encode()).hexdigest()
    segments = text_segments(phonemes)
    langs = {s.lang for s in segments}
    lang = langs.pop() if len(langs) == 1 else "mixed"
    return SentenceJob(key=key, text=phonemes.norm_text, lang=lang, seed=seed, phones=tuple(phonemes.phones),
                       phone_ids=tuple(phonemes.phone_ids), segments=segments,
                       context_before=tuple(before), context_after=tuple(after))


def _speakable(phonemes: PhonemesLike) -> bool:
    return bool(phonemes.phones) and any(ch.isalnum() for ch in phonemes.norm_text)


def _chapter_lines(chapter: Chapter, phonemize: Phonemizer, engine_fp: str, takes: Takes) -> Iterator[PlannedLine]:
    title_label = f"{chapter.index}.title"
    title = phonemize(chapter.title) if chapter.title.strip() else None
    if title is not None and _speakable(title):
        job = make_job(title, (), (), engine_fp, takes.seed_for(title_label, chapter.title))
        yield PlannedLine(title_label, chapter.title, job, PAUSE_TITLE)
    sentences = list(chapter.sentences())
    phonemes = {sentence.id: phonemize(sentence.text) for sentence in sentences}
    windows = context_windows([phonemes[s.id].norm_text for s in sentences])
    window_of = {s.id: window for s, window in zip(sentences, windows)}
    for paragraph in chapter.paragraphs:
        spoken = [s for s in paragraph.sentences if _speakable(phonemes[s.id])]
        for i, sentence in enumerate(spoken):
            label = str(sentence.id)
            before, after = window_of[sentence.id]
            job = make_job(phonemes[sentence.id], before, after, engine_fp, takes.seed_for(label, sentence.text))
            yield PlannedLine(label, sentence.text, job, PAUSE_PARAGRAPH if i == len(spoken) - 1 else PAUSE_SENTENCE)


def context_windows(norm_texts: Sequence[str], width: int = CONTEXT_SENTENCES
                    ) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Per sentence of a chapter: the normalised text of up to ``width`` sentences before and after it."""
    return [(tuple(norm_texts[max(0, i - width):i]), tuple(norm_texts[i + 1:i + 1 + width]))
            for i in range(len(norm_texts))]


def plan_chapter(chapter: Chapter, phonemize: Phonemizer, engine_fp: str, takes: Takes) -> ChapterPlan:
    """Phonemise every line of ``chapter`` and key it; the last line's pause becomes the chapter end."""
    lines = list(_chapter_lines(chapter, phonemize, engine_fp, takes))
    if lines:
        last = lines[-1]
        lines[-1] = PlannedLine(last.label, last.text, last.job, PAUSE_END)
    return ChapterPlan(chapter.index, chapter.title, tuple(lines))


def job_to_dict(job: SentenceJob) -> dict:
    """A job as plain JSON data (plan cache, farm shards)."""
    return asdict(job)


def job_from_dict(data: dict) -> SentenceJob:
    """The inverse of ``job_to_dict``."""
    segments = tuple(TextSegment(s["lang"], s["norm_text"], s["n_phones"], tuple(s["word2ph"]))
                     for s in data["segments"])
    return SentenceJob(key=data["key"], text=data["text"], lang=data["lang"], seed=data["seed"],
                       phones=tuple(data["phones"]), phone_ids=tuple(data["phone_ids"]), segments=segments,
                       context_before=tuple(data["context_before"]), context_after=tuple(data["context_after"]))


@lru_cache(maxsize=1)
def frontend_code_digest() -> str:
    """A digest of the front-end's code and data files (names, sizes, times): a changed front-end re-plans."""
    import text_prep

    root = Path(text_prep.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix != ".pyc":
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


class PlanCache:
    """Chapter plans remembered in ``<state>/plans`` under a key of everything that decides them.

    A re-render of an unchanged chapter then needs no front-end at all (not even its imports).
    """

    def __init__(self, state_dir: Path, frontend_id: str) -> None:
        self.dir = Path(state_dir) / PLANS_DIR
        self.frontend_id = frontend_id

    def key(self, chapter: Chapter, engine_fp: str, takes: Takes) -> str:
        lines = [(chapter.title, "title")] + [(s.text, str(s.id)) for s in chapter.sentences()]
        paragraphs = [len(p.sentences) for p in chapter.paragraphs]
        chosen = {label: takes.seed_for(label, text) for text, label in lines}
        blob = json.dumps({"lines": lines, "paragraphs": paragraphs, "index": chapter.index, "engine": engine_fp,
                           "takes": chosen, "frontend": self.frontend_id, "code": frontend_code_digest()},
                          ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str, index: int) -> "ChapterPlan | None":
        try:
            data = json.loads((self.dir / f"{index:04d}.json").read_text(encoding="utf-8"))
            if data["key"] != key:
                return None
            lines = tuple(PlannedLine(l["label"], l["text"], job_from_dict(l["job"]), l["pause"]) for l in data["lines"])
            return ChapterPlan(data["index"], data["title"], lines)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, plan: "ChapterPlan") -> None:
        data = {"key": key, "index": plan.index, "title": plan.title,
                "lines": [{"label": l.label, "text": l.text, "job": job_to_dict(l.job), "pause": l.pause}
                          for l in plan.lines]}
        atomic_write_text(self.dir / f"{plan.index:04d}.json", json.dumps(data, ensure_ascii=False) + "\n")


POOL_MIN_SENTENCES = 2000     # below this a process pool costs more (start-up, imports) than it saves


def plan_chapters(chapters: Sequence[Chapter], phonemize: Phonemizer, engine_fp: str, takes: Takes,
                  workers: int, cache: PlanCache | None = None,
                  on_planned: Callable[[ChapterPlan], None] = lambda plan: None) -> list[ChapterPlan]:
    """Plan every chapter (in order): remembered plans reused, the rest on ``workers`` processes for big books."""
    keys = {c.index: cache.key(c, engine_fp, takes) for c in chapters} if cache else {}
    plans: dict[int, ChapterPlan] = {}
    for chapter in chapters:
        known = cache.get(keys[chapter.index], chapter.index) if cache else None
        if known is not None:
            plans[chapter.index] = known
            on_planned(known)
    todo = [c for c in chapters if c.index not in plans]
    n_sentences = sum(len(p.sentences) for c in todo for p in c.paragraphs)
    if workers <= 1 or len(todo) < 2 or n_sentences < POOL_MIN_SENTENCES:
        fresh: Iterator[ChapterPlan] = (plan_chapter(c, phonemize, engine_fp, takes) for c in todo)
        _collect(fresh, plans, keys, cache, on_planned)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")    # never fork a process that may hold torch threads
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context) as pool:
            futures = [pool.submit(plan_chapter, c, phonemize, engine_fp, takes) for c in todo]
            _collect((f.result() for f in futures), plans, keys, cache, on_planned)
    return [plans[c.index] for c in chapters]


def _collect(fresh: Iterator[ChapterPlan], plans: dict[int, ChapterPlan], keys: dict[int, str],
             cache: PlanCache | None, on_planned: Callable[[ChapterPlan], None]) -> None:
    for plan in fresh:
        plans[plan.index] = plan
        if cache is not None:
            cache.put(keys[plan.index], plan)
        on_planned(plan)
