"""`python -m tts_engine.bench`: throughput of the batched engine with full-size v2 models and random weights.

Random weights never say EOS, so every sentence is forced to a token count drawn from a
realistic length distribution (or fixed by a preset); everything else is the engine's real path:
batched BERT, continuous-batching GPT, masked batched SoVITS. Prints audio seconds per wall
second ("x real time") per stage and per batch size, with device, dtypes, load and peak memory;
the last line is the overall figure of the best batch size.

    python -m tts_engine.bench --preset ref2core       # 40 phones, 100 tokens (4 s), 150-token prompt, top-k 15
    python -m tts_engine.bench --preset gpu            # book-like lengths, 32-512 GPT rows, fp16 on CUDA
    python -m tts_engine.bench --preset ci             # tiny N, for CI
    python -m tts_engine.bench --sentences 64 --batch 1,8,32 --device cuda --sync-every 8 --no-graphs

Per batch size it also prints GPT tokens per second, the mean decode-step time, how busy each stage
thread was (fraction of the run's wall time) and peak memory; presets with goals print them last.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from tts_engine.batch import EngineOptions, GSVEngine, GuardOptions
from tts_engine.engine import SentenceJob, TextSegment
from tts_engine.features import BertFeatures
from tts_engine.gpt import GPTConfig, SamplingOptions, Text2Semantic
from tts_engine.gpt.config import BERT_DIM
from tts_engine.gpt.decode import prefill_mask
from tts_engine.precision import FP32, Precision, default_precision
from tts_engine.reference import VoicePrompt
from tts_engine.sovits.config import SoVITSConfig
from tts_engine.sovits.synthesizer import Synthesizer
from tts_engine.sovits.weight_norm import fold_weight_norm
from tts_engine.spectrogram import SAMPLE_RATE
from tts_engine.voice import Voice

TOKENS_PER_SECOND = 25
TOKENS_PER_PHONE = 2.5           # speech: about 10 phones per second
PHONES_PER_CHAR = 2              # a Chinese syllable: initial + final
SPEC_BINS = 1025
SPEC_FRAMES_PER_TOKEN = 2
# Full-size v2 sizes, used when no conformance kit manifests are at hand.
GPT_V2 = {"model": {"vocab_size": 1025, "phoneme_vocab_size": 732, "embedding_dim": 512, "hidden_dim": 512,
                    "head": 16, "n_layer": 24, "EOS": 1024}, "data": {"max_sec": 54}}
SOVITS_V2 = SoVITSConfig(n_symbols=732, ssl_channels=768, semantic_stride=2, codebook_size=1024, inter_channels=192,
                         hidden_channels=192, filter_channels=768, n_heads=2, n_layers=6, kernel_size=3,
                         window_size=4, gin_channels=512, mrte_channels=512, style_in_channels=704,
                         style_hidden=128, style_kernel=5, n_flows=4, flow_kernel=5, flow_layers=4,
                         upsample_rates=(10, 8, 2, 2, 2), upsample_kernel_sizes=(16, 16, 8, 2, 2),
                         upsample_initial_channel=512, resblock_kernel_sizes=(3, 7, 11),
                         resblock_dilation_sizes=((1, 3, 5),) * 3)
BERT_LARGE = {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096,
              "vocab_size": 21128, "max_position_embeddings": 512, "type_vocab_size": 2}
BENCH_CHARS = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理"
BENCH_PHONE_IDS = (30, 300)      # random phone ids come from this range (valid in v1 and v2 tables)


@dataclass(frozen=True)
class Workload:
    """What to synthesise: sentence count, phones and tokens per sentence, the prompt and sampling."""

    sentences: int
    phones: tuple[int, int]          # (median, spread): a fixed count when spread is 0
    prompt_tokens: int
    prompt_phones: int
    top_k: int
    batches: tuple[int, ...]
    goal_best: float | None = None   # x real time asked of the best batch size
    goal_one: float | None = None    # x real time asked of batch 1


PRESETS = {
    # the reference's measured case: 0.70x one by one, 1.14x at batch 4, 0.99x at batch 16 on 2 cores
    "ref2core": Workload(sentences=16, phones=(40, 0), prompt_tokens=150, prompt_phones=50, top_k=15,
                         batches=(1, 4, 16), goal_best=3.2, goal_one=1.2),
    # a book's sentence lengths on one big accelerator (issue 15's goal: >= 1,000x real time on an H100/H200)
    "gpu": Workload(sentences=1536, phones=(36, 1), prompt_tokens=150, prompt_phones=50, top_k=15,
                    batches=(32, 64, 128, 256, 512), goal_best=1000.0),
    "book": Workload(sentences=48, phones=(36, 1), prompt_tokens=150, prompt_phones=50, top_k=15, batches=(16,)),
    "ci": Workload(sentences=3, phones=(12, 0), prompt_tokens=20, prompt_phones=10, top_k=15, batches=(1, 3)),
}


def sentence_lengths(workload: Workload, rng: np.random.Generator) -> list[tuple[int, int]]:
    """(phones, tokens) per sentence: fixed, or log-normal phones (8-150) with +-15 % speaking-rate noise."""
    median, spread = workload.phones
    out = []
    for _ in range(workload.sentences):
        if spread == 0:
            phones = median
            tokens = round(phones * TOKENS_PER_PHONE)
        else:
            phones = int(np.clip(round(median * math.exp(0.6 * rng.standard_normal())), 8, 150))
            tokens = max(11, round(phones * TOKENS_PER_PHONE * rng.uniform(0.85, 1.15)))
        out.append((phones, tokens))
    return out


def build_voice(kit: Path | None, device: torch.device, precision: Precision, with_bert: bool,
                workdir: Path) -> Voice:
    """Full-size v2 GPT, SoVITS (and BERT) with random weights (seeded: same weights every call), as a Voice."""
    gpt_config, sovits_config = GPT_V2, SOVITS_V2
    if kit is not None and (kit / "manifests" / "gpt_v2.json").is_file():
        gpt_config = json.loads((kit / "manifests" / "gpt_v2.json").read_text())["config"]
        manifest = json.loads((kit / "manifests" / "sovits_v2.json").read_text())
        shapes = {name: spec["shape"] for name, spec in manifest["params"].items()}
        sovits_config = SoVITSConfig.from_reference(manifest["config"], shapes)
    torch.manual_seed(0)
    with torch.device(device):
        gpt = Text2Semantic(GPTConfig.from_reference(gpt_config))
        synthesizer = Synthesizer(sovits_config)
    fold_weight_norm(synthesizer)
    gpt = gpt.to(dtype=precision.gpt).eval()
    synthesizer = precision.cast_synthesizer(synthesizer).eval()
    bert = random_bert(device, precision.gpt, workdir) if with_bert else _NoBert()
    return Voice(gpt, synthesizer, None, bert, "v2", device, precision.gpt)


class _NoBert:
    """Stands in for BERT when its stage is skipped: the bench's sentences are then marked non-Chinese."""

    hidden_size = BERT_DIM   # only zero features are made


def random_bert(device: torch.device, dtype: torch.dtype, workdir: Path) -> BertFeatures:
    """chinese-roberta-wwm-ext-large sized BERT with random weights and a character vocabulary."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    vocab = workdir / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *BENCH_CHARS]) + "\n", encoding="utf-8")
    model = BertForMaskedLM(BertConfig(**BERT_LARGE)).to(device=device, dtype=dtype).eval()
    return BertFeatures(model, BertTokenizerFast(vocab=str(vocab)))


def make_prompt(workload: Workload, voice: Voice, rng: torch.Generator) -> VoicePrompt:
    """A random prompt of the workload's size (semantic tokens, spectrogram, transcript phones and BERT)."""
    dim = voice.gpt.cfg.bert_dim
    return VoicePrompt(
        semantic=torch.randint(0, voice.gpt.cfg.eos, (workload.prompt_tokens,), generator=rng),
        refer_spec=torch.rand(1, SPEC_BINS, workload.prompt_tokens * SPEC_FRAMES_PER_TOKEN, generator=rng),
        phone_ids=torch.randint(*BENCH_PHONE_IDS, (workload.prompt_phones,), generator=rng),
        bert=torch.randn(dim, workload.prompt_phones, generator=rng) * 0.1)


def make_jobs(lengths: list[tuple[int, int]], rng: np.random.Generator, lang: str = "zh") -> list[SentenceJob]:
    """Chinese sentences of the given phone counts (2 phones per character); another `lang` gets no BERT."""
    jobs = []
    for i, (phones, _tokens) in enumerate(lengths):
        chars = "".join(rng.choice(list(BENCH_CHARS), phones // PHONES_PER_CHAR))
        word2ph = [PHONES_PER_CHAR] * len(chars)
        word2ph[-1] += phones - sum(word2ph)
        ids = tuple(int(x) for x in rng.integers(*BENCH_PHONE_IDS, phones))
        jobs.append(SentenceJob(key=f"bench{i}", text=chars, lang="zh", seed=i, phone_ids=ids,
                                segments=(TextSegment(lang, chars, phones, tuple(word2ph)),)))
    return jobs


def peak_memory_mb(device: torch.device) -> float:
    """Peak accelerator memory, or the process's peak resident memory on the CPU (MB)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@torch.inference_mode()
def precision_check(voice: Voice, reference: Voice, prompt: VoicePrompt, job: SentenceJob, tokens: int) -> str:
    """How far the reduced-precision models drift from float32 ones with the same weights, on one sentence."""
    phones = torch.cat([prompt.phone_ids, torch.tensor(job.phone_ids)])
    bert = torch.cat([prompt.bert, torch.zeros(prompt.bert.shape[0], len(job.phone_ids))], dim=1)
    logits = []
    n, P = phones.numel(), prompt.semantic.numel()
    for v in (voice, reference):
        dtype = v.gpt.ar_predict_layer.weight.dtype
        text = v.gpt.embed_text(phones.view(1, n).to(v.device), bert.view(1, -1, n).to(v.device, dtype))
        audio = v.gpt.embed_audio(prompt.semantic.view(1, P).to(v.device), torch.arange(P, device=v.device))
        x = torch.cat([text, audio], dim=1)
        cache = v.gpt.new_cache(1, n + P, torch.float32)
        mask = prefill_mask(torch.tensor([n]), torch.tensor([n + P]), n + P).to(v.device)
        hidden = v.gpt.step(x, cache.k, cache.v, torch.zeros(1, dtype=torch.long, device=v.device), mask)
        logits.append(v.gpt.logits(hidden[:, -1]).float().cpu())
    ours, ref = logits
    gpt_err = float((ours - ref).norm() / ref.norm())
    top = len(set(ours.topk(15).indices[0].tolist()) & set(ref.topk(15).indices[0].tolist()))
    z = torch.randn(1, reference.synthesizer.config.inter_channels, 2 * tokens,
                    generator=torch.Generator().manual_seed(2))
    ge = torch.randn(1, reference.synthesizer.config.gin_channels, 1, generator=torch.Generator().manual_seed(3))
    waves = [v.synthesizer.vocode(z.to(v.device), ge.to(v.device)).float().cpu() for v in (voice, reference)]
    snr = 10 * math.log10(float(waves[1].pow(2).sum() / (waves[0] - waves[1]).pow(2).sum().clamp_min(1e-30)))
    return (f"precision vs float32 (same weights): GPT logits rel err {gpt_err:.2e}, top-15 overlap {top}/15; "
            f"generator SNR {snr:.1f} dB")


def run(workload: Workload, device: torch.device, precision: Precision, kit: Path | None, with_bert: bool,
        compare: bool = True, out=sys.stdout, speed: dict | None = None) -> float:
    """Run the sweep and print the figures; return the best overall x real time."""
    def say(line: str) -> None:
        print(line, file=out, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        voice = build_voice(kit, device, precision, with_bert, Path(tmp))
        rng = np.random.default_rng(0)
        lengths = sentence_lengths(workload, rng)
        jobs = make_jobs(lengths, rng, "zh" if with_bert else "en")
        prompt = make_prompt(workload, voice, torch.Generator().manual_seed(0))
        forced = [tokens for _, tokens in lengths]
        audio_s = sum(forced) / TOKENS_PER_SECOND
        say(f"device {device} ({os.cpu_count()} cores), {precision}, BERT {'on' if with_bert else 'off'}; "
            f"models built in {time.perf_counter() - t0:.1f} s")
        say(f"workload: {len(jobs)} sentences, {sum(p for p, _ in lengths)} phones, {sum(forced)} tokens "
            f"= {audio_s:.1f} s of audio; prompt {workload.prompt_tokens} tokens + {workload.prompt_phones} "
            f"phones; top-k {workload.top_k}")
        base = EngineOptions(sampling=SamplingOptions(top_k=workload.top_k), guards=GuardOptions(max_retries=0),
                             chunk=max(len(jobs), 1), **(speed or {}))
        warm = GSVEngine(voice, prompt, replace(base, gpt_rows=2))
        warm.render(jobs[:2], forced[:2])                      # one-time kernel/primitive set-up
        best, figures = (0.0, 0), {}
        for batch in workload.batches:
            engine = GSVEngine(voice, prompt, replace(base, gpt_rows=batch))
            if device.type == "cuda":
                torch.cuda.synchronize(device)
                torch.cuda.reset_peak_memory_stats(device)
            start = time.perf_counter()
            engine.render(jobs, forced)
            wall = time.perf_counter() - start
            t = engine.times
            stage = " ".join(f"{name} {t_s:.2f}s ({audio_s / t_s:.2f}x)" for name, t_s in
                             (("BERT", t.bert), ("GPT", t.gpt), ("SoVITS", t.sovits)) if t_s > 0)
            overall = audio_s / wall
            steps, tokens = t.extra.get("gpt_decode_steps", 0), t.extra.get("gpt_tokens", 0)
            say(f"batch {batch:>3}: {stage} | total {wall:.2f}s = {overall:.2f}x real time | "
                f"GPT row occupancy {t.extra.get('gpt_occupancy', 1.0):.2f} | "
                f"load {os.getloadavg()[0]:.2f} | peak mem {peak_memory_mb(device):.0f} MB")
            say(f"           GPT {tokens / max(t.gpt, 1e-9):.0f} tokens/s, {int(t.extra.get('gpt_streams', 1))} "
                f"stream(s), {steps} steps of {1e3 * t.gpt / max(steps, 1):.2f} ms | busy: GPT {t.gpt / wall:.0%}, "
                f"SoVITS {t.sovits / wall:.0%} (summed over workers)")
            best = max(best, (overall, batch))
            figures[batch] = overall
        if compare and precision != FP32:
            say(precision_check(voice, build_voice(kit, device, FP32, False, Path(tmp)), prompt, jobs[0],
                                forced[0]))
        for line in goal_lines(workload, figures):
            say(line)
        say(f"overall: {best[0]:.2f}x real time (batch {best[1]}, {device}, {precision}, "
            f"load {os.getloadavg()[0]:.2f})")
        return best[0]


def goal_lines(workload: Workload, figures: dict[int, float]) -> list[str]:
    """'goal ...: met/NOT met' lines for the preset's goals that the sweep measured."""
    lines = []
    if workload.goal_best is not None and figures:
        best = max(figures.values())
        lines.append(f"goal best batch >= {workload.goal_best:g}x real time: {best:.2f}x "
                     f"{'met' if best >= workload.goal_best else 'NOT met'}")
    if workload.goal_one is not None and 1 in figures:
        lines.append(f"goal batch 1 >= {workload.goal_one:g}x real time: {figures[1]:.2f}x "
                     f"{'met' if figures[1] >= workload.goal_one else 'NOT met'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m tts_engine.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="ref2core")
    parser.add_argument("--sentences", type=int, help="override the preset's sentence count")
    parser.add_argument("--batch", help="comma-separated batch sizes (GPT rows) to sweep")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--gpt-dtype", choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--vocoder-dtype", choices=["float32", "bfloat16", "float16"],
                        help="dtype of the SoVITS generator (the rest of SoVITS stays float32 on CPU)")
    parser.add_argument("--no-compare", action="store_true", help="skip the reduced-precision check")
    parser.add_argument("--kit", type=Path, help="conformance kit folder (its v2 manifests give the sizes)")
    parser.add_argument("--no-bert", action="store_true", help="skip the BERT stage")
    parser.add_argument("--sync-every", type=int, default=0, help="GPT steps between host looks (0: automatic)")
    parser.add_argument("--no-graphs", action="store_true", help="run the GPT step eagerly on CUDA")
    parser.add_argument("--workers", type=int, default=0, help="SoVITS worker threads (0: automatic)")
    parser.add_argument("--gpt-streams", type=int, default=0, help="GPT decode threads (0: automatic)")
    args = parser.parse_args(argv)
    workload = PRESETS[args.preset]
    if args.sentences:
        workload = replace(workload, sentences=args.sentences)
    if args.batch:
        workload = replace(workload, batches=tuple(int(b) for b in args.batch.split(",")))
    device = torch.device(args.device)
    precision = default_precision(device)
    if args.gpt_dtype:
        precision = replace(precision, gpt=getattr(torch, args.gpt_dtype))
    if args.vocoder_dtype:
        precision = replace(precision, vocoder=getattr(torch, args.vocoder_dtype))
    speed = {"sync_every": args.sync_every, "cuda_graphs": not args.no_graphs, "sovits_workers": args.workers,
             "gpt_streams": args.gpt_streams}
    run(workload, device, precision, args.kit, not args.no_bert, compare=not args.no_compare, speed=speed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
