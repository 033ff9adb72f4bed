"""Bad input and faults in the core: clear one-line errors, nothing wrong written, store intact."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from gitutil import git, gm

from git_model.store.pack import HEADER


def packs(repo: Path) -> list[Path]:
    return sorted((repo / ".git" / "model" / "packs").glob("*.pack"))


def commit_random(repo: Path, name: str, size: int) -> bytes:
    data = os.urandom(size)
    (repo / name).write_bytes(data)
    git(repo, "add", name)
    git(repo, "commit", "-qm", f"add {name}")
    return data


def test_corrupt_chunk_is_never_written_to_the_working_tree(repo: Path) -> None:
    commit_random(repo, "a.bin", 300_000)
    pack = packs(repo)[0]
    raw = bytearray(pack.read_bytes())
    raw[HEADER.size + 1000] ^= 0xFF
    pack.write_bytes(bytes(raw))
    (repo / "a.bin").unlink()
    proc = git(repo, "checkout", "--", "a.bin", check=False)
    assert proc.returncode != 0
    assert not (repo / "a.bin").exists()
    assert b"a.bin" in proc.stderr and b"corrupt" in proc.stderr
    report = gm(repo, "fsck", check=False)
    assert report.returncode == 7
    assert pack.name.encode() in report.stderr


def test_truncated_pack_is_reported(repo: Path) -> None:
    commit_random(repo, "a.bin", 300_000)
    pack = packs(repo)[0]
    with open(pack, "r+b") as handle:
        handle.truncate(pack.stat().st_size // 2)
    proc = gm(repo, "fsck", check=False)
    assert proc.returncode == 7
    assert b"truncated" in proc.stderr or b"damaged" in proc.stderr
    (repo / "a.bin").unlink()
    assert git(repo, "checkout", "--", "a.bin", check=False).returncode != 0
    assert not (repo / "a.bin").exists()


def test_missing_object_names_the_file_and_the_remote(repo: Path, tmp_path: Path) -> None:
    commit_random(repo, "a.bin", 50_000)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-checkout", str(repo), str(clone))
    shutil.rmtree(repo / ".git" / "model")
    proc = git(clone, "checkout", "main", check=False)
    assert proc.returncode != 0
    assert not (clone / "a.bin").exists()
    assert b"a.bin" in proc.stderr and b"not on the remote" in proc.stderr


def test_damaged_pointer_is_an_error_on_smudge(repo: Path) -> None:
    bad = b"version https://git-model.dev/spec/pointer/v1\noid sha256:abc\nsize 12\n"
    proc = gm(repo, "smudge", "model.onnx", input=bad, check=False)
    assert proc.returncode == 6
    assert proc.stderr.decode().count("\n") == 1
    assert "model.onnx" in proc.stderr.decode()


def test_non_pointer_passes_through_smudge(repo: Path) -> None:
    data = os.urandom(3000)
    assert gm(repo, "smudge", "x.bin", input=data).stdout == data


def test_command_outside_a_repository(tmp_path: Path) -> None:
    proc = gm(tmp_path, "fsck", check=False)
    assert proc.returncode == 3
    assert "not a git repository" in proc.stderr.decode()


def test_bad_compression_config_names_the_key(repo: Path) -> None:
    git(repo, "config", "model.compression", "lz9")
    proc = gm(repo, "clean", input=b"x" * 5000, check=False)
    assert proc.returncode == 4 and "model.compression" in proc.stderr.decode()


@pytest.fixture
def small_store(repo: Path):
    """Mount a 2 MiB tmpfs over .git/model (needs root, as CI and these machines run)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    target = repo / ".git" / "model"
    target.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(target)], check=True)
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def test_full_disk_during_add_leaves_store_and_index_as_they_were(repo: Path, small_store: Path) -> None:
    commit_random(repo, "small.bin", 100_000)
    before = sorted(p.relative_to(small_store) for p in small_store.rglob("*"))
    (repo / "big.bin").write_bytes(os.urandom(4 << 20))
    proc = git(repo, "add", "big.bin", check=False)
    assert proc.returncode != 0
    assert b"no space left on device" in proc.stderr.lower()
    assert b"big.bin" in proc.stderr or str(small_store).encode() in proc.stderr
    after = sorted(p.relative_to(small_store) for p in small_store.rglob("*"))
    assert after == before
    assert git(repo, "diff", "--cached", "--name-only").stdout == b""
    assert b"0 problem(s)" in gm(repo, "fsck").stdout


def test_read_only_store_fails_cleanly(repo: Path, small_store: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_store)], check=True)
    (repo / "a.bin").write_bytes(os.urandom(50_000))
    proc = git(repo, "add", "a.bin", check=False)
    assert proc.returncode != 0
    assert b"read-only" in proc.stderr.lower() or b"permission denied" in proc.stderr
    assert git(repo, "diff", "--cached", "--name-only").stdout == b""
