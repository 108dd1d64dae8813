"""Chinese words with parts of speech as ``jieba.posseg`` gives them (the reference's segmenter), decoded faster.

jieba.posseg cuts a block by its dictionary and hands runs of single characters that form no known word
to a hidden Markov model over (word position, part of speech) states. Its Viterbi decoder is pure Python
over dictionaries; this one runs the same sums on numpy arrays (same order of additions, so the same
floats) and breaks ties the same way (the larger state). Results are identical to ``jieba.posseg.lcut``;
the model and dictionary are jieba's own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Mapping

import numpy as np

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
    states: tuple[State, ...]                       # sorted: index order is the tie-break order
    index: Mapping[State, int]
    char_states: Mapping[str, np.ndarray]           # character -> indices of the states that may emit it
    start: np.ndarray
    trans: np.ndarray                               # [from, to], -inf where no transition
    can_move: np.ndarray                            # bool per state: has any transition
    moves: np.ndarray                               # [from, to] bool: a transition exists
    emit: Mapping[State, Mapping[str, float]]


@lru_cache(maxsize=1)
def _model() -> _Model:
    from jieba.posseg.char_state_tab import P as char_states
    from jieba.posseg.prob_emit import P as emit
    from jieba.posseg.prob_start import P as start
    from jieba.posseg.prob_trans import P as trans

    states = tuple(sorted(trans))
    index = {s: i for i, s in enumerate(states)}
    matrix = np.full((len(states), len(states)), NEG_INF)
    for a, nexts in trans.items():
        for b, score in nexts.items():
            matrix[index[a], index[b]] = score
    allowed = {ch: np.array(sorted(index[s] for s in group)) for ch, group in char_states.items()}
    moves = np.isfinite(matrix)
    return _Model(states, index, allowed, np.array([start.get(s, NEG_INF) for s in states]), matrix,
                  moves.any(axis=1), moves, emit)


@lru_cache(maxsize=8192)
def _allowed_mask(ch: str) -> np.ndarray:
    """Bool per state: may emit ``ch`` (every state for a character the model has never seen)."""
    m = _model()
    mask = np.zeros(len(m.states), bool)
    mask[m.char_states[ch] if ch in m.char_states else slice(None)] = True
    return mask


@lru_cache(maxsize=8192)
def _emission_row(ch: str) -> np.ndarray:
    m = _model()
    return np.array([m.emit[s].get(ch, MIN_FLOAT) for s in m.states])


def _emissions(m: _Model, ch: str, idx: np.ndarray) -> np.ndarray:
    return _emission_row(ch)[idx]


@lru_cache(maxsize=8192)
def viterbi(text: str) -> tuple[State, ...]:
    """The best (position, tag) state per character, as jieba.posseg.viterbi computes it (ties: larger state)."""
    m = _model()
    every = np.arange(len(m.states))
    idx = m.char_states.get(text[0], every)
    scores = m.start[idx] + _emissions(m, text[0], idx)
    layers: list[np.ndarray] = [idx]
    back: list[np.ndarray] = []
    for ch in text[1:]:
        keep = m.can_move[idx]
        prev, prev_scores = idx[keep], scores[keep]
        expect = m.moves[prev].any(axis=0)
        nxt = np.flatnonzero(_allowed_mask(ch) & expect)
        if not len(nxt):
            nxt = np.flatnonzero(expect) if expect.any() else every
        total = (prev_scores[:, None] + m.trans[np.ix_(prev, nxt)]) + _emissions(m, ch, nxt)[None, :]
        last = len(prev) - 1 - np.argmax(total[::-1], axis=0)      # the last maximum: the larger state
        scores = total[last, np.arange(len(nxt))]
        back.append(prev[last])
        idx = nxt
        layers.append(idx)
    best = len(idx) - 1 - int(np.argmax(scores[::-1]))
    state = int(idx[best])
    route = [state]
    for layer, pointers in zip(reversed(layers[1:]), reversed(back)):
        state = int(pointers[int(np.flatnonzero(layer == state)[0])])
        route.append(state)
    return tuple(m.states[i] for i in reversed(route))


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
