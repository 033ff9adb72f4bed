"""`git model gc`: keeps what is needed or unpushed, drops the rest, compacts packs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitutil import git, gm, remote_and_clone
from modelgen import fine_tune, tensor_specs, write_safetensors

SIZE = 8 << 20
N = 32


def pack_bytes(repo: Path) -> int:
    return sum(p.stat().st_size for p in (repo / ".git/model/packs").glob("*.pack"))


@pytest.fixture
def shared(tmp_path: Path) -> tuple[Path, Path]:
    bare, work = remote_and_clone(tmp_path, "*.safetensors", name="work")
    git(work, "add", ".gitattributes")
    git(work, "commit", "-qm", "track")
    return work, bare


def commit_versions(work: Path, count: int) -> list[bytes]:
    specs = tensor_specs(SIZE, N)
    versions = []
    for i in range(count):
        write_safetensors(work / "model.safetensors", specs, seeds=fine_tune(specs, 0.25, seed=100 + i) if i else None)
        versions.append((work / "model.safetensors").read_bytes())
        git(work, "add", "model.safetensors")
        git(work, "commit", "-qm", f"v{i}")
    return versions


def test_gc_keeps_only_the_last_pushed_version(shared: tuple[Path, Path]) -> None:
    work, _ = shared
    versions = commit_versions(work, 5)
    git(work, "push", "-q", "origin", "main")
    before = pack_bytes(work)
    dry = json.loads(gm(work, "gc", "--dry-run", "--recent-days", "0", "--json").stdout)
    assert len(dry["dropped_versions"]) == 4 and pack_bytes(work) == before
    gm(work, "gc", "--recent-days", "0")
    after = pack_bytes(work)
    assert after <= SIZE * 1.10, (before, after)
    assert b"0 problem(s)" in gm(work, "fsck").stdout
    git(work, "checkout", "-q", "HEAD~3")  # an old version comes back from the remote
    assert (work / "model.safetensors").read_bytes() == versions[1]


def test_gc_never_drops_unpushed_versions(shared: tuple[Path, Path]) -> None:
    work, _ = shared
    commit_versions(work, 3)
    before = pack_bytes(work)
    out = gm(work, "gc", "--recent-days", "0", "--json").stdout
    assert json.loads(out)["dropped_versions"] == []
    assert pack_bytes(work) == before


def test_gc_keeps_versions_the_remote_lacks_unless_forced(shared: tuple[Path, Path]) -> None:
    work, _ = shared
    commit_versions(work, 3)
    git(work, "push", "-q", "--no-verify", "origin", "main")  # refs pushed, weights not
    result = gm(work, "gc", "--recent-days", "0")
    assert b"remote does not hold" in result.stderr
    assert json.loads(gm(work, "gc", "--recent-days", "0", "--json").stdout)["dropped_versions"] == []


def test_gc_keeps_stash_and_index(shared: tuple[Path, Path]) -> None:
    work, _ = shared
    commit_versions(work, 2)
    git(work, "push", "-q", "origin", "main")
    specs = tensor_specs(SIZE, N)
    write_safetensors(work / "model.safetensors", specs, seeds={specs[1][0]: 999})
    git(work, "add", "model.safetensors")
    staged = (work / "model.safetensors").read_bytes()
    git(work, "stash", "-q")
    gm(work, "gc", "--recent-days", "0", "--force")
    git(work, "stash", "pop", "-q")
    assert (work / "model.safetensors").read_bytes() == staged


def test_remote_gc_marks_first_and_deletes_after_the_grace_period(shared: tuple[Path, Path], tmp_path: Path) -> None:
    work, bare = shared
    versions = commit_versions(work, 3)
    git(work, "push", "-q", "origin", "main")
    remote_packs = lambda: sum(p.stat().st_size for p in (bare / "model/packs").glob("*.pack"))  # noqa: E731
    full = remote_packs()
    git(work, "reset", "-q", "--hard", "HEAD~2")  # only v0 stays referenced on the remote
    git(work, "push", "-q", "--force", "origin", "main")
    git(work, "fetch", "-q", "origin")
    first = json.loads(gm(work, "gc", "--remote", "--grace-hours", "1", "--json").stdout)
    assert len(first["marked_manifests"]) == 2 and first["deleted_manifests"] == []
    second = json.loads(gm(work, "gc", "--remote", "--grace-hours", "1", "--json").stdout)
    assert second["deleted_manifests"] == []  # within the grace period: a push may be in flight
    third = json.loads(gm(work, "gc", "--remote", "--grace-hours", "0", "--json").stdout)
    assert len(third["deleted_manifests"]) == 2
    assert remote_packs() <= full * 0.75  # the packs only v1 and v2 needed are gone
    assert gm(work, "fsck", "--remote").returncode == 0
    clone = tmp_path / "after-gc"
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    assert (clone / "model.safetensors").read_bytes() == versions[0]


def test_remote_gc_refuses_when_a_live_manifest_is_damaged(shared: tuple[Path, Path]) -> None:
    """A live manifest that does not verify would make its chunks look dead: gc stops, marks
    nothing and deletes nothing."""
    work, bare = shared
    commit_versions(work, 2)
    git(work, "push", "-q", "origin", "main")
    git(work, "fetch", "-q", "origin")
    before = sorted(p.name for p in (bare / "model").rglob("*") if p.is_file())
    manifest = next(p for p in (bare / "model/manifests").rglob("*") if p.is_file())
    raw = bytearray(manifest.read_bytes())
    raw[20] ^= 0xFF  # inside the entries: a chunk id that is not the stored one
    manifest.write_bytes(bytes(raw))
    proc = gm(work, "gc", "--remote", "--grace-hours", "0", check=False)
    assert proc.returncode != 0
    assert "manifest checksum mismatch" in proc.stderr.decode() and "nothing deleted" in proc.stderr.decode()
    assert len(proc.stderr.decode().strip().splitlines()) == 1
    assert sorted(p.name for p in (bare / "model").rglob("*") if p.is_file()) == before
