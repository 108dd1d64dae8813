"""The one adapter for official GPT-SoVITS files: SoVITS voices (``*.pth``), GPT voices (``*.ckpt``), the SV model.

Files are unpickled with ``torch.load(weights_only=True)``; the only class allowed beyond torch's own
is a local stand-in for the reference's ``utils.HParams`` config object, which just collects attributes.
Nothing in a file can run code. Weights come back upcast to float32 on the CPU (exact for fp16 files).
The format quirks live here: the exporter's two-byte version marker in place of the zip's ``PK``
(REFERENCE §1.1, §10.1), plain-dict or OrderedDict weights, the HParams config, and the SV model's
bare state dict (``sv/pretrained_eres2netv2w24s4ep4.ckpt``).
"""
from __future__ import annotations

import hashlib
import io
import logging
import pickle
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import torch
from torch import nn

from tts_engine.errors import UnsupportedVoiceError, VoiceFileError

log = logging.getLogger(__name__)

ZIP_MAGIC = b"PK"
# The reference exporter overwrites the zip magic with these markers (REFERENCE §1.1).
HEADER_VERSIONS: dict[bytes, str] = {
    b"00": "v1",
    b"01": "v2",
    b"02": "v3",
    b"03": "v3 (LoRA)",
    b"04": "v4 (LoRA)",
    b"05": "v2Pro",
    b"06": "v2ProPlus",
}
SUPPORTED_VERSIONS = ("v1", "v2", "v2Pro", "v2ProPlus")
PRO_VERSIONS = ("v2Pro", "v2ProPlus")
# MD5 of the first 8192 bytes of the released Pro base models, the reference's other Pro test (§10.1).
PRO_BASE_MD5: dict[str, str] = {
    "c7e9fce2223f3db685cdfa1e6368728a": "v2Pro",
    "66b313e39455b57ab1b0bc0b239c9d0a": "v2ProPlus",
}
MD5_PREFIX_BYTES = 8192
V1_SYMBOL_COUNT = 322          # rows of enc_p.text_embedding in a v1 voice (v2: 732)
V1_GPT_PHONEME_VOCAB = 512     # rows of ar_text_embedding in a v1 GPT (v2: 732)
SOVITS_OPTIONAL_PREFIXES = ("enc_q.",)   # posterior encoder: dropped by the exporter, unused at inference
SOVITS_TEXT_EMBEDDING = "enc_p.text_embedding.weight"
GPT_TEXT_EMBEDDING = "ar_text_embedding.word_embeddings.weight"
GPT_WEIGHT_PREFIX = "model."   # the reference's Lightning wrapper
V2PRO_KEYS = ("sv_emb.weight", "ge_to512.weight")
NOT_SUPPORTED = "not supported (bookvoice reads GPT-SoVITS v1, v2, v2Pro and v2ProPlus voices)"
SV_STEM_KEY = "conv1.weight"             # the SV checkpoint's first convolution
SV_REQUIRED_KEYS = (SV_STEM_KEY, "layer1.0.conv1.weight", "fuse34.local_att.0.weight")


class _HParams:
    """Stand-in for the reference's ``utils.HParams``: an attribute bag, filled by the unpickler."""


_ALLOWED_GLOBALS = [(_HParams, "utils.HParams")]


@dataclass(frozen=True)
class SoVITSCheckpoint:
    """A SoVITS voice file: reference config (plain dicts), float32 weights, and its version."""

    path: Path
    version: str                      # "v1", "v2", "v2Pro" or "v2ProPlus"
    config: dict[str, Any]            # the HParams tree as nested dicts: "train", "data", "model", ...
    weights: dict[str, torch.Tensor]  # official state-dict names (enc_q.* possibly absent), float32
    info: str

    @property
    def symbols(self) -> str:
        """The phone-symbol table: "v1" for v1 voices, "v2" for every later version."""
        return symbol_table(self.version)

    @property
    def needs_sv(self) -> bool:
        """Whether decoding needs the speaker-verification vector of each reference (v2Pro, v2ProPlus)."""
        return self.version in PRO_VERSIONS


@dataclass(frozen=True)
class GPTCheckpoint:
    """A GPT (text-to-semantic) voice file: reference config, float32 weights without the ``model.`` prefix."""

    path: Path
    version: str                      # "v1" or "v2"
    config: dict[str, Any]            # the s1 yaml as a dict: "model", "data", ...
    weights: dict[str, torch.Tensor]  # e.g. "bert_proj.weight", "h.layers.0.linear1.weight", float32
    info: str


@dataclass(frozen=True)
class SVCheckpoint:
    """The speaker-verification model (ERes2NetV2): its plain state dict, float32 (int64 counters kept)."""

    path: Path
    weights: dict[str, torch.Tensor]


def symbol_table(version: str) -> str:
    """The phone-symbol table of a model version: the reference treats every version but v1 as v2."""
    return "v1" if version == "v1" else "v2"


def load_sovits_file(path: str | Path) -> SoVITSCheckpoint:
    """Read a SoVITS voice (``*.pth``), refusing other kinds, unsupported versions and unsafe pickles."""
    path = Path(path)
    raw = _read_bytes(path)
    header = raw[:2]
    marked = PRO_BASE_MD5.get(hashlib.md5(raw[:MD5_PREFIX_BYTES]).hexdigest())
    if header != ZIP_MAGIC:
        marked = HEADER_VERSIONS.get(header)
        if marked is None:
            raise VoiceFileError(path, "not a PyTorch voice file (unknown header bytes)")
        if marked not in SUPPORTED_VERSIONS:
            raise UnsupportedVoiceError(path, f"GPT-SoVITS {marked} voices are {NOT_SUPPORTED}")
        raw = ZIP_MAGIC + raw[2:]
    top = _unpickle(path, raw)
    config, weights = _split_top(path, top)

    if any(k.startswith(GPT_WEIGHT_PREFIX) or k == GPT_TEXT_EMBEDDING for k in weights):
        raise VoiceFileError(path, "this is a GPT (.ckpt) file, not a SoVITS (.pth) voice")
    if "lora_rank" in top:
        raise UnsupportedVoiceError(path, f"GPT-SoVITS v3/v4 LoRA voices are {NOT_SUPPORTED}")
    if SOVITS_TEXT_EMBEDDING not in weights:
        if any(k.startswith("cfm.") for k in weights):
            raise UnsupportedVoiceError(path, f"GPT-SoVITS v3/v4 voices are {NOT_SUPPORTED}")
        raise VoiceFileError(path, f"not a SoVITS v1/v2 voice: no '{SOVITS_TEXT_EMBEDDING}' weight")

    config = _plain(config)
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict) \
            or not isinstance(config.get("data"), dict):
        raise VoiceFileError(path, "voice config lacks its 'model'/'data' sections")
    version = _sovits_version(path, marked, config, weights)
    return SoVITSCheckpoint(path, version, config, _upcast(weights), str(top.get("info", "")))


def load_sv_file(path: str | Path) -> SVCheckpoint:
    """Read the SV model checkpoint (a pickled plain state dict), refusing unsafe pickles and other files."""
    path = Path(path)
    top = _unpickle(path, _read_bytes(path))
    if not isinstance(top, Mapping) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                               for k, v in top.items()):
        raise VoiceFileError(path, "not a speaker-verification checkpoint (expected a plain dict of named tensors)")
    missing = [k for k in SV_REQUIRED_KEYS if k not in top]
    if missing:
        raise VoiceFileError(path, f"not an ERes2NetV2 speaker-verification checkpoint (no {', '.join(missing)})")
    return SVCheckpoint(path, _upcast(top))


def _sovits_version(path: Path, marked: str | None, config: dict[str, Any],
                    weights: Mapping[str, torch.Tensor]) -> str:
    """The voice's version: the marker (or base-model hash) decides Pro, cross-checked with the SV projection."""
    has_sv = all(k in weights for k in V2PRO_KEYS)
    if marked in PRO_VERSIONS:
        if not has_sv:
            raise VoiceFileError(path, f"marked as a {marked} voice but lacks its {', '.join(V2PRO_KEYS)} weights")
        return marked
    if has_sv:   # a Pro voice re-saved without its marker: the weights still say Pro
        named = str(config["model"].get("version", ""))
        version = named if named in PRO_VERSIONS else PRO_VERSIONS[0]
        log.warning("%s: has no version marker but holds v2Pro weights; reading it as %s", path, version)
        return version
    return "v1" if weights[SOVITS_TEXT_EMBEDDING].shape[0] == V1_SYMBOL_COUNT else "v2"


def load_gpt_file(path: str | Path) -> GPTCheckpoint:
    """Read a GPT voice (``*.ckpt``), refusing other kinds and unsafe pickles; strips the ``model.`` prefix."""
    path = Path(path)
    raw = _read_bytes(path)
    if raw[:2] != ZIP_MAGIC:
        if raw[:2] in HEADER_VERSIONS:
            raise VoiceFileError(path, "this is a SoVITS (.pth) voice, not a GPT (.ckpt) file")
        raise VoiceFileError(path, "not a PyTorch voice file (unknown header bytes)")
    top = _unpickle(path, raw)
    config, weights = _split_top(path, top)
    if isinstance(config, _HParams) or any(k.startswith(("enc_p.", "dec.", "flow.")) for k in weights):
        raise VoiceFileError(path, "this is a SoVITS (.pth) voice, not a GPT (.ckpt) file")
    if weights and all(k.startswith(GPT_WEIGHT_PREFIX) for k in weights):
        weights = {k[len(GPT_WEIGHT_PREFIX):]: v for k, v in weights.items()}
    if GPT_TEXT_EMBEDDING not in weights:
        raise VoiceFileError(path, f"not a GPT-SoVITS GPT file: no '{GPT_TEXT_EMBEDDING}' weight")
    config = _plain(config)
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise VoiceFileError(path, "GPT config lacks its 'model' section")
    version = "v1" if weights[GPT_TEXT_EMBEDDING].shape[0] == V1_GPT_PHONEME_VOCAB else "v2"
    return GPTCheckpoint(path, version, config, _upcast(weights), str(top.get("info", "")))


def load_weights(module: nn.Module, weights: Mapping[str, torch.Tensor], path: str | Path,
                 optional_prefixes: Iterable[str] = ()) -> None:
    """Load ``weights`` into ``module`` strictly; a VoiceFileError names any missing, unexpected or mis-shaped key."""
    optional = tuple(optional_prefixes)
    expected = module.state_dict()
    given = {k: v for k, v in weights.items() if not k.startswith(optional)}
    missing = sorted(k for k in expected if k not in given and not k.startswith(optional))
    unexpected = sorted(k for k in given if k not in expected)
    mis_shaped = sorted(f"{k} {tuple(v.shape)} (model wants {tuple(expected[k].shape)})"
                        for k, v in given.items() if k in expected and v.shape != expected[k].shape)
    problems = []
    for what, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", mis_shaped)):
        if keys:
            problems.append(f"{what} weights: {_some(keys)}")
    if problems:
        raise VoiceFileError(path, "; ".join(problems))
    module.load_state_dict(given, strict=False)


def _some(keys: list[str], shown: int = 5) -> str:
    """The first few keys, then how many more."""
    more = f" (+{len(keys) - shown} more)" if len(keys) > shown else ""
    return ", ".join(keys[:shown]) + more


def _read_bytes(path: Path) -> bytes:
    """The whole file, or a VoiceFileError if it cannot be read or is too short to be an archive."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise VoiceFileError(path, f"cannot read: {exc.strerror or exc}") from exc
    if len(raw) < 4:
        raise VoiceFileError(path, "file is empty or truncated")
    return raw


def _unpickle(path: Path, raw: bytes) -> Any:
    """torch.load with weights_only and the HParams stand-in allowed; every failure becomes a VoiceFileError."""
    if raw[:2] == ZIP_MAGIC:
        try:
            zipfile.ZipFile(io.BytesIO(raw)).close()
        except zipfile.BadZipFile as exc:
            raise VoiceFileError(path, "truncated or damaged archive (cannot read the zip directory)") from exc
    try:
        with torch.serialization.safe_globals(_ALLOWED_GLOBALS):
            return torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL (\S+)", str(exc))
        if found:
            raise VoiceFileError(path, f"refused: the file asks to run {found.group(1)} while loading "
                                       "(not a plain voice file, possibly malicious)") from exc
        raise VoiceFileError(path, "refused: the pickle is not a plain weights file") from exc
    except (RuntimeError, EOFError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VoiceFileError(path, f"truncated or damaged file ({type(exc).__name__})") from exc


def _split_top(path: Path, top: Any) -> tuple[Any, dict[str, torch.Tensor]]:
    """The (config, weight dict) of a voice file's top-level dict, checking the shape of both."""
    if not isinstance(top, Mapping) or "weight" not in top or "config" not in top:
        raise VoiceFileError(path, "not a GPT-SoVITS voice file (no 'weight' and 'config' entries)")
    weights = top["weight"]
    if not isinstance(weights, Mapping) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items()):
        raise VoiceFileError(path, "'weight' is not a dict of named tensors")
    return top["config"], dict(weights)


def _plain(obj: Any) -> Any:
    """An HParams tree (or dict/list tree) as plain dicts and lists."""
    if isinstance(obj, _HParams):
        obj = vars(obj)
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _upcast(weights: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Floating tensors widened to float32 (exact for fp16/bf16); others unchanged."""
    return {k: v.to(torch.float32) if v.is_floating_point() else v for k, v in weights.items()}
