"""A remote that returns errors, stalls or serves corrupted bytes (real HTTP, through a proxy
in front of the loopback S3 server), and a full disk during fetch."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from gitutil import git, gm, remote_and_clone
from flaky_proxy import FlakyProxy


@pytest.fixture
def s3_team(tmp_path: Path, s3_server: str, aws_env: None, s3_bucket: str) -> tuple[Path, Path, bytes]:
    bare, work = remote_and_clone(tmp_path, "*.bin", name="work")
    (work / ".gitmodel").write_text(f"[remote]\n\turl = s3://{s3_bucket}/m\n")
    data = os.urandom(3 << 20)
    (work / "w.bin").write_bytes(data)
    git(work, "add", ".")
    git(work, "commit", "-qm", "v1")
    return work, bare, data


def test_transient_errors_are_retried(s3_team: tuple[Path, Path, bytes], s3_server: str, tmp_path: Path) -> None:
    work, bare, data = s3_team
    with FlakyProxy(s3_server, "errors", budget=3) as proxy:
        env = {"AWS_ENDPOINT_URL": proxy.url}
        git(work, "push", "-q", "origin", "main", env=env)
        assert proxy.budget == 0
        proxy.budget = 3
        clone = tmp_path / "clone"
        git(tmp_path, "clone", "-q", str(bare), str(clone), env=env)
    assert (clone / "w.bin").read_bytes() == data


def test_remote_that_keeps_failing_refuses_the_push(s3_team: tuple[Path, Path, bytes], s3_server: str) -> None:
    work, bare, _ = s3_team
    with FlakyProxy(s3_server, "errors", budget=10_000) as proxy:
        proc = git(work, "push", "origin", "main", check=False, env={"AWS_ENDPOINT_URL": proxy.url})
    assert proc.returncode != 0
    assert b"refused" in proc.stderr
    assert b"503" in proc.stderr or b"Service Unavailable" in proc.stderr
    assert git(bare, "rev-parse", "-q", "--verify", "refs/heads/main", check=False).returncode != 0
    assert gm(work, "fsck").returncode == 0


def test_stalled_requests_time_out_and_are_retried(s3_team: tuple[Path, Path, bytes], s3_server: str) -> None:
    work, bare, _ = s3_team
    with FlakyProxy(s3_server, "stall", budget=1, stall_seconds=4) as proxy:
        env = {"AWS_ENDPOINT_URL": proxy.url, "GIT_MODEL_S3_READ_TIMEOUT": "1"}
        git(work, "push", "-q", "origin", "main", env=env)
    assert git(bare, "rev-parse", "-q", "--verify", "refs/heads/main", check=False).returncode == 0


def test_corrupted_bytes_from_the_remote_are_never_written(s3_team: tuple[Path, Path, bytes], s3_server: str, tmp_path: Path) -> None:
    work, bare, _ = s3_team
    git(work, "push", "-q", "origin", "main", env={"AWS_ENDPOINT_URL": s3_server})
    with FlakyProxy(s3_server, "corrupt") as proxy:
        clone = tmp_path / "clone"
        proc = git(tmp_path, "clone", "-q", str(bare), str(clone), check=False, env={"AWS_ENDPOINT_URL": proxy.url})
    assert proc.returncode != 0
    assert b"corrupt" in proc.stderr or b"cannot be decoded" in proc.stderr
    assert not (clone / "w.bin").exists()
    assert not list((clone / ".git/model").glob("packs/*.pack"))


def test_full_disk_during_fetch(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    bare, work = remote_and_clone(tmp_path, "*.bin", name="work")
    (work / "w.bin").write_bytes(os.urandom(6 << 20))
    git(work, "add", ".")
    git(work, "commit", "-qm", "v1")
    git(work, "push", "-q", "origin", "main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bare), str(clone), env={"GIT_MODEL_SKIP_SMUDGE": "1"})
    target = clone / ".git" / "model"
    target.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(target)], check=True)
    try:
        proc = gm(clone, "pull", check=False)
        assert proc.returncode != 0
        assert b"no space left on device" in proc.stderr.lower()
        assert (clone / "w.bin").read_bytes().startswith(b"version https://git-model.dev/")
        assert not list(target.rglob(".tmp-*"))
        assert gm(clone, "fsck", "--json", check=False).returncode in (0, 7)
        assert b"corrupt" not in gm(clone, "fsck", check=False).stderr
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)
    gm(clone, "pull")
    assert (clone / "w.bin").read_bytes() == (work / "w.bin").read_bytes()
