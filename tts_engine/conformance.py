"""`python -m tts_engine.conformance KIT_DIR`: prove numeric identity with the reference GPT-SoVITS.

Runs every golden case the kit holds (KIT_DIR/golden/*.npz) through the same loader and models
real voices use, prints one line per checked tensor with its relative error
||ours - golden|| / ||golden||, and ends with `N passed, M failed`. Integers must match
exactly, floats within REL_TOLERANCE. Exit status 0 only if everything passed.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

REL_TOLERANCE = 1e-4
SOVITS_DECODE_OUTPUTS = ("audio", "ge", "m_p", "logs_p", "z")   # golden keys `<name>_<tag>`
PRO_TIMBRE_OUTPUTS = ("ge_ref", "sv_proj", "ge512")            # v2Pro/v2ProPlus: the timbre's parts
DECODE_TAG = re.compile(r"^audio_(?P<tag>speed(?P<speed>[0-9.]+)|multiref)$")
MULTIREF_SUFFIX = "2"    # the second reference's golden keys: refer_spec2, sv_emb2
SV_STAGES = ("stem", "layer1", "layer2", "layer3", "layer4", "layer3_ds", "fuse34")


@dataclass(frozen=True)
class Check:
    """One compared tensor."""

    name: str
    passed: bool
    detail: str

    def line(self) -> str:
        """The printed report line."""
        return f"{'PASS' if self.passed else 'FAIL'}  {self.name:<32} {self.detail}"


def relative_error(ours: np.ndarray, golden: np.ndarray) -> float:
    """||ours - golden|| / ||golden|| in float64 (absolute norm when golden is all zeros)."""
    diff = np.linalg.norm(ours.astype(np.float64) - golden.astype(np.float64))
    scale = np.linalg.norm(golden.astype(np.float64))
    return float(diff / scale) if scale > 0 else float(diff)


def compare(name: str, ours: torch.Tensor | np.ndarray, golden: np.ndarray) -> Check:
    """Integers exactly, floats within REL_TOLERANCE; shapes must agree."""
    ours = ours.detach().cpu().numpy() if isinstance(ours, torch.Tensor) else np.asarray(ours)
    if ours.shape != golden.shape:
        return Check(name, False, f"shape {ours.shape}, expected {golden.shape}")
    if np.issubdtype(golden.dtype, np.integer):
        wrong = int(np.count_nonzero(ours != golden))
        return Check(name, wrong == 0, f"exact: {golden.size - wrong}/{golden.size} equal")
    err = relative_error(ours, golden)
    return Check(name, err <= REL_TOLERANCE, f"rel err {err:.3e}")


def check_spectrogram(kit: Path, golden: np.lib.npyio.NpzFile) -> Iterator[Check]:
    """wav32k -> linear spectrogram."""
    from tts_engine.spectrogram import linear_spectrogram

    wav = torch.from_numpy(golden["wav32k"]).float().reshape(1, -1)
    yield compare("spectrogram/spec", linear_spectrogram(wav), golden["spec"])


def check_sovits(kit: Path, golden: np.lib.npyio.NpzFile, version: str) -> Iterator[Check]:
    """SSL -> codes, then decode at every speed the file holds, with its intermediates."""
    from tts_engine.loader import load_sovits_file
    from tts_engine.sovits.synthesizer import Synthesizer

    model = Synthesizer.from_checkpoint(load_sovits_file(kit / "tiny" / f"sovits_tiny_{version}.pth"))
    case = f"sovits_{version}"
    with torch.inference_mode():
        if "ssl" in golden.files:
            yield compare(f"{case}/codes", model.extract_latent(torch.from_numpy(golden["ssl"])), golden["codes"])
        for key in sorted(golden.files):
            found = DECODE_TAG.match(key)
            if not found:
                continue
            tag, speed = found.group("tag"), found.group("speed")
            suffixes = ("", MULTIREF_SUFFIX) if speed is None else ("",)
            specs = [torch.from_numpy(golden[f"refer_spec{s}"]) for s in suffixes]
            svs = [torch.from_numpy(golden[f"sv_emb{s}"]) for s in suffixes] if model.needs_sv else None
            trace = model.decode_trace(torch.from_numpy(golden["semantic"]), torch.from_numpy(golden["phones"]),
                                       specs, speed=float(speed or 1.0), noise_scale=0.0, sv_vectors=svs)
            ours = {name: getattr(trace, name) for name in SOVITS_DECODE_OUTPUTS}
            if model.needs_sv:
                ours.update(_pro_timbre(trace.timbre, multi=speed is None))
            for output, value in ours.items():
                if f"{output}_{tag}" in golden.files:
                    yield compare(f"{case}/{output}_{tag}", value, golden[f"{output}_{tag}"])


def _pro_timbre(timbre, multi: bool) -> dict[str, torch.Tensor]:
    """The v2Pro timbre parts in the golden layout: stacked per reference when several were given."""
    refs, projs = torch.stack(timbre.ge_refs), torch.stack(timbre.sv_projs)
    return {"ge_ref": refs if multi else refs[0], "sv_proj": projs if multi else projs[0], "ge512": timbre.ge_text}


def check_sv(kit: Path, golden: np.lib.npyio.NpzFile) -> Iterator[Check]:
    """16 kHz wave -> Kaldi fbank -> ERes2NetV2 forward3, with every stage's time-averaged map."""
    from tts_engine.sv.encoder import SpeakerEncoder
    from tts_engine.sv.fbank import fbank

    encoder = SpeakerEncoder.load(kit / "tiny" / "sv_tiny.ckpt")
    feats = fbank(torch.from_numpy(golden["wav16k"])).unsqueeze(0)
    yield compare("sv/fbank", feats, golden["fbank"])
    stages = encoder.network.stages(feats)
    for name in SV_STAGES:
        if f"stage_{name}" in golden.files:
            yield compare(f"sv/stage_{name}", stages[name].flatten(1, 2).mean(dim=-1), golden[f"stage_{name}"])
    yield compare("sv/embedding", encoder.network.forward3(feats), golden["embedding"])


def check_gpt_greedy(kit: Path, golden: np.lib.npyio.NpzFile) -> Iterator[Check]:
    """Greedy decoding: every step's raw logits and the sampled tokens."""
    from tts_engine.gpt import GREEDY, DecodeTrace, Text2Semantic, generate
    from tts_engine.loader import load_gpt_file

    model = Text2Semantic.from_checkpoint(load_gpt_file(kit / "tiny" / "gpt_tiny_v2.ckpt"))
    expected_logits, expected_tokens = golden["step_logits"][0], golden["tokens"][0]
    trace = DecodeTrace()
    generate(model, [torch.from_numpy(golden["phones"][0])], [torch.from_numpy(golden["bert"][0])],
             torch.from_numpy(golden["prompt"][0]), GREEDY, seeds=[0],
             max_steps=max(len(expected_logits), len(expected_tokens)), trace=trace)
    steps = min(len(trace.step_logits), len(expected_logits))
    errors = [relative_error(trace.step_logits[i][0].numpy(), expected_logits[i]) for i in range(steps)]
    complete = steps == len(expected_logits)
    worst = max(errors, default=float("inf"))
    yield Check("gpt_greedy/step_logits", complete and worst <= REL_TOLERANCE,
                f"{steps}/{len(expected_logits)} steps, max rel err {worst:.3e}")
    samples = torch.stack([s[0] for s in trace.samples])[: len(expected_tokens)]
    yield compare("gpt_greedy/tokens", samples.unsqueeze(0), golden["tokens"])


CASES: dict[str, Callable[[Path, np.lib.npyio.NpzFile], Iterator[Check]]] = {
    "spectrogram": check_spectrogram,
    "sovits_v1": lambda kit, golden: check_sovits(kit, golden, "v1"),
    "sovits_v2": lambda kit, golden: check_sovits(kit, golden, "v2"),
    "sovits_v2Pro": lambda kit, golden: check_sovits(kit, golden, "v2Pro"),
    "sovits_v2ProPlus": lambda kit, golden: check_sovits(kit, golden, "v2ProPlus"),
    "sv": check_sv,
    "gpt_greedy": check_gpt_greedy,
}


def run_kit(kit: Path) -> list[Check]:
    """Every check of every golden file in the kit; a case that cannot run is one failed check."""
    checks: list[Check] = []
    for path in sorted((kit / "golden").glob("*.npz")):
        case = CASES.get(path.stem)
        if case is None:
            checks.append(Check(path.stem, False, "no checker for this golden file"))
            continue
        try:
            with np.load(path) as golden:
                checks.extend(case(kit, golden))
        except Exception as exc:  # noqa: BLE001 - any failure of a case is reported as that case failing
            checks.append(Check(path.stem, False, f"error: {type(exc).__name__}: {exc}"))
    return checks


def main(argv: list[str] | None = None) -> int:
    """CLI entry: print the checks and the summary; exit 0 iff all passed (2 for a missing kit)."""
    parser = argparse.ArgumentParser(prog="python -m tts_engine.conformance", description=__doc__.splitlines()[0])
    parser.add_argument("kit_dir", type=Path, help="the gsv-conformance folder")
    args = parser.parse_args(argv)
    if not (args.kit_dir / "golden").is_dir():
        print(f"error: {args.kit_dir}: not a conformance kit (no golden/ folder)", file=sys.stderr)
        return 2
    torch.set_grad_enabled(False)
    checks = run_kit(args.kit_dir)
    for check in checks:
        print(check.line())
    failed = sum(not c.passed for c in checks)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 0 if checks and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
