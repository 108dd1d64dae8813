"""Full-size v1/v2 synthesizers built from the manifests' configs carry exactly the official names and shapes."""
from __future__ import annotations

import json

import pytest
import torch

from tts_engine.loader import SOVITS_OPTIONAL_PREFIXES, load_weights
from tts_engine.sovits.config import SoVITSConfig
from tts_engine.sovits.synthesizer import Synthesizer


@pytest.fixture(scope="module", params=["v1", "v2"])
def manifest(request, kit_dir):
    manifest = json.loads((kit_dir / "manifests" / f"sovits_{request.param}.json").read_text())
    assert manifest["version"] == request.param
    return manifest


def _build(manifest) -> Synthesizer:
    shapes = {name: spec["shape"] for name, spec in manifest["params"].items()}
    config = SoVITSConfig.from_reference(manifest["config"], shapes)
    with torch.device("meta"):
        return Synthesizer(config)


def test_names_and_shapes_equal_the_manifest(manifest):
    optional = tuple(manifest.get("optional_prefixes", SOVITS_OPTIONAL_PREFIXES))
    expected = {name: (spec["shape"], spec["dtype"]) for name, spec in manifest["params"].items()
                if not name.startswith(optional)}
    ours = {name: (list(t.shape), str(t.dtype).removeprefix("torch."))
            for name, t in _build(manifest).state_dict().items()}
    assert sorted(set(expected) - set(ours)) == []   # nothing the reference has is missing
    assert sorted(set(ours) - set(expected)) == []   # nothing extra
    assert ours == expected


def test_official_state_dict_loads_with_no_missing_keys(manifest):
    model = _build(manifest)
    official = {name: torch.empty(spec["shape"], dtype=torch.float16, device="meta")
                for name, spec in manifest["params"].items()}          # enc_q.* included, as in base models
    load_weights(model, {k: v.float() for k, v in official.items()}, "official.pth",
                 optional_prefixes=SOVITS_OPTIONAL_PREFIXES)
    result = model.load_state_dict({k: v for k, v in official.items() if not k.startswith("enc_q.")},
                                   strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_full_size_sizes_follow_the_config(manifest):
    model = _build(manifest)
    reference = manifest["config"]["model"]
    assert (model.config.n_heads, model.config.n_layers) == (reference["n_heads"], reference["n_layers"])
    assert len(model.enc_p.encoder_text.attn_layers) == reference["n_layers"]
    half = reference["n_layers"] // 2
    assert len(model.enc_p.encoder_ssl.attn_layers) == len(model.enc_p.encoder2.attn_layers) == half
    hop = manifest["config"]["data"]["hop_length"]
    assert model.config.hop_length == hop and model.config.samples_per_token == 2 * hop
    bins = manifest["config"]["data"]["filter_length"] // 2 + 1
    assert model.config.style_in_channels == (bins if manifest["version"] == "v1" else 704)
