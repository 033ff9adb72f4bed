"""The core promise, through the real git binary: pointers in Git, bit-exact files back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gitutil import git, gm
from modelgen import fine_tune, tensor_specs, write_safetensors

from git_model.pointer import parse
from git_model.store.chunker import MAX_SIZE, MIN_SIZE


def store_bytes(repo: Path) -> int:
    packs = repo / ".git" / "model" / "packs"
    return sum(p.stat().st_size for p in packs.glob("*.pack"))


def test_add_commit_restores_bit_exact(repo: Path) -> None:
    model = write_safetensors(repo / "model.safetensors", tensor_specs(4 << 20, 16))
    original = model.read_bytes()
    git(repo, "add", "model.safetensors")
    git(repo, "commit", "-qm", "v1")
    blob = git(repo, "cat-file", "blob", "HEAD:model.safetensors").stdout
    pointer = parse(blob)
    assert pointer.size == len(original)
    model.unlink()
    git(repo, "checkout", "--", "model.safetensors")
    assert model.read_bytes() == original
    assert git(repo, "status", "--porcelain").stdout == b""


@pytest.mark.parametrize(
    "size", [0, 1, MIN_SIZE - 1, MIN_SIZE, MIN_SIZE + 1, MAX_SIZE - 1, MAX_SIZE, MAX_SIZE + 1, 3 * MAX_SIZE + 7]
)
def test_boundary_sizes_round_trip(repo: Path, size: int) -> None:
    data = os.urandom(size)
    (repo / "w.bin").write_bytes(data)
    git(repo, "add", "w.bin")
    git(repo, "commit", "-qm", f"size {size}")
    (repo / "w.bin").unlink()
    git(repo, "checkout", "--", "w.bin")
    assert (repo / "w.bin").read_bytes() == data


def test_new_version_stores_about_the_changed_bytes(repo: Path) -> None:
    specs = tensor_specs(16 << 20, 40)
    write_safetensors(repo / "model.safetensors", specs)
    v1 = (repo / "model.safetensors").read_bytes()
    git(repo, "add", "model.safetensors")
    git(repo, "commit", "-qm", "v1")
    before = store_bytes(repo)
    changed = fine_tune(specs, 0.1, seed=7)
    write_safetensors(repo / "model.safetensors", specs, seeds=changed)
    v2 = (repo / "model.safetensors").read_bytes()
    git(repo, "commit", "-qam", "v2")
    growth = store_bytes(repo) - before
    changed_bytes = sum(16 * 2**20 // 40 for _ in changed)
    assert growth <= 1.15 * changed_bytes + 2 * MAX_SIZE * len(changed), (growth, changed_bytes)
    git(repo, "checkout", "-q", "HEAD~1")
    assert (repo / "model.safetensors").read_bytes() == v1
    git(repo, "checkout", "-q", "main")
    assert (repo / "model.safetensors").read_bytes() == v2


def test_switch_branches_with_different_versions(repo: Path) -> None:
    specs = tensor_specs(2 << 20, 8)
    write_safetensors(repo / "model.safetensors", specs)
    git(repo, "add", "model.safetensors")
    git(repo, "commit", "-qm", "base")
    git(repo, "switch", "-qc", "finetune")
    write_safetensors(repo / "model.safetensors", specs, seeds={specs[0][0]: 3})
    tuned = (repo / "model.safetensors").read_bytes()
    git(repo, "commit", "-qam", "tuned")
    git(repo, "switch", "-q", "main")
    base = (repo / "model.safetensors").read_bytes()
    assert base != tuned
    git(repo, "switch", "-q", "finetune")
    assert (repo / "model.safetensors").read_bytes() == tuned
    assert git(repo, "status", "--porcelain").stdout == b""


def test_many_small_files_through_filter_process(repo: Path) -> None:
    folder = repo / "small"
    folder.mkdir()
    for i in range(500):
        (folder / f"m{i}.bin").write_bytes(os.urandom(100 + i))
    git(repo, "add", "small")
    git(repo, "commit", "-qm", "500 files")
    names = git(repo, "ls-files", "small").stdout.split()
    assert len(names) == 500
    assert parse(git(repo, "cat-file", "blob", "HEAD:small/m7.bin").stdout).size == 107
    for i in (0, 499):
        (folder / f"m{i}.bin").unlink()
    git(repo, "checkout", "--", "small")
    assert len((folder / "m499.bin").read_bytes()) == 599
    assert git(repo, "status", "--porcelain").stdout == b""


def test_pointer_committed_as_is_stays_a_pointer(repo: Path) -> None:
    (repo / "a.bin").write_bytes(os.urandom(5000))
    git(repo, "add", "a.bin")
    blob = git(repo, "cat-file", "blob", ":a.bin").stdout
    (repo / "b.bin").write_bytes(blob)
    git(repo, "add", "b.bin")
    assert git(repo, "cat-file", "blob", ":b.bin").stdout == blob


def test_fsck_clean_after_adds(repo: Path) -> None:
    (repo / "a.bin").write_bytes(os.urandom(1 << 20))
    git(repo, "add", "a.bin")
    out = gm(repo, "fsck").stdout.decode()
    assert "0 problem(s)" in out
