"""Text2Semantic structure: official names/shapes at full size, loading rules, config, dtype."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from tts_engine.errors import VoiceFileError
from tts_engine.gpt import DecodeTrace, GPTConfig, Text2Semantic, generate
from tts_engine.gpt.model import sinusoid_table
from tts_engine.gpt.sampling import GREEDY
from tts_engine.loader import load_gpt_file


def _manifest(kit_dir, version: str) -> dict:
    return json.loads((kit_dir / "manifests" / f"gpt_{version}.json").read_text())


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_full_size_names_and_shapes_equal_the_manifest(kit_dir, version):
    manifest = _manifest(kit_dir, version)
    cfg = GPTConfig.from_reference(manifest["config"])
    with torch.device("meta"):
        model = Text2Semantic(cfg)
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert ours == {k: v["shape"] for k, v in manifest["params"].items()}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_official_layout_state_dict_loads_without_missing_keys(kit_dir, version):
    manifest = _manifest(kit_dir, version)
    official = {f"model.{k}": torch.empty(v["shape"], device="meta") for k, v in manifest["params"].items()}
    model = Text2Semantic.from_state_dict(GPTConfig.from_reference(manifest["config"]), official,
                                          device="meta")
    assert model.cfg.n_layer == manifest["config"]["model"]["n_layer"]


def test_missing_and_unexpected_weights_are_named(kit_dir):
    manifest = _manifest(kit_dir, "v2")
    weights = {k: torch.empty(v["shape"], device="meta") for k, v in manifest["params"].items()}
    del weights["h.layers.3.linear1.bias"]
    weights["h.layers.99.extra"] = torch.empty(1, device="meta")
    with pytest.raises(VoiceFileError, match=r"missing.*h\.layers\.3\.linear1\.bias.*unexpected.*layers\.99"):
        Text2Semantic.from_state_dict(GPTConfig.from_reference(manifest["config"]), weights,
                                      "voice.ckpt", device="meta")


def test_sizes_come_from_the_checkpoint_config(kit_dir):
    ckpt = load_gpt_file(kit_dir / "tiny" / "gpt_tiny_v2.ckpt")
    model = Text2Semantic.from_checkpoint(ckpt)
    m = ckpt.config["model"]
    assert (model.cfg.hidden_dim, model.cfg.n_head, model.cfg.n_layer) == (m["hidden_dim"], m["head"], m["n_layer"])
    assert model.cfg.ffn_dim == 4 * m["hidden_dim"]       # linear_units is ignored, as in the reference


def test_config_rejects_inconsistent_sizes(kit_dir):
    config = _manifest(kit_dir, "v2")["config"]
    bad_heads = {**config, "model": {**config["model"], "head": 7}}
    with pytest.raises(ValueError, match="not divisible"):
        GPTConfig.from_reference(bad_heads)
    with pytest.raises(ValueError, match="model"):
        GPTConfig.from_reference({"data": {}})


def test_positional_table_follows_the_reference_formula():
    table = sinusoid_table(2000, 8)
    p, i = 1777, 3
    angle = np.float32(p) * np.float32(math.exp(2 * i * -(math.log(10000.0) / 8)))
    assert table[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
    assert table[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)


def test_bfloat16_model_tracks_float32_loosely(kit_dir):
    ckpt = load_gpt_file(kit_dir / "tiny" / "gpt_tiny_v2.ckpt")
    golden = np.load(kit_dir / "golden" / "gpt_greedy.npz")
    inputs = ([torch.from_numpy(golden["phones"][0])], [torch.from_numpy(golden["bert"][0])],
              torch.from_numpy(golden["prompt"][0]))
    first_logits = {}
    for dtype in (torch.float32, torch.bfloat16):
        model = Text2Semantic.from_checkpoint(ckpt, dtype=dtype)
        assert model.ar_text_position.pe.dtype == dtype
        trace = DecodeTrace()
        out = generate(model, *inputs, GREEDY, seeds=[0], max_steps=12, trace=trace)
        assert len(out[0].tokens) == 11
        first_logits[dtype] = trace.step_logits[0]
    ref, half = first_logits[torch.float32], first_logits[torch.bfloat16]
    assert torch.linalg.norm(half - ref) / torch.linalg.norm(ref) < 0.05
