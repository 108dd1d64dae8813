"""The kit's SoVITS golden cases, on its tiny voice files loaded like real voices."""
from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import torch

from tts_engine.loader import load_sovits_file
from tts_engine.sovits.synthesizer import Synthesizer

MAX_REL_ERR = 1e-4
HALF_MAX_REL_ERR = 5e-2   # bfloat16 on CPU measures about 1.5e-2 on these files; float16 does better
TRACED = ("ge", "m_p", "logs_p", "z", "audio")


@pytest.fixture(scope="module", params=["v1", "v2"])
def case(request, kit_dir):
    version = request.param
    model = Synthesizer.from_checkpoint(load_sovits_file(kit_dir / "tiny" / f"sovits_tiny_{version}.pth"))
    golden = dict(np.load(kit_dir / "golden" / f"sovits_{version}.npz"))
    return model, golden


def _rel(ours: torch.Tensor, expected: np.ndarray) -> float:
    assert tuple(ours.shape) == expected.shape
    golden = torch.from_numpy(expected)
    return float((ours - golden).norm() / golden.norm())


def test_extract_latent_codes_are_exact(case):
    model, golden = case
    with torch.inference_mode():
        codes = model.extract_latent(torch.from_numpy(golden["ssl"]))
    assert codes.dtype == torch.int64
    assert torch.equal(codes, torch.from_numpy(golden["codes"]))


def test_decode_matches_at_every_speed(case):
    model, golden = case
    speeds = sorted({m.group(1) for k in golden if (m := re.fullmatch(r"audio_speed(.+)", k))})
    assert speeds, "the golden file has no decode case"
    errors = {}
    for speed in speeds:
        with torch.inference_mode():
            trace = model.decode_trace(torch.from_numpy(golden["semantic"]), torch.from_numpy(golden["phones"]),
                                       [torch.from_numpy(golden["refer_spec"])], speed=float(speed),
                                       noise_scale=0.0)
        for name in TRACED:
            errors[f"{name}@{speed}"] = _rel(getattr(trace, name), golden[f"{name}_speed{speed}"])
    assert max(errors.values()) <= MAX_REL_ERR, errors


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_on_cuda_tracks_float32(case, dtype):
    model, golden = case
    half = copy.deepcopy(model).to("cuda", dtype)
    with torch.inference_mode():
        trace = half.decode_trace(torch.from_numpy(golden["semantic"]).cuda(),
                                  torch.from_numpy(golden["phones"]).cuda(),
                                  [torch.from_numpy(golden["refer_spec"]).to("cuda", dtype)], noise_scale=0.0)
    assert trace.audio.dtype == dtype
    for name in TRACED:
        assert _rel(getattr(trace, name).float().cpu(), golden[f"{name}_speed1.0"]) < HALF_MAX_REL_ERR, name
