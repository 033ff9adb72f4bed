"""The same team workflow with the chunks in S3 (a real S3-protocol server on loopback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gitutil import git, remote_and_clone
from modelgen import fine_tune, tensor_specs, write_safetensors

MODEL_BYTES = 16 << 20
N_TENSORS = 40


def bucket_bytes(s3_admin: Any, bucket: str, prefix: str = "packs/") -> int:
    total = 0
    for page in s3_admin.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"team/{prefix}"):
        total += sum(obj["Size"] for obj in page.get("Contents", []) if obj["Key"].endswith(".pack"))
    return total


@pytest.fixture
def s3_env(s3_server: str, aws_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    return s3_server


def test_push_clone_pull_through_s3(tmp_path: Path, s3_env: str, s3_bucket: str, s3_admin: Any) -> None:
    bare, alice = remote_and_clone(tmp_path, "*.safetensors")
    (alice / ".gitmodel").write_text(f"[remote]\n\turl = s3://{s3_bucket}/team\n")
    specs = tensor_specs(MODEL_BYTES, N_TENSORS)
    write_safetensors(alice / "model.safetensors", specs)
    git(alice, "add", ".")
    git(alice, "commit", "-qm", "v1")
    git(alice, "push", "-q", "origin", "main")
    assert not (bare / "model").exists()  # the chunks went to S3, not into the bare repo
    assert bucket_bytes(s3_admin, s3_bucket) >= MODEL_BYTES * 0.9

    bob = tmp_path / "bob"
    git(tmp_path, "clone", "-q", str(bare), str(bob))
    assert (bob / "model.safetensors").read_bytes() == (alice / "model.safetensors").read_bytes()

    changed = fine_tune(specs, 0.1, seed=9)
    write_safetensors(alice / "model.safetensors", specs, seeds=changed)
    git(alice, "commit", "-qam", "v2")
    before = bucket_bytes(s3_admin, s3_bucket)
    git(alice, "push", "-q", "origin", "main")
    changed_bytes = len(changed) * MODEL_BYTES // N_TENSORS
    assert bucket_bytes(s3_admin, s3_bucket) - before <= 1.15 * changed_bytes + 2 * 256 * 1024 * len(changed)

    packs_before = sum(p.stat().st_size for p in (bob / ".git/model/packs").glob("*.pack"))
    git(bob, "pull", "-q")
    fetched = sum(p.stat().st_size for p in (bob / ".git/model/packs").glob("*.pack")) - packs_before
    assert fetched <= 1.15 * changed_bytes + 2 * 256 * 1024 * len(changed)
    assert (bob / "model.safetensors").read_bytes() == (alice / "model.safetensors").read_bytes()
    assert git(bob, "status", "--porcelain").stdout == b""


def test_missing_bucket_refuses_the_push(tmp_path: Path, s3_env: str) -> None:
    bare, alice = remote_and_clone(tmp_path, "*.bin")
    git(alice, "config", "model.url", "s3://no-such-bucket/x")
    (alice / "w.bin").write_bytes(b"\1" * 100_000)
    git(alice, "add", ".")
    git(alice, "commit", "-qm", "v1")
    proc = git(alice, "push", "origin", "main", check=False)
    assert proc.returncode != 0
    assert b"no-such-bucket" in proc.stderr and b"refused" in proc.stderr
    assert git(bare, "rev-parse", "-q", "--verify", "refs/heads/main", check=False).returncode != 0
