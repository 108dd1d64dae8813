"""Tiny random-weight GPT-SoVITS voices built by the tests themselves (no ../shared needed).

Voice files are written in the official on-disk layout (a torch pickle of ``weight`` fp16 tensors,
``config`` and ``info``) and read back through the engine's own loader; the base-model folders are
random HubertModel / BertForMaskedLM saved with ``save_pretrained``, the BERT with a character
vocabulary built from the text it will read. Sizes are small but keep every width the engine ties
together: the BERT is 1024 wide (the GPT's bert_proj input), the SoVITS upsampling makes 640
samples per frame (32 kHz audio). v2Pro voices get the exporter's ``05``/``06`` marker and a tiny
ERes2NetV2 speaker-verification model whose vector width their ``sv_emb`` projection reads.
"""
from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from tts_engine.gpt import GPTConfig, Text2Semantic
from tts_engine.gpt.config import BERT_DIM
from tts_engine.sovits.config import SoVITSConfig
from tts_engine.sovits.synthesizer import Synthesizer
from tts_engine.sv.eres2netv2 import ERes2NetV2, ERes2NetV2Config, StageConfig

GPT_CONFIG = {"model": {"vocab_size": 1025, "phoneme_vocab_size": 732, "embedding_dim": 32, "hidden_dim": 32,
                        "head": 2, "n_layer": 1, "EOS": 1024}, "data": {"max_sec": 54}}
SOVITS = SoVITSConfig(
    n_symbols=732, ssl_channels=32, semantic_stride=2, codebook_size=1024, inter_channels=8, hidden_channels=16,
    filter_channels=32, n_heads=2, n_layers=2, kernel_size=3, window_size=4, gin_channels=16, mrte_channels=16,
    style_in_channels=64, style_hidden=16, style_kernel=5, n_flows=2, flow_kernel=5, flow_layers=2,
    upsample_rates=(10, 8, 8), upsample_kernel_sizes=(20, 16, 16), upsample_initial_channel=32,
    resblock_kernel_sizes=(3,), resblock_dilation_sizes=((1, 3),))
PRO_MARKERS = {"v2Pro": b"05", "v2ProPlus": b"06"}   # the exporter's first two bytes instead of "PK"


def sv_config(m: int = 4, width: int = 2, scale: int = 2, expansion: int = 2, blocks=(1, 1, 1, 1),
              embedding: int = 16) -> ERes2NetV2Config:
    """A tiny ERes2NetV2 (other base width, scale, expansion and stem than the kit's)."""
    stages = tuple(StageConfig(blocks=b, width=width * 2 ** i, scale=scale, out_channels=m * 2 ** i * expansion,
                               aff_hidden=max(1, (width * 2 ** i) // 4) if i >= 2 else 0)
                   for i, b in enumerate(blocks))
    return ERes2NetV2Config(feat_dim=80, m_channels=m, stages=stages, fuse_hidden=stages[-1].out_channels // 4,
                            embedding_size=embedding)


SV = sv_config()
SOVITS_PRO = dataclasses.replace(SOVITS, sv_channels=SV.sv_dim)
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
BASE_CHARACTERS = ",.!?…-" + "零一二三四五六七八九十百千万亿点年月日号" + "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class TinyVoice:
    """Where a built voice's files are."""

    gpt: Path
    sovits: Path
    hubert_dir: Path
    bert_dir: Path
    reference: Path
    reference_text: str = "今天天气很好，我们出去走走。"
    sv: Path | None = None                 # v2Pro voices: the SV model
    other_reference: Path | None = None    # a clip of another timbre


TINY_SOVITS_DATA = {"sampling_rate": 32000, "filter_length": 2048, "hop_length": 640}


def sovits_reference_config(c: SoVITSConfig, data: dict | None = None) -> dict:
    """The config dict the reference pickles in a SoVITS file for these sizes (``data``: its data section)."""
    model = {"inter_channels": c.inter_channels, "hidden_channels": c.hidden_channels,
             "filter_channels": c.filter_channels, "n_heads": c.n_heads, "n_layers": c.n_layers,
             "kernel_size": c.kernel_size, "p_dropout": 0.1, "resblock": "1",
             "resblock_kernel_sizes": list(c.resblock_kernel_sizes),
             "resblock_dilation_sizes": [list(d) for d in c.resblock_dilation_sizes],
             "upsample_rates": list(c.upsample_rates), "upsample_kernel_sizes": list(c.upsample_kernel_sizes),
             "upsample_initial_channel": c.upsample_initial_channel, "gin_channels": c.gin_channels,
             "semantic_frame_rate": "25hz", "n_layers_q": 1, "freeze_quantizer": True, "version": "v2"}
    return {"train": {"seed": 1234}, "data": dict(TINY_SOVITS_DATA if data is None else data), "model": model}


def write_gpt(path: Path, config: dict = GPT_CONFIG, seed: int = 0) -> Path:
    """A random GPT in the official ``.ckpt`` layout (``model.``-prefixed fp16 weights)."""
    torch.manual_seed(seed)
    model = Text2Semantic(GPTConfig.from_reference(config))
    weights = {f"model.{k}": v.half() for k, v in model.state_dict().items()}
    torch.save({"weight": weights, "config": config, "info": "tiny random GPT"}, path)
    return path


def write_sovits(path: Path, config: SoVITSConfig = SOVITS, seed: int = 0) -> Path:
    """A random SoVITS synthesizer in the official ``.pth`` layout (fp16 weights, weight norm unfolded)."""
    torch.manual_seed(seed)
    model = Synthesizer(config)
    weights = {k: v.half() for k, v in model.state_dict().items()}
    torch.save({"weight": weights, "config": sovits_reference_config(config), "info": "tiny random SoVITS"}, path)
    return path


def write_sovits_pro(path: Path, config: SoVITSConfig = SOVITS_PRO, version: str = "v2Pro", seed: int = 0) -> Path:
    """A random v2Pro/v2ProPlus SoVITS as the trainer exports it: plain-dict fp16 weights, marker in place of PK."""
    torch.manual_seed(seed)
    model = Synthesizer(config)
    weights = {k: v.half() for k, v in model.state_dict().items()}
    reference = sovits_reference_config(config)
    reference["model"]["version"] = version
    buffer = io.BytesIO()
    torch.save({"weight": weights, "config": {**reference, "version": version}, "info": "tiny random Pro"}, buffer)
    path.write_bytes(PRO_MARKERS[version] + buffer.getvalue()[2:])
    return path


def write_sv(path: Path, config: ERes2NetV2Config = SV, seed: int = 0) -> Path:
    """A random SV checkpoint in the reference format (torch.save of the plain state dict), BatchNorm perturbed."""
    torch.manual_seed(seed)
    net = ERes2NetV2(config).eval()
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    torch.save(net.state_dict(), path)
    return path


def centre_sv_head(path: Path, clips: list[Path]) -> Path:
    """Centre the SV model's embedding head on the speakers it 'knows' (these clips), as a trained one is.

    A random network's embeddings share one large common direction (every cosine is about 1); with
    ``seg_1``'s bias set to minus the projected mean statistics of the clips, embeddings differ as
    the clips' sounds do, so a drift guard built on it can tell timbres apart.
    """
    from tts_engine.reference import read_reference
    from tts_engine.sv.encoder import SpeakerEncoder

    encoder = SpeakerEncoder.load(path)
    with torch.no_grad():
        stats = torch.cat([encoder.network.pool(encoder.features(read_reference(c, check_length=False).wave32k, True))
                           for c in clips]).mean(dim=0)
        encoder.network.seg_1.bias.copy_(-encoder.network.seg_1.weight @ stats)
    torch.save(encoder.network.state_dict(), path)
    return path


def write_other_clip(path: Path, seconds: float = 5.0, rate: int = 32000) -> Path:
    """A clip of another timbre than ``write_clip``'s: a bright square-ish wave and more noise."""
    rng = np.random.default_rng(3)
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.3 * np.sign(np.sin(2 * np.pi * 900 * t)) + 0.2 * rng.standard_normal(t.shape)
    sf.write(path, (0.5 * wave / np.abs(wave).max()).astype(np.float32), rate, subtype="PCM_16")
    return path


def write_hubert(folder: Path, width: int = SOVITS.ssl_channels) -> Path:
    """A random one-layer HubertModel of the SoVITS's SSL width, saved as a local model folder."""
    from transformers import HubertConfig, HubertModel

    torch.manual_seed(0)
    config = HubertConfig(hidden_size=width, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                          conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
    HubertModel(config).eval().save_pretrained(folder)
    return folder


def write_bert(folder: Path, text: str) -> Path:
    """A random 1024-wide BertForMaskedLM with a character vocabulary covering ``text``, plus its tokenizer."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    chars = sorted(set(BASE_CHARACTERS + text.lower()) - set(" \n\t\u3000"))
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join([*SPECIAL_TOKENS, *chars]) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab=str(vocab)).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(SPECIAL_TOKENS) + len(chars), hidden_size=BERT_DIM, num_hidden_layers=3,
                        num_attention_heads=4, intermediate_size=64, max_position_embeddings=512)
    BertForMaskedLM(config).eval().save_pretrained(folder)
    return folder


def write_clip(path: Path, seconds: float = 4.0, rate: int = 32000) -> Path:
    """A deterministic voiced-ish clip (two tones and noise), 16-bit PCM."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * rate)) / rate
    wave = np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 410 * t) + 0.1 * rng.standard_normal(t.shape)
    sf.write(path, (0.5 * wave / np.abs(wave).max()).astype(np.float32), rate, subtype="PCM_16")
    return path


def build_tiny_voice(folder: Path, text: str) -> TinyVoice:
    """Every file a tiny v2 voice needs, in ``folder``; the BERT vocabulary covers ``text``."""
    folder.mkdir(parents=True, exist_ok=True)
    voice = TinyVoice(gpt=folder / "tiny.ckpt", sovits=folder / "tiny.pth", hubert_dir=folder / "chinese-hubert-base",
                      bert_dir=folder / "chinese-roberta-wwm-ext-large", reference=folder / "ref.wav")
    write_gpt(voice.gpt)
    write_sovits(voice.sovits)
    write_hubert(voice.hubert_dir)
    write_bert(voice.bert_dir, text + voice.reference_text)
    write_clip(voice.reference)
    return voice


def build_tiny_pro_voice(folder: Path, text: str, version: str = "v2Pro") -> TinyVoice:
    """Every file a tiny v2Pro voice needs, with an SV model centred on its clip and a clip of another timbre."""
    folder.mkdir(parents=True, exist_ok=True)
    voice = TinyVoice(gpt=folder / "tiny.ckpt", sovits=folder / "tiny_pro.pth",
                      hubert_dir=folder / "chinese-hubert-base", bert_dir=folder / "chinese-roberta-wwm-ext-large",
                      reference=folder / "ref.wav", sv=folder / "sv.ckpt", other_reference=folder / "other.wav")
    write_gpt(voice.gpt)
    write_sovits_pro(voice.sovits, version=version)
    write_hubert(voice.hubert_dir)
    write_bert(voice.bert_dir, text + voice.reference_text)
    write_clip(voice.reference)
    write_other_clip(voice.other_reference)
    centre_sv_head(write_sv(voice.sv), [voice.reference, voice.other_reference])
    return voice
