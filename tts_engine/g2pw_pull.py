"""`bookvoice models pull --g2pw`: the published g2pW polyphone model, fetched by the hub machinery and unpacked safely.

The archive (``hub.G2PW_ARCHIVE`` in ``hub.G2PW_REPO_ID``) holds one folder of model files; it is
checked like every base-model file (pinned sha256, else the hub's LFS sha256, recorded for offline
checks), then unpacked member by member through the defensive zip reader (no member may leave the
folder; each file is written to a temporary name and renamed). An unpacked folder is reused while its
archive's recorded sha256 is the one it was unpacked from. The pinyin front-end reads the folder with
``text_prep.zh.polyphone_g2pw`` (onnxruntime), with the BERT tokenizer of the pulled base models.
"""
from __future__ import annotations

import logging
import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

from text_prep.ingest.safezip import SafeZip, ZipLimits
from tts_engine.hub import (
    G2PW_ARCHIVE,
    G2PW_BRANCH,
    G2PW_REPO_ID,
    G2PW_REVISION,
    VERIFIED_RECORD,
    ModelDownloadError,
    PinnedFile,
    _ensure_file,
    _hub_errors,
    _VerifiedHashes,
    default_models_dir,
)

logger = logging.getLogger(__name__)

G2PW_FOLDER = "G2PWModel"
G2PW_ONNX = "g2pW.onnx"
_UNPACKED_KEY = "unpacked:" + G2PW_FOLDER  # record entry: sha256 of the archive the folder came from
_ARCHIVE_LIMITS = ZipLimits(max_member_bytes=2 * 1024**3, max_total_bytes=4 * 1024**3)


@dataclass(frozen=True)
class ArchiveSource:
    """Where an archive is read from: repository and commit (what the hub helpers need of a manifest)."""

    repo_id: str
    revision: str


def pull_g2pw(
    models_dir: Path | None = None,
    *,
    endpoint: str | None = None,
    repo_id: str = G2PW_REPO_ID,
    revision: str | None = G2PW_REVISION,
    archive: PinnedFile = G2PW_ARCHIVE,
) -> Path:
    """Make the g2pW model folder present and verified under MODELS_DIR; return the folder."""
    root = (models_dir or default_models_dir()) / repo_id.replace("/", "--")
    folder = root / G2PW_FOLDER
    record = _VerifiedHashes(root / VERIFIED_RECORD)
    verified = archive.sha256 or record.get(archive.path)
    if verified is not None and record.get(_UNPACKED_KEY) == verified and (folder / G2PW_ONNX).is_file():
        logger.info("%s: present and unpacked from the verified archive, skipped", folder)
        return folder
    commit = revision or _resolve(repo_id, archive, endpoint)
    _ensure_file(ArchiveSource(repo_id, commit), archive, root, record, endpoint)  # type: ignore[arg-type]
    unpack(root / archive.path, folder)
    sha256 = record.get(archive.path) or archive.sha256
    if sha256 is not None:
        record.add(_UNPACKED_KEY, sha256)
    logger.info("g2pW model from %s@%s (archive sha256 %s) ready in %s", repo_id, commit, sha256, folder)
    return folder


def _resolve(repo_id: str, archive: PinnedFile, endpoint: str | None) -> str:
    """The commit the branch points at now (one HEAD request); logged so that it can be pinned."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(repo_id, archive.path, revision=G2PW_BRANCH, endpoint=endpoint)
    with _hub_errors(ArchiveSource(repo_id, G2PW_BRANCH), endpoint):  # type: ignore[arg-type]
        commit = get_hf_file_metadata(url).commit_hash
    if not commit:
        raise ModelDownloadError(repo_id, f"the hub did not say which commit {G2PW_BRANCH!r} is")
    logger.warning("%s: %s is commit %s (not pinned in the manifest; pin it in tts_engine/hub.py)",
                   repo_id, G2PW_BRANCH, commit)
    return commit


def unpack(archive: Path, folder: Path) -> None:
    """Write the files of the archive's single top folder (whatever its name) into FOLDER, safely."""
    with SafeZip(archive, _ARCHIVE_LIMITS) as zipped:
        names = [n for n in zipped.names() if not n.endswith("/")]
        tops = {n.split("/", 1)[0] for n in names if "/" in n}
        if len(tops) != 1 or any("/" not in n for n in names):
            raise ModelDownloadError(archive, "expected one top folder of model files in the archive")
        top = tops.pop()
        for name in names:
            relative = posixpath.relpath(name, top)
            target = folder.joinpath(*relative.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(target.name + ".part")
            temp.write_bytes(zipped.read(name))
            os.replace(temp, target)
    if not (folder / G2PW_ONNX).is_file():
        raise ModelDownloadError(archive, f"the archive has no {G2PW_ONNX}")
