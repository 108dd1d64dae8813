"""Turn a chapter into synthesis jobs: front-end phones, content keys, seeds and the pause after each line."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol, Sequence

from flows.config.takes import SEED_MODULUS, Takes
from text_prep.book import CONTEXT_SENTENCES, Chapter
from tts_engine.engine import SentenceJob, TextSegment

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


POOL_MIN_SENTENCES = 2000     # below this a process pool costs more (start-up, imports) than it saves


def plan_chapters(chapters: Sequence[Chapter], phonemize: Phonemizer, engine_fp: str, takes: Takes,
                  workers: int, on_planned: Callable[[ChapterPlan], None] = lambda plan: None) -> list[ChapterPlan]:
    """Plan every chapter (in order), on ``workers`` processes when the book is big enough to gain from it."""
    n_sentences = sum(len(p.sentences) for c in chapters for p in c.paragraphs)
    if workers <= 1 or len(chapters) < 2 or n_sentences < POOL_MIN_SENTENCES:
        plans = []
        for chapter in chapters:
            plans.append(plan_chapter(chapter, phonemize, engine_fp, takes))
            on_planned(plans[-1])
        return plans
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")    # never fork a process that may hold torch threads
    with ProcessPoolExecutor(max_workers=min(workers, len(chapters)), mp_context=context) as pool:
        futures = [pool.submit(plan_chapter, chapter, phonemize, engine_fp, takes) for chapter in chapters]
        plans = []
        for future in futures:
            plans.append(future.result())
            on_planned(plans[-1])
    return plans
