"""Chinese words with parts of speech as ``jieba.posseg`` gives them (the reference's segmenter), decoded faster.

jieba.posseg cuts a block by its dictionary and hands runs of single characters that form no known word
to a hidden Markov model over (word position, part of speech) states. Its Viterbi decoder scores every
previous state for every next state; this one scores only the previous states that can move to the next
state (the others are minus infinity there, so the best path is the same), falling back to the full
search when no such state has a finite score. Results are identical to ``jieba.posseg.lcut``; the model
and dictionary are jieba's own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Mapping

from text_prep.zh.jieba_words import jieba_module

NEG_INF = float("-inf")
MIN_FLOAT = -3.14e100                       # jieba's score for a character a state never emits
_HAN_BLOCK = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._]+)")
_SKIP = re.compile("(\r\n|\\s)")
_HAN_DETAIL = re.compile("([\u4E00-\u9FD5]+)")
_SKIP_DETAIL = re.compile("([\\.0-9]+|[a-zA-Z0-9]+)")
_NUM = re.compile("[\\.0-9]+")
_ENG = re.compile("[a-zA-Z0-9]+")
State = tuple[str, str]


@dataclass(frozen=True)
class _Model:
    char_states: Mapping[str, tuple[State, ...]]
    start: Mapping[State, float]
    trans: Mapping[State, Mapping[State, float]]
    emit: Mapping[State, Mapping[str, float]]
    preds: Mapping[State, Mapping[State, float]]    # next state -> {previous state: transition score}
    nexts: Mapping[State, frozenset[State]]         # state -> the states it can move to


@lru_cache(maxsize=1)
def _model() -> _Model:
    from jieba.posseg.char_state_tab import P as char_states
    from jieba.posseg.prob_emit import P as emit
    from jieba.posseg.prob_start import P as start
    from jieba.posseg.prob_trans import P as trans

    preds: dict[State, dict[State, float]] = {}
    for a, nexts in trans.items():
        for b, score in nexts.items():
            preds.setdefault(b, {})[a] = score
    nexts = {a: frozenset(b) for a, b in trans.items()}
    return _Model(char_states, start, trans, emit, preds, nexts)


@lru_cache(maxsize=8192)
def viterbi(text: str) -> tuple[State, ...]:
    """The best (position, tag) state per character, as jieba.posseg.viterbi computes it."""
    m = _model()
    all_states = list(m.trans)
    scores = {y: m.start[y] + m.emit[y].get(text[0], MIN_FLOAT) for y in m.char_states.get(text[0], all_states)}
    back: list[dict[State, State | None]] = [{y: None for y in scores}]
    for ch in text[1:]:
        prev = {x: v for x, v in scores.items() if m.trans[x]}
        expect = set().union(*[m.nexts[x] for x in prev])
        states = set(m.char_states.get(ch, all_states)) & expect
        if not states:
            states = expect or set(all_states)
        new_scores: dict[State, float] = {}
        step: dict[State, State | None] = {}
        for y in states:
            emit = m.emit[y].get(ch, MIN_FLOAT)
            preds = m.preds.get(y, {})
            best = max(((prev[x] + preds[x] + emit, x) for x in preds.keys() & prev.keys()), default=None)
            if best is None or best[0] == NEG_INF:      # no finite path: the full search decides the tie
                best = max((prev[x] + m.trans[x].get(y, NEG_INF) + emit, x) for x in prev)
            new_scores[y], step[y] = best
        scores = new_scores
        back.append(step)
    state = max((v, y) for y, v in scores.items())[1]
    route = [state]
    for step in reversed(back[1:]):
        state = step[state]                          # type: ignore[assignment]
        route.append(state)
    return tuple(route[::-1])


def _hmm_words(text: str) -> Iterator[tuple[str, str]]:
    route = viterbi(text)
    begin = after = 0
    for i, (position, tag) in enumerate(route):
        if position == "B":
            begin = i
        elif position == "E":
            yield text[begin:i + 1], tag
            after = i + 1
        elif position == "S":
            yield text[i], tag
            after = i + 1
    if after < len(text):
        yield text[after:], route[after][1]


def _detail(text: str) -> Iterator[tuple[str, str]]:
    for block in _HAN_DETAIL.split(text):
        if _HAN_DETAIL.match(block):
            yield from _hmm_words(block)
        else:
            for piece in _SKIP_DETAIL.split(block):
                if piece:
                    yield piece, "m" if _NUM.match(piece) else "eng" if _ENG.match(piece) else "x"


def _unknown_run(run: str, tags: Mapping[str, str], freq: Mapping[str, int]) -> Iterator[tuple[str, str]]:
    if len(run) == 1:
        yield run, tags.get(run, "x")
    elif not freq.get(run):
        yield from _detail(run)
    else:
        for ch in run:
            yield ch, tags.get(ch, "x")


def _block_words(block: str) -> Iterator[tuple[str, str]]:
    import jieba.posseg

    jieba = jieba_module()
    tags = jieba.posseg.dt.word_tag_tab
    dag = jieba.dt.get_DAG(block)
    route: dict[int, tuple[float, int]] = {}
    jieba.dt.calc(block, dag, route)
    x, run = 0, ""
    while x < len(block):
        y = route[x][1] + 1
        word = block[x:y]
        if y - x == 1:
            run += word
        else:
            if run:
                yield from _unknown_run(run, tags, jieba.dt.FREQ)
                run = ""
            yield word, tags.get(word, "x")
        x = y
    if run:
        yield from _unknown_run(run, tags, jieba.dt.FREQ)


def pos_words(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech tag) pairs of ``text``, the same as ``jieba.posseg.lcut(text)``."""
    out: list[tuple[str, str]] = []
    for block in _HAN_BLOCK.split(text):
        if not block:
            continue
        if _HAN_BLOCK.match(block):
            out.extend(_block_words(block))
            continue
        for piece in _SKIP.split(block):
            if _SKIP.match(piece):
                out.append((piece, "x"))
            else:
                out.extend((ch, "m" if _NUM.match(ch) else "eng" if _ENG.match(piece) else "x") for ch in piece)
    return out
