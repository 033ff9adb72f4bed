"""The team workflow with the chunks on a Git LFS server: giftless (and git http-backend for
the hosted repository) on loopback, driven by the real git."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitutil import git, gm
from lfs_server import PRIVATE_PASSWORD, PRIVATE_USER, HostedRepo, LFSServer
from modelgen import fine_tune, tensor_specs, write_safetensors

from git_model.remote.lfs_catalog import REF_PREFIX

MODEL_BYTES = 16 << 20
N_TENSORS = 40


def catalog_refs(git_url: str, cwd: Path) -> list[str]:
    out = git(cwd, "ls-remote", git_url, f"{REF_PREFIX}*").stdout.decode()
    return [line.split("\t")[1] for line in out.splitlines()]


def start_alice(tmp_path: Path, remote: str, gitmodel: str | None = None) -> Path:
    alice = tmp_path / "alice"
    git(tmp_path, "clone", "-q", remote, str(alice))
    gm(alice, "install")
    gm(alice, "track", "*.safetensors")
    if gitmodel is not None:
        (alice / ".gitmodel").write_text(f"[remote]\n\turl = {gitmodel}\n")
    return alice


@pytest.mark.parametrize("catalog", ["hosted-repository", "bare-repository"])
def test_push_clone_pull_through_lfs(tmp_path: Path, lfs_server: LFSServer, lfs_repo: HostedRepo, catalog: str) -> None:
    """Git refs in a bare repository on disk; chunks on the LFS server named in .gitmodel.
    The catalog lives in the LFS server's repository, or (``?git=``) in the bare one."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    store_url = lfs_repo.store_url + ("?git=../remote.git" if catalog == "bare-repository" else "")
    catalog_url = lfs_repo.git_url if catalog == "hosted-repository" else str(bare)
    alice = start_alice(tmp_path, str(bare), store_url)
    specs = tensor_specs(MODEL_BYTES, N_TENSORS)
    write_safetensors(alice / "model.safetensors", specs)
    v1 = (alice / "model.safetensors").read_bytes()
    git(alice, "add", ".")
    git(alice, "commit", "-qm", "v1")
    push = git(alice, "push", "-q", "origin", "main")
    assert b"uploaded 1 model" in push.stderr
    assert not (bare / "model").exists()  # the chunks went to the LFS server
    assert sum(lfs_server.lfs_objects(lfs_repo).values()) >= MODEL_BYTES * 0.9
    refs = catalog_refs(catalog_url, tmp_path)
    assert any("/packs/" in r and r.endswith(tuple(f"-{n}" for n in lfs_server.lfs_objects(lfs_repo).values())) for r in refs)
    assert any(r.startswith(f"{REF_PREFIX}manifests/") for r in refs)

    bob = tmp_path / "bob"
    git(tmp_path, "clone", "-q", str(bare), str(bob))
    assert (bob / "model.safetensors").read_bytes() == v1
    assert git(bob, "for-each-ref", "refs/git-model").stdout == b""  # clone left the catalog alone

    changed = fine_tune(specs, 0.1, seed=9)
    write_safetensors(alice / "model.safetensors", specs, seeds=changed)
    v2 = (alice / "model.safetensors").read_bytes()
    git(alice, "commit", "-qam", "v2")
    before = sum(lfs_server.lfs_objects(lfs_repo).values())
    git(alice, "push", "-q", "origin", "main")
    changed_bytes = len(changed) * MODEL_BYTES // N_TENSORS
    sent = sum(lfs_server.lfs_objects(lfs_repo).values()) - before
    assert sent <= 1.15 * changed_bytes + 2 * 256 * 1024 * len(changed) + 64 * 1024, (sent, changed_bytes)

    packs_before = sum(p.stat().st_size for p in (bob / ".git/model/packs").glob("*.pack"))
    git(bob, "pull", "-q")
    fetched = sum(p.stat().st_size for p in (bob / ".git/model/packs").glob("*.pack")) - packs_before
    assert fetched <= 1.15 * changed_bytes + 2 * 256 * 1024 * len(changed), (fetched, changed_bytes)
    assert (bob / "model.safetensors").read_bytes() == v2
    assert git(bob, "status", "--porcelain").stdout == b""


def test_hosted_repository_needs_no_configuration(tmp_path: Path, lfs_server: LFSServer) -> None:
    """Git remote and LFS on one (password-protected) host, as on GitHub or GitLab: with the
    credentials in Git's helper, plain `git push` and `git clone` carry the models."""
    hosted = lfs_server.new_repo("private")
    store = tmp_path / "git-credentials"
    host = hosted.git_url.split("/")[2]
    store.write_text(f"http://{PRIVATE_USER}:{PRIVATE_PASSWORD}@{host}\n")
    git(tmp_path, "config", "--global", "credential.helper", f"store --file={store}")
    alice = start_alice(tmp_path, hosted.git_url)
    write_safetensors(alice / "model.safetensors", tensor_specs(4 << 20, 8))
    v1 = (alice / "model.safetensors").read_bytes()
    git(alice, "add", ".")
    git(alice, "commit", "-qm", "v1")
    git(alice, "push", "-q", "origin", "main")
    assert sum(lfs_server.lfs_objects(hosted).values()) >= (4 << 20) * 0.9
    assert catalog_refs(hosted.git_url, tmp_path)

    bob = tmp_path / "bob"
    git(tmp_path, "clone", "-q", hosted.git_url, str(bob))
    assert (bob / "model.safetensors").read_bytes() == v1
    assert git(bob, "status", "--porcelain").stdout == b""
    assert git(bob, "for-each-ref", "refs/git-model").stdout == b""


def test_refused_upload_blocks_the_push(tmp_path: Path, lfs_server: LFSServer) -> None:
    """A read-only LFS server: the pre-push hook fails with the server's answer and the
    branch is not updated."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    readonly = lfs_server.new_repo("readonly")
    alice = start_alice(tmp_path, str(bare))
    git(alice, "config", "model.url", readonly.store_url)
    gm(alice, "track", "*.bin")
    (alice / "w.bin").write_bytes(b"\1" * 100_000)
    git(alice, "add", ".")
    git(alice, "commit", "-qm", "v1")
    proc = git(alice, "push", "origin", "main", check=False)
    assert proc.returncode != 0
    assert b"refused" in proc.stderr and b"HTTP 403" in proc.stderr
    assert git(bare, "rev-parse", "-q", "--verify", "refs/heads/main", check=False).returncode != 0
