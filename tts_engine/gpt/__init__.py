"""The text-to-semantic GPT: config, model with a preallocated KV cache, sampling, decoding loop."""
from tts_engine.gpt.config import GPTConfig
from tts_engine.gpt.decode import DecodeTrace, Generated, generate
from tts_engine.gpt.model import KVCache, Text2Semantic
from tts_engine.gpt.sampling import GREEDY, SamplingOptions

__all__ = ["GPTConfig", "Text2Semantic", "KVCache", "SamplingOptions", "GREEDY",
           "generate", "Generated", "DecodeTrace"]
