"""`git model fsck` with --all, --remote and --repair against a real bare remote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from gitutil import git, gm, remote_and_clone

from git_model.store.pack import HEADER


@pytest.fixture
def pushed(tmp_path: Path) -> tuple[Path, Path]:
    bare, work = remote_and_clone(tmp_path, "*.bin", name="work")
    (work / "a.bin").write_bytes(bytes(range(256)) * 4000)
    git(work, "add", ".")
    git(work, "commit", "-qm", "v1")
    git(work, "push", "-q", "origin", "main")
    return work, bare


def test_fsck_remote_reports_what_the_remote_lacks(pushed: tuple[Path, Path]) -> None:
    work, bare = pushed
    assert gm(work, "fsck", "--remote").returncode == 0
    shutil.rmtree(bare / "model" / "manifests")
    proc = gm(work, "fsck", "--remote", check=False)
    assert proc.returncode == 7
    assert b"a.bin" in proc.stderr and b"lacks its manifest" in proc.stderr


def test_fsck_all_reports_models_missing_locally(pushed: tuple[Path, Path], tmp_path: Path) -> None:
    work, bare = pushed
    clone = tmp_path / "skip"
    git(tmp_path, "clone", "-q", str(bare), str(clone), env={"GIT_MODEL_SKIP_SMUDGE": "1"})
    report = json.loads(gm(clone, "fsck", "--all", "--json", check=False).stdout)
    assert any("a.bin" in p["path"] and "missing" in p["message"] for p in report["problems"])


def test_fsck_repair_refetches_a_damaged_pack(pushed: tuple[Path, Path]) -> None:
    work, _ = pushed
    pack = next((work / ".git/model/packs").glob("*.pack"))
    raw = bytearray(pack.read_bytes())
    raw[HEADER.size + 10] ^= 1
    pack.write_bytes(bytes(raw))
    assert gm(work, "fsck", check=False).returncode == 7
    repaired = gm(work, "fsck", "--repair")
    assert b"moved damaged" in repaired.stderr
    assert gm(work, "fsck").returncode == 0
    (work / "a.bin").unlink()
    git(work, "checkout", "--", "a.bin")
    assert (work / "a.bin").read_bytes() == bytes(range(256)) * 4000
