"""Engine registry: the name in ``[voice] engine`` -> a factory building an ``Engine`` from files and settings."""
from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from flows.store.fsio import remembered_sha256
from flows.config.project import DRAFT_ENGINE, GSV_ENGINE, SpeedConfig, VoiceConfig
from tts_engine.engine import Engine
from tts_engine.errors import EngineError, VoiceFileError

# (voice files, [voice.settings] — what the audio depends on, speed knobs — device, rows, chunking) -> engine
EngineFactory = Callable[[Sequence[Path], Mapping[str, Any], Mapping[str, Any]], Engine]

# Built-in engines by short name; any other name is read as "package.module:attribute".
BUILTIN_ENGINES = {
    DRAFT_ENGINE: "tts_engine.draft:DraftEngine.from_project",
    GSV_ENGINE: "flows.engines.gsv:GSVVoiceEngine.from_project",
}


def resolve_factory(name: str) -> EngineFactory:
    """Import the factory named by a built-in short name or a ``module:attr.path`` reference."""
    target = BUILTIN_ENGINES.get(name, name)
    module_name, _, attr_path = target.partition(":")
    if not module_name or not attr_path:
        raise EngineError(f"unknown engine {name!r}: use one of {', '.join(BUILTIN_ENGINES)} or 'module:factory'")
    try:
        obj: Any = importlib.import_module(module_name)
        for attr in attr_path.split("."):
            obj = getattr(obj, attr)
    except (ImportError, AttributeError) as exc:
        raise EngineError(f"engine {name!r} is not available: {exc}") from exc
    return obj


def load_engine(voice: VoiceConfig, speed: SpeedConfig = SpeedConfig()) -> Engine:
    """Build the project's engine; missing voice files raise ``VoiceFileError`` before anything renders."""
    for path in voice.files:
        if not path.is_file():
            raise VoiceFileError(path, "voice file not found")
    engine = resolve_factory(voice.engine)(voice.files, voice.settings, speed.engine_knobs())
    if not isinstance(engine, Engine):
        raise EngineError(f"engine {voice.engine!r} does not implement the Engine interface")
    return engine


def engine_fingerprint(engine: Engine, voice: VoiceConfig) -> str:
    """Cache-key part for the voice: the engine's own fingerprint plus the hashes of the voice files.

    ``[voice.settings]`` holds only what decides the audio; speed knobs (``[render]``) never enter.
    """
    files = [remembered_sha256(path) for path in voice.files]
    blob = json.dumps({"engine": engine.fingerprint(), "files": files, "settings": voice.settings_json})
    return hashlib.sha256(blob.encode()).hexdigest()
