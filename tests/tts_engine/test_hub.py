"""`models pull` against a fake Hugging Face Hub on 127.0.0.1: never the real network."""
from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from tts_engine.errors import EngineError
from tts_engine.hub import (
    BERT_FOLDER,
    HUBERT_FOLDER,
    MANIFESTS,
    VERIFIED_RECORD,
    ChecksumMismatchError,
    HubOfflineError,
    ModelDownloadError,
    ModelManifest,
    PinnedFile,
    manifest_for,
    models_layout,
    pull_models,
)

REVISION = "0123456789abcdef0123456789abcdef01234567"
REPO = "tester/fake-gsv"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FakeHub:
    """What the fake hub serves: path -> bytes, plus ways to misbehave."""

    files: dict[str, bytes]
    reported_sha: dict[str, str] = field(default_factory=dict)  # etag override (the hub's LFS sha256)
    served_instead: dict[str, bytes] = field(default_factory=dict)  # bytes sent by GET instead of files[path]
    drop_first_get: tuple[str, int] | None = None  # (path, n): close the first GET of path after n bytes
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, Range)
    _dropped: set[str] = field(default_factory=set)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self
        prefix = f"/{REPO}/resolve/{REVISION}/"

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _lookup(self) -> str | None:
                from urllib.parse import unquote

                path = unquote(self.path.split("?")[0])
                hub.requests.append((self.command, path, self.headers.get("Range")))
                if not path.startswith(prefix) or path[len(prefix):] not in hub.files:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.send_header("X-Repo-Commit", REVISION)
                    self.send_header("X-Error-Code", "EntryNotFound")
                    self.end_headers()
                    return None
                return path[len(prefix):]

            def do_HEAD(self) -> None:
                name = self._lookup()
                if name is None:
                    return
                data = hub.files[name]
                self.send_response(200)
                self.send_header("X-Repo-Commit", REVISION)
                self.send_header("ETag", f'"{hub.reported_sha.get(name, sha(data))}"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()

            def do_GET(self) -> None:
                name = self._lookup()
                if name is None:
                    return
                data = hub.served_instead.get(name, hub.files[name])
                start = 0
                match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if match:
                    start = int(match.group(1))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                body = data[start:]
                if hub.drop_first_get is not None and hub.drop_first_get[0] == name and name not in hub._dropped:
                    hub._dropped.add(name)
                    self.wfile.write(body[: hub.drop_first_get[1]])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

        return Handler


@pytest.fixture
def serve() -> Iterator:
    """Start a FakeHub on 127.0.0.1; yields a function hub -> endpoint URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(hub: FakeHub) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), hub.handler())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


CONTENT = {
    f"{HUBERT_FOLDER}/config.json": b'{"model_type": "hubert"}',
    f"{HUBERT_FOLDER}/pytorch_model.bin": b"hubert weights " * 50,
    f"{BERT_FOLDER}/config.json": b'{"model_type": "bert"}',
    f"{BERT_FOLDER}/pytorch_model.bin": b"bert weights " * 80,
    "gsv/gpt.ckpt": b"gpt weights " * 30,
    "gsv/sovits.pth": b"sovits weights " * 40,
}


def fake_manifest(pin_voice_files: bool = False) -> ModelManifest:
    """Base-model files pinned by hash; the GPT/SoVITS files pinned only when asked (like the real manifest)."""

    def pinned(path: str, pin: bool = True) -> PinnedFile:
        return PinnedFile(path, sha(CONTENT[path]) if pin else None)

    return ModelManifest(
        version="v2", repo_id=REPO, revision=REVISION,
        gpt=pinned("gsv/gpt.ckpt", pin_voice_files), sovits=pinned("gsv/sovits.pth", pin_voice_files),
        hubert=tuple(pinned(p) for p in CONTENT if p.startswith(HUBERT_FOLDER)),
        bert=tuple(pinned(p) for p in CONTENT if p.startswith(BERT_FOLDER)),
    )


def closed_port_endpoint() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_pull_downloads_every_file_and_verifies_it(serve, tmp_path: Path) -> None:
    hub = FakeHub(dict(CONTENT))
    layout = pull_models(models_dir=tmp_path, endpoint=serve(hub), manifest=fake_manifest())

    assert layout.root == tmp_path / "tester--fake-gsv" / REVISION
    assert layout.hubert_dir == layout.root / HUBERT_FOLDER and layout.bert_dir == layout.root / BERT_FOLDER
    assert layout.gpt_path.read_bytes() == CONTENT["gsv/gpt.ckpt"]
    assert layout.sovits_path.read_bytes() == CONTENT["gsv/sovits.pth"]
    for path, data in CONTENT.items():
        assert (layout.root / path).read_bytes() == data
    # unpinned files were checked against the hub's sha256 and recorded for offline checks later
    assert sha(CONTENT["gsv/gpt.ckpt"]) in (layout.root / VERIFIED_RECORD).read_text()
    assert {p for m, p, _ in hub.requests if m == "GET"} == {f"/{REPO}/resolve/{REVISION}/{p}" for p in CONTENT}


def test_files_present_with_right_hash_are_skipped_without_network(serve, tmp_path: Path) -> None:
    pull_models(models_dir=tmp_path, endpoint=serve(FakeHub(dict(CONTENT))), manifest=fake_manifest())
    # the hub is now unreachable: every file must be verified from disk (pinned or recorded hash)
    layout = pull_models(models_dir=tmp_path, endpoint=closed_port_endpoint(), manifest=fake_manifest())
    assert layout.sovits_path.read_bytes() == CONTENT["gsv/sovits.pth"]


def test_present_file_with_wrong_hash_is_fetched_again(serve, tmp_path: Path) -> None:
    layout = models_layout(fake_manifest(), tmp_path)
    stale = layout.hubert_dir / "pytorch_model.bin"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a file")
    hub = FakeHub(dict(CONTENT))
    pull_models(models_dir=tmp_path, endpoint=serve(hub), manifest=fake_manifest())
    assert stale.read_bytes() == CONTENT[f"{HUBERT_FOLDER}/pytorch_model.bin"]


def test_present_unpinned_file_matching_the_hub_is_kept_without_downloading(serve, tmp_path: Path) -> None:
    layout = models_layout(fake_manifest(), tmp_path)
    layout.sovits_path.parent.mkdir(parents=True)
    layout.sovits_path.write_bytes(CONTENT["gsv/sovits.pth"])  # e.g. copied by hand, no record yet
    hub = FakeHub(dict(CONTENT))
    pull_models(models_dir=tmp_path, endpoint=serve(hub), manifest=fake_manifest())
    assert ("GET", f"/{REPO}/resolve/{REVISION}/gsv/sovits.pth", None) not in hub.requests
    assert sha(CONTENT["gsv/sovits.pth"]) in (layout.root / VERIFIED_RECORD).read_text()


def test_corrupted_download_is_deleted_with_a_clear_error(serve, tmp_path: Path) -> None:
    target = f"{BERT_FOLDER}/pytorch_model.bin"
    hub = FakeHub(dict(CONTENT), served_instead={target: CONTENT[target][:-1] + b"!"},
                  reported_sha={target: sha(CONTENT[target])})
    with pytest.raises(ChecksumMismatchError) as caught:
        pull_models(models_dir=tmp_path, endpoint=serve(hub), manifest=fake_manifest())
    message = str(caught.value)
    assert "\n" not in message and target in message and "sha256" in message and "deleted" in message
    assert isinstance(caught.value, EngineError)
    assert not (models_layout(fake_manifest(), tmp_path).root / target).exists()


def test_unpinned_file_is_checked_against_the_hubs_sha256(serve, tmp_path: Path) -> None:
    hub = FakeHub(dict(CONTENT), served_instead={"gsv/sovits.pth": b"X" + CONTENT["gsv/sovits.pth"][1:]})
    with pytest.raises(ChecksumMismatchError, match="gsv/sovits.pth"):
        pull_models(models_dir=tmp_path, endpoint=serve(hub), manifest=fake_manifest())
    assert not models_layout(fake_manifest(), tmp_path).sovits_path.exists()


def test_hub_sha_differing_from_the_pin_fails_before_downloading(serve, tmp_path: Path) -> None:
    hub = FakeHub(dict(CONTENT), reported_sha={"gsv/gpt.ckpt": "f" * 64})
    with pytest.raises(ChecksumMismatchError, match="manifest pins"):
        pull_models(models_dir=tmp_path, endpoint=serve(hub), manifest=fake_manifest(pin_voice_files=True))
    assert ("GET", f"/{REPO}/resolve/{REVISION}/gsv/gpt.ckpt", None) not in hub.requests


def test_dropped_connection_is_retried_and_the_file_completed(serve, tmp_path: Path) -> None:
    target = f"{BERT_FOLDER}/pytorch_model.bin"
    hub = FakeHub(dict(CONTENT), drop_first_get=(target, 100))
    layout = pull_models(models_dir=tmp_path, endpoint=serve(hub), manifest=fake_manifest())
    assert layout.bert_dir.joinpath("pytorch_model.bin").read_bytes() == CONTENT[target]
    assert sum(1 for method, path, _ in hub.requests if method == "GET" and path.endswith(target)) == 2


def test_offline_gives_one_line_naming_the_repo_quickly(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(HubOfflineError) as caught:
        pull_models(models_dir=tmp_path, endpoint=closed_port_endpoint(), manifest=fake_manifest())
    message = str(caught.value)
    assert message.startswith(f"{REPO}: ") and "offline" in message and "\n" not in message
    assert time.monotonic() - started < 5, "offline detection must not sit in retry back-off"


def test_missing_file_on_the_hub_is_a_clear_error(serve, tmp_path: Path) -> None:
    files = dict(CONTENT)
    del files["gsv/gpt.ckpt"]
    with pytest.raises(ModelDownloadError, match=f"^{REPO}: .*refused.*") as caught:
        pull_models(models_dir=tmp_path, endpoint=serve(FakeHub(files)), manifest=fake_manifest())
    assert not isinstance(caught.value, HubOfflineError)


def test_real_manifests_are_pinned_to_a_commit_and_name_the_official_files() -> None:
    v1, v2 = manifest_for("v1"), manifest_for("v2")
    assert {"v1", "v2", "v2Pro", "v2ProPlus"} <= set(MANIFESTS)
    assert v1.repo_id == v2.repo_id == "lj1995/GPT-SoVITS"
    assert re.fullmatch(r"[0-9a-f]{40}", v1.revision) and v1.revision == v2.revision
    assert v1.gpt.path == "s1bert25hz-2kh-longer-epoch=68e-step=50232.ckpt" and v1.sovits.path == "s2G488k.pth"
    assert v2.gpt.path == "gsv-v2final-pretrained/s1bert25hz-5kh-longer-epoch=12-step=369668.ckpt"
    assert v2.sovits.path == "gsv-v2final-pretrained/s2G2333k.pth"
    for manifest in (v1, v2):
        paths = {f.path for f in manifest.files()}
        assert {f"{HUBERT_FOLDER}/pytorch_model.bin", f"{HUBERT_FOLDER}/config.json",
                f"{BERT_FOLDER}/pytorch_model.bin", f"{BERT_FOLDER}/tokenizer.json"} <= paths
        assert all(f.sha256 for f in (*manifest.hubert, *manifest.bert)), "base models are pinned by sha256"
    with pytest.raises(ModelDownloadError, match="unknown model version 'v3'"):
        manifest_for("v3")


def test_manifest_refuses_a_branch_name_as_revision() -> None:
    with pytest.raises(ValueError, match="commit hash"):
        ModelManifest(version="v2", repo_id=REPO, revision="main", gpt=PinnedFile("a.ckpt"),
                      sovits=PinnedFile("b.pth"), hubert=(PinnedFile(f"{HUBERT_FOLDER}/x"),),
                      bert=(PinnedFile(f"{BERT_FOLDER}/y"),))
    with pytest.raises(ValueError, match="relative"):
        PinnedFile("../escape.bin")


def test_pro_manifests_pin_the_s1v3_gpt_their_sovits_and_the_sv_model() -> None:
    pro, plus, v2 = manifest_for("v2Pro"), manifest_for("v2ProPlus"), manifest_for("v2")
    assert pro.revision == plus.revision == v2.revision
    assert pro.sovits.path == "v2Pro/s2Gv2Pro.pth" and plus.sovits.path == "v2Pro/s2Gv2ProPlus.pth"
    assert pro.gpt == plus.gpt and pro.gpt.path == "s1v3.ckpt"
    assert pro.sv == plus.sv and pro.sv.path == "sv/pretrained_eres2netv2w24s4ep4.ckpt"
    for manifest in (pro, plus):
        assert all(f.sha256 for f in manifest.files()), "every Pro file is pinned by sha256"
        assert manifest.sv in manifest.files()
    assert pro.sv.size and pro.gpt.size and pro.sovits.size
    assert v2.sv is None and models_layout(v2).sv_path is None


def test_pull_of_a_pro_manifest_fetches_the_sv_model_too(serve, tmp_path: Path) -> None:
    content = {**CONTENT, "sv/sv.ckpt": b"speaker model " * 20}
    manifest = fake_manifest(pin_voice_files=True)
    manifest = ModelManifest(version="v2Pro", repo_id=REPO, revision=REVISION, gpt=manifest.gpt,
                             sovits=manifest.sovits, hubert=manifest.hubert, bert=manifest.bert,
                             sv=PinnedFile("sv/sv.ckpt", sha(content["sv/sv.ckpt"]), len(content["sv/sv.ckpt"])))
    layout = pull_models(models_dir=tmp_path, endpoint=serve(FakeHub(content)), manifest=manifest)
    assert layout.sv_path == layout.root / "sv" / "sv.ckpt"
    assert layout.sv_path.read_bytes() == content["sv/sv.ckpt"]
    bad = FakeHub(content, served_instead={"sv/sv.ckpt": b"X" + content["sv/sv.ckpt"][1:]})
    layout.sv_path.unlink()
    with pytest.raises(ChecksumMismatchError, match="sv/sv.ckpt"):
        pull_models(models_dir=tmp_path, endpoint=serve(bad), manifest=manifest)
    assert not layout.sv_path.exists()
