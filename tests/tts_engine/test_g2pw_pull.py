"""`models pull --g2pw` against the fake hub of test_hub: verified download, safe unpacking, offline reuse."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.tts_engine.test_hub import REPO, REVISION, FakeHub, serve, sha  # noqa: F401  (serve is a fixture)
from tts_engine.g2pw_pull import G2PW_FOLDER, pull_g2pw
from tts_engine.hub import G2PW_ARCHIVE, G2PW_REPO_ID, ChecksumMismatchError, ModelDownloadError, PinnedFile

ARCHIVE = "G2PWModel.zip"


def archive_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


MODEL = archive_bytes({"G2PWModel_1.1/g2pW.onnx": b"onnx graph " * 20,
                       "G2PWModel_1.1/POLYPHONIC_CHARS.txt": "長\tㄓㄤ3\n".encode()})


def test_pull_verifies_unpacks_and_then_works_offline(serve, tmp_path: Path) -> None:  # noqa: F811
    hub = FakeHub({ARCHIVE: MODEL})
    endpoint = serve(hub)
    folder = pull_g2pw(tmp_path, endpoint=endpoint, repo_id=REPO, revision=REVISION, archive=PinnedFile(ARCHIVE))
    assert folder.name == G2PW_FOLDER
    assert (folder / "g2pW.onnx").read_bytes() == b"onnx graph " * 20
    assert (folder / "POLYPHONIC_CHARS.txt").read_text(encoding="utf-8") == "長\tㄓㄤ3\n"
    served = len(hub.requests)
    again = pull_g2pw(tmp_path, endpoint="http://127.0.0.1:9", repo_id=REPO, revision=REVISION,
                      archive=PinnedFile(ARCHIVE))  # nothing listens there: must not be asked
    assert again == folder and len(hub.requests) == served


def test_a_wrong_pinned_hash_is_refused(serve, tmp_path: Path) -> None:  # noqa: F811
    endpoint = serve(FakeHub({ARCHIVE: MODEL}))
    with pytest.raises(ChecksumMismatchError):
        pull_g2pw(tmp_path, endpoint=endpoint, repo_id=REPO, revision=REVISION,
                  archive=PinnedFile(ARCHIVE, sha(b"something else")))


def test_an_archive_without_the_model_or_with_escaping_members_is_refused(serve, tmp_path: Path) -> None:  # noqa: F811
    loose = archive_bytes({"README.txt": b"no folder"})
    endpoint = serve(FakeHub({ARCHIVE: loose}))
    with pytest.raises(ModelDownloadError, match="one top folder"):
        pull_g2pw(tmp_path / "a", endpoint=endpoint, repo_id=REPO, revision=REVISION, archive=PinnedFile(ARCHIVE))
    escaping = archive_bytes({"G2PWModel/../../evil.txt": b"x", "G2PWModel/g2pW.onnx": b"g"})
    endpoint = serve(FakeHub({ARCHIVE: escaping}))
    with pytest.raises(Exception, match="escapes the archive"):
        pull_g2pw(tmp_path / "b", endpoint=endpoint, repo_id=REPO, revision=REVISION, archive=PinnedFile(ARCHIVE))
    assert not (tmp_path / "evil.txt").exists()


def test_the_real_source_is_the_archive_gpt_sovits_installs() -> None:
    assert G2PW_REPO_ID == "XXXXRT/GPT-SoVITS-Pretrained" and G2PW_ARCHIVE.path == ARCHIVE
