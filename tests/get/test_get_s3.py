"""`git model get` with the chunks in S3 (.gitmodel names the bucket; a moto server on loopback)."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from get_support import MODEL, get_json, gm, moved_bound, publish

MODEL_BYTES = 16 << 20


@pytest.fixture
def s3_env(s3_server: str, aws_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    return s3_server


def test_get_v1_then_v2_from_an_s3_store(tmp_path: Path, s3_env: str, s3_bucket: str) -> None:
    published = publish(tmp_path, MODEL_BYTES, gitmodel=f"[remote]\n\turl = s3://{s3_bucket}/team\n")
    assert not (published.bare / "model").exists()  # the chunks are in the bucket
    clean = tmp_path / "clean"
    clean.mkdir()
    first = get_json(clean, str(published.bare), "--rev", "v1", MODEL, "-o", "out", "--cache", "cache")
    assert first["store"] == f"s3://{s3_bucket}/team"
    assert filecmp.cmp(clean / "out" / MODEL, published.v1, shallow=False)
    assert MODEL_BYTES * 0.9 <= first["bytes_moved"] <= MODEL_BYTES * 1.05
    second = get_json(clean, str(published.bare), "--rev", "v2", MODEL, "-o", "out", "--cache", "cache")
    assert filecmp.cmp(clean / "out" / MODEL, published.v2, shallow=False)
    assert 0 < second["bytes_moved"] <= moved_bound(published), (second["bytes_moved"], published.changed_bytes)


def test_missing_bucket_is_a_permanent_remote_error(tmp_path: Path, s3_env: str, s3_bucket: str) -> None:
    published = publish(tmp_path, 1 << 20, 4, gitmodel=f"[remote]\n\turl = s3://{s3_bucket}/team\n")
    clean = tmp_path / "clean"
    clean.mkdir()
    proc = gm(clean, "get", str(published.bare), MODEL, "-o", "out", "--cache", "cache",
              "--store", "s3://no-such-bucket-gm/x", check=False)
    assert proc.returncode == 12, proc.stderr
    assert b"no-such-bucket-gm" in proc.stderr
    assert not (clean / "out" / MODEL).exists()
