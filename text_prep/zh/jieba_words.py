"""jieba, the Chinese word segmenter, imported and initialised in one place on first use."""
from __future__ import annotations

import logging
from functools import lru_cache
from types import ModuleType


@lru_cache(maxsize=1)
def jieba_module() -> ModuleType:
    """jieba with its dictionary loaded and its own chatty logger quieted (once)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba
