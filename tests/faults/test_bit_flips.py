"""Bit flips in packs, indexes and manifests: fsck names the damaged file, and a checkout
either reproduces the committed bytes or fails; wrong weights never reach the working tree."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest
from gitutil import git, gm

from git_model.store.pack import HEADER


def damage(path: Path, rng: random.Random, start: int = 0, end: int | None = None) -> None:
    raw = bytearray(path.read_bytes())
    position = rng.randrange(start, end if end is not None else len(raw))
    raw[position] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("target", ["pack-data", "pack-table", "idx", "manifest"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bit_flip_is_detected(repo: Path, target: str, seed: int) -> None:
    rng = random.Random(seed)
    data = os.urandom(700_000) + bytes(300_000)  # random and compressible chunks
    (repo / "m.bin").write_bytes(data)
    git(repo, "add", "m.bin")
    git(repo, "commit", "-qm", "m")
    store = repo / ".git" / "model"
    pack = next(store.glob("packs/*.pack"))
    if target == "pack-data":
        victim = pack
        damage(pack, rng, HEADER.size, pack.stat().st_size // 2)
    elif target == "pack-table":
        victim = pack
        damage(pack, rng, pack.stat().st_size - 100, pack.stat().st_size - 16)
    elif target == "idx":
        victim = pack.with_suffix(".idx")
        damage(victim, rng)
    else:
        victim = next(p for p in store.glob("manifests/*/*"))
        damage(victim, rng)
    report = gm(repo, "fsck", check=False)
    assert report.returncode == 7
    assert victim.name.encode() in report.stderr
    (repo / "m.bin").unlink()
    proc = git(repo, "checkout", "--", "m.bin", check=False)
    if (repo / "m.bin").exists():
        assert hashlib.sha256((repo / "m.bin").read_bytes()).digest() == hashlib.sha256(data).digest()
    else:
        assert proc.returncode != 0
