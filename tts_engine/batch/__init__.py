"""Batched synthesis for whole books: continuous-batching GPT, masked batched SoVITS, quality guards."""
from tts_engine.batch.engine import ENGINE_NAME, EngineOptions, GSVEngine, StageTimes
from tts_engine.batch.guards import GuardOptions
from tts_engine.batch.options import AudioOptions, ThroughputOptions
from tts_engine.batch.scheduler import SchedulerStats, SemanticRequest, SemanticScheduler
from tts_engine.batch.seeds import attempt_seed, seed_from_key
from tts_engine.batch.sovits_batch import BatchVocoder, VocodeItem

__all__ = ["ENGINE_NAME", "EngineOptions", "GSVEngine", "StageTimes", "GuardOptions", "SchedulerStats",
           "SemanticRequest", "SemanticScheduler", "attempt_seed", "seed_from_key", "BatchVocoder",
           "VocodeItem", "AudioOptions", "ThroughputOptions"]
