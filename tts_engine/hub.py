"""`bookvoice models pull`: the official pretrained base models from the Hugging Face Hub, pinned and checked.

One frozen manifest per model version names the repository, the commit every file is read at and
the sha256 of each file where it is known. A pull skips files already present with the right
hash, downloads the rest with ``huggingface_hub.hf_hub_download`` (which resumes a dropped
transfer within the call), checks every download and deletes a file whose hash is wrong.
Files without a pinned hash are checked against the sha256 the hub itself reports for that
commit (its LFS object id) and the verified hash is recorded beside the files, so later pulls
check them offline too.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Iterator, Mapping

from text_prep.errors import PathProblem
from tts_engine.errors import EngineError

logger = logging.getLogger(__name__)

GSV_REPO_ID = "lj1995/GPT-SoVITS"
# Commit of lj1995/GPT-SoVITS that holds the v1 files at the top level, the v2 files in
# gsv-v2final-pretrained/, the v2Pro/v2ProPlus SoVITS in v2Pro/, s1v3.ckpt and the SV model in sv/
# (the main branch as of the v2Pro/v4 releases).
GSV_REVISION = "336b2ec4e8d4ac74740798dd40af44e74659ecaf"
HUBERT_FOLDER = "chinese-hubert-base"
BERT_FOLDER = "chinese-roberta-wwm-ext-large"
VERSIONS = ("v1", "v2", "v2Pro", "v2ProPlus")
DEFAULT_VERSION = "v2"
VERIFIED_RECORD = ".bookvoice-verified.json"

_COMMIT = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_HASH_CHUNK = 1 << 20


class ModelDownloadError(PathProblem, EngineError):
    """Base models cannot be fetched; ``str()`` is ``"<source>: <problem>"``."""


class HubOfflineError(ModelDownloadError):
    """The Hugging Face Hub cannot be reached (no network, proxy or firewall)."""


class ChecksumMismatchError(ModelDownloadError):
    """A downloaded or present file does not have the sha256 it must have."""


@dataclass(frozen=True)
class PinnedFile:
    """One file of the repository at the manifest's commit."""

    path: str  # inside the repository, "/"-separated
    sha256: str | None = None  # None: not pinned here; the hub's LFS sha256 is checked instead
    size: int | None = None

    def __post_init__(self) -> None:
        parts = self.path.split("/")
        if not self.path or self.path.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"pinned file path must be relative and plain: {self.path!r}")
        if self.sha256 is not None and not _SHA256.fullmatch(self.sha256):
            raise ValueError(f"{self.path}: sha256 must be 64 lowercase hex digits")


@dataclass(frozen=True)
class ModelManifest:
    """Everything `models pull` fetches for one model version, at one pinned commit."""

    version: str
    repo_id: str
    revision: str  # a full commit hash: branch names move, commits do not
    gpt: PinnedFile
    sovits: PinnedFile
    hubert: tuple[PinnedFile, ...]
    bert: tuple[PinnedFile, ...]
    sv: PinnedFile | None = None   # the speaker-verification model (v2Pro/v2ProPlus)

    def __post_init__(self) -> None:
        if not _COMMIT.fullmatch(self.revision):
            raise ValueError(f"{self.repo_id}: revision must be a 40-digit commit hash, not {self.revision!r}")
        if self.version not in VERSIONS:
            raise ValueError(f"unknown model version {self.version!r}")
        for folder, files in ((HUBERT_FOLDER, self.hubert), (BERT_FOLDER, self.bert)):
            if not files or any(not f.path.startswith(folder + "/") for f in files):
                raise ValueError(f"{self.version}: every {folder} file must lie in {folder}/")

    def files(self) -> tuple[PinnedFile, ...]:
        """Every file of this manifest: the base models first, then the voice weights (and the SV model)."""
        return (*self.hubert, *self.bert, self.gpt, self.sovits, *((self.sv,) if self.sv else ()))


_HUBERT_FILES = (
    PinnedFile(f"{HUBERT_FOLDER}/config.json",
               "c3e5060a1277e0f078cc6be9da4528a605dba6ece93018981fe2c820e5c7b103", 1449),
    PinnedFile(f"{HUBERT_FOLDER}/preprocessor_config.json",
               "dcd684124d06722947939d41ea6ae58dbf10968c60a11a29f23ddc602c64a29b", 212),
    PinnedFile(f"{HUBERT_FOLDER}/pytorch_model.bin",
               "24164f129c66499d1346e2aa55f183250c223161ec2770c0da3d3b08cf432d3c", 188811417),
)
_BERT_FILES = (
    PinnedFile(f"{BERT_FOLDER}/config.json",
               "3d57de2fd7e80d0e5c8ff194f0bbb6baa10df7e43fc262a0cc71298a78b0a3e5", 963),
    PinnedFile(f"{BERT_FOLDER}/tokenizer.json",
               "173796956820ea27bd14f76bf28162607ff4254807e2948253eb5b46f5bb643b", 268962),
    PinnedFile(f"{BERT_FOLDER}/pytorch_model.bin",
               "e53a693acc59ace251d143d068096ae0d7b79e4b1b503fa84c9dcf576448c1d8", 651225145),
)

# v2Pro and v2ProPlus share the GPT s1v3.ckpt (REFERENCE §10.6) and the SV model.
_S1V3 = PinnedFile("s1v3.ckpt", "87133414860ea14ff6620c483a3db5ed07b44be42e2c3fcdad65523a729a745a", 155284856)
_SV_MODEL = PinnedFile("sv/pretrained_eres2netv2w24s4ep4.ckpt",
                       "4f5a0bf73c61eb41b174e1bb54e7ee3c83233892be8e0af1f187024e8e581a35", 107528697)

MANIFESTS: Mapping[str, ModelManifest] = MappingProxyType({
    "v1": ModelManifest(
        version="v1", repo_id=GSV_REPO_ID, revision=GSV_REVISION,
        gpt=PinnedFile("s1bert25hz-2kh-longer-epoch=68e-step=50232.ckpt"),
        sovits=PinnedFile("s2G488k.pth"),
        hubert=_HUBERT_FILES, bert=_BERT_FILES,
    ),
    "v2": ModelManifest(
        version="v2", repo_id=GSV_REPO_ID, revision=GSV_REVISION,
        gpt=PinnedFile("gsv-v2final-pretrained/s1bert25hz-5kh-longer-epoch=12-step=369668.ckpt"),
        sovits=PinnedFile("gsv-v2final-pretrained/s2G2333k.pth"),
        hubert=_HUBERT_FILES, bert=_BERT_FILES,
    ),
    "v2Pro": ModelManifest(
        version="v2Pro", repo_id=GSV_REPO_ID, revision=GSV_REVISION, gpt=_S1V3,
        sovits=PinnedFile("v2Pro/s2Gv2Pro.pth",
                          "0f8ead815234365edf045c6d86370ed6e4f440e8195be77ff0ea72684ad406a5", 162303657),
        hubert=_HUBERT_FILES, bert=_BERT_FILES, sv=_SV_MODEL,
    ),
    "v2ProPlus": ModelManifest(
        version="v2ProPlus", repo_id=GSV_REPO_ID, revision=GSV_REVISION, gpt=_S1V3,
        sovits=PinnedFile("v2Pro/s2Gv2ProPlus.pth",
                          "d42a22bbbf65fb2bbdd45ad6a66841156977db45c7aabe0a6992ff378d9c7d3b"),
        hubert=_HUBERT_FILES, bert=_BERT_FILES, sv=_SV_MODEL,
    ),
})

# g2pW, the Chinese polyphone model GPT-SoVITS v2 reads with (`models pull --g2pw`; tts_engine/g2pw_pull.py):
# the archive GPT-SoVITS' install scripts fetch. Its commit and sha256 could not be looked up where this
# was written (no network): a pull without a pinned revision resolves the branch to a commit once, checks
# the download against the hub's LFS sha256 and records it beside the files; later pulls check offline.
G2PW_REPO_ID = "XXXXRT/GPT-SoVITS-Pretrained"
G2PW_BRANCH = "main"
G2PW_REVISION: str | None = None  # pin the commit here once known (40 hex digits)
G2PW_ARCHIVE = PinnedFile("G2PWModel.zip")  # add its sha256 here once known


@dataclass(frozen=True)
class PulledModels:
    """Where the files of one manifest lie on disk (the arguments of ``Voice.load``)."""

    version: str
    root: Path
    gpt_path: Path
    sovits_path: Path
    hubert_dir: Path
    bert_dir: Path
    sv_path: Path | None = None   # the SV model, for manifests that have one


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/bookvoice`` (``~/.cache/bookvoice`` when unset)."""
    cache = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(cache).expanduser() / "bookvoice"


def default_models_dir() -> Path:
    """``$XDG_CACHE_HOME/bookvoice/models`` (``~/.cache/bookvoice/models`` when unset)."""
    return user_cache_dir() / "models"


def manifest_for(version: str) -> ModelManifest:
    """The pinned manifest of model VERSION ("v1", "v2", "v2Pro" or "v2ProPlus")."""
    try:
        return MANIFESTS[version]
    except KeyError:
        raise ModelDownloadError(GSV_REPO_ID, f"unknown model version {version!r}; choose one of {', '.join(VERSIONS)}") from None


def models_layout(manifest: ModelManifest, models_dir: Path | None = None) -> PulledModels:
    """Where MANIFEST's files lie (or will lie) under MODELS_DIR; touches nothing."""
    owner_name = manifest.repo_id.replace("/", "--")
    root = (models_dir or default_models_dir()) / owner_name / manifest.revision
    return PulledModels(
        version=manifest.version,
        root=root,
        gpt_path=root / manifest.gpt.path,
        sovits_path=root / manifest.sovits.path,
        hubert_dir=root / HUBERT_FOLDER,
        bert_dir=root / BERT_FOLDER,
        sv_path=root / manifest.sv.path if manifest.sv else None,
    )


def pull_models(
    version: str = DEFAULT_VERSION,
    models_dir: Path | None = None,
    *,
    endpoint: str | None = None,
    manifest: ModelManifest | None = None,
) -> PulledModels:
    """Make every file of VERSION's manifest present and verified under MODELS_DIR; return the layout."""
    manifest = manifest or manifest_for(version)
    layout = models_layout(manifest, models_dir)
    record = _VerifiedHashes(layout.root / VERIFIED_RECORD)
    for pinned in manifest.files():
        _ensure_file(manifest, pinned, layout.root, record, endpoint)
    logger.info("%s %s base models ready in %s", manifest.repo_id, manifest.version, layout.root)
    return layout


def file_sha256(path: Path) -> str:
    """The hex sha256 of PATH, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_HASH_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _ensure_file(
    manifest: ModelManifest, pinned: PinnedFile, root: Path, record: _VerifiedHashes, endpoint: str | None
) -> None:
    """Skip PINNED if present with the right hash; otherwise download and verify it."""
    target = root / pinned.path
    present = file_sha256(target) if target.is_file() else None
    known = pinned.sha256 or record.get(pinned.path)
    if present is not None and present == known:
        logger.info("%s: present and verified, skipped", target)
        return
    source = f"{manifest.repo_id}@{manifest.revision[:12]}/{pinned.path}"
    hub_sha = _hub_sha256(manifest, pinned, endpoint)
    if pinned.sha256 is not None and hub_sha is not None and hub_sha != pinned.sha256:
        raise ChecksumMismatchError(source, f"the hub serves sha256 {hub_sha}, the manifest pins {pinned.sha256}")
    expected = pinned.sha256 or hub_sha
    if present is not None:
        if present == expected:
            record.add(pinned.path, present)
            logger.info("%s: present and matches the hub's sha256, skipped", target)
            return
        logger.warning("%s: present but its sha256 is not the expected one; fetching it again", target)
        target.unlink()
    if expected is None:
        logger.warning("%s: no sha256 pinned or reported by the hub; trusting this first download", source)
    actual = file_sha256(_download(manifest, pinned, root, endpoint))
    if expected is not None and actual != expected:
        target.unlink(missing_ok=True)
        raise ChecksumMismatchError(
            source, f"downloaded file has sha256 {actual}, expected {expected}; deleted it, run the pull again"
        )
    record.add(pinned.path, actual)
    logger.info("%s: downloaded and verified (sha256 %s)", target, actual)


def _hub_sha256(manifest: ModelManifest, pinned: PinnedFile, endpoint: str | None) -> str | None:
    """The sha256 the hub reports for PINNED at the pinned commit (LFS files), from one HEAD request."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(manifest.repo_id, pinned.path, revision=manifest.revision, endpoint=endpoint)
    with _hub_errors(manifest, endpoint):
        etag = get_hf_file_metadata(url).etag
    etag = (etag or "").strip('"').lower()
    return etag if _SHA256.fullmatch(etag) else None


def _download(manifest: ModelManifest, pinned: PinnedFile, root: Path, endpoint: str | None) -> Path:
    """Fetch PINNED into ROOT (same relative path) with huggingface_hub."""
    from huggingface_hub import hf_hub_download

    logger.info("downloading %s/%s", manifest.repo_id, pinned.path)
    with _hub_errors(manifest, endpoint):
        local = hf_hub_download(
            manifest.repo_id, pinned.path, revision=manifest.revision, local_dir=root, endpoint=endpoint
        )
    return Path(local)


@contextmanager
def _hub_errors(manifest: ModelManifest, endpoint: str | None) -> Iterator[None]:
    """Turn huggingface_hub and transport exceptions raised inside into one-line ModelDownloadErrors."""
    from huggingface_hub.errors import HfHubHTTPError

    where = endpoint or "the Hugging Face Hub"
    try:
        yield
    except ModelDownloadError:
        raise
    except _offline_errors() as error:
        raise HubOfflineError(
            manifest.repo_id, f"cannot reach {where}: this machine looks offline (or a proxy or firewall blocks it); "
            "connect and run `bookvoice models pull` again"
        ) from error
    except HfHubHTTPError as error:
        raise ModelDownloadError(
            manifest.repo_id, f"{where} refused the request at revision {manifest.revision[:12]}: {_first_line(error)}"
        ) from error
    except OSError as error:
        raise ModelDownloadError(
            manifest.repo_id, f"download failed: {_first_line(error)}; run the pull again to resume"
        ) from error


def _offline_errors() -> tuple[type[BaseException], ...]:
    """Exception classes meaning 'no connection', for whichever HTTP client huggingface_hub is built on."""
    from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

    found: list[type[BaseException]] = [OfflineModeIsEnabled, LocalEntryNotFoundError, ConnectionError, TimeoutError]
    for module_name, names in (("httpx2", ("TransportError",)), ("httpx", ("TransportError",)),
                               ("requests", ("ConnectionError", "Timeout"))):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found.extend(getattr(module, name) for name in names if hasattr(module, name))
    return tuple(found)


def _first_line(error: BaseException) -> str:
    """The first line of an exception's message (hub errors carry multi-line hints)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class _VerifiedHashes:
    """sha256 of files fetched without a pinned hash (checked against the hub's), so later pulls check offline."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._hashes: dict[str, str] = {}
        if path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                logger.warning("%s: unreadable, ignoring it (files will be checked against the hub)", path)
                loaded = {}
            if isinstance(loaded, dict):
                self._hashes = {k: v for k, v in loaded.items() if isinstance(v, str) and _SHA256.fullmatch(v)}

    def get(self, relative: str) -> str | None:
        """The recorded sha256 of RELATIVE, if any."""
        return self._hashes.get(relative)

    def add(self, relative: str, sha256: str) -> None:
        """Record RELATIVE's verified sha256 and save the record atomically."""
        self._hashes[relative] = sha256
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(self.path.name + ".tmp")
        temp.write_text(json.dumps(self._hashes, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temp, self.path)
