"""Remembered file digests: hashed once across runs while a file is unchanged, re-hashed when it changes."""
from __future__ import annotations

import hashlib
import json
import os

import flows.store.fsio as fsio
from flows.store.fsio import DIGEST_STORE, MIN_REMEMBERED_BYTES, remembered_sha256


def _counting(monkeypatch) -> list:
    calls = []
    real = fsio.file_sha256
    monkeypatch.setattr(fsio, "file_sha256", lambda path: calls.append(path) or real(path))
    return calls


def test_a_large_file_is_hashed_once_then_remembered(tmp_path, monkeypatch):
    weights = tmp_path / "voice.pth"
    weights.write_bytes(os.urandom(MIN_REMEMBERED_BYTES + 10))
    calls = _counting(monkeypatch)
    first = remembered_sha256(weights, store_dir=tmp_path / "store")
    second = remembered_sha256(weights, store_dir=tmp_path / "store")
    assert first == second == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert len(calls) == 1


def test_a_changed_file_is_hashed_again_and_its_old_entry_dropped(tmp_path, monkeypatch):
    weights = tmp_path / "voice.pth"
    weights.write_bytes(b"a" * (MIN_REMEMBERED_BYTES + 1))
    remembered_sha256(weights, store_dir=tmp_path)
    weights.write_bytes(b"b" * (MIN_REMEMBERED_BYTES + 2))
    calls = _counting(monkeypatch)
    assert remembered_sha256(weights, store_dir=tmp_path) == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert len(calls) == 1
    assert len(json.loads((tmp_path / DIGEST_STORE).read_text())) == 1


def test_small_files_and_a_corrupt_store_still_give_the_right_digest(tmp_path, monkeypatch):
    (tmp_path / DIGEST_STORE).write_text("{not json")
    small, large = tmp_path / "lexicon.txt", tmp_path / "model.bin"
    small.write_text("长公主 zhang3 gong1 zhu3\n", encoding="utf-8")
    large.write_bytes(b"x" * MIN_REMEMBERED_BYTES)
    assert remembered_sha256(small, store_dir=tmp_path) == hashlib.sha256(small.read_bytes()).hexdigest()
    assert remembered_sha256(large, store_dir=tmp_path) == hashlib.sha256(large.read_bytes()).hexdigest()
    assert str(large.resolve()) in next(iter(json.loads((tmp_path / DIGEST_STORE).read_text())))
