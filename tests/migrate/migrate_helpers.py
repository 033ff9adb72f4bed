"""Helpers for the migrate tests (test modules wrap the repository makers in fixtures): histories of model versions (ordinary blobs or real Git LFS),
and the check every rewrite must pass: each rewritten commit checks out to the bytes of the
commit it replaces."""

from __future__ import annotations

import os
from pathlib import Path

from gitutil import git, gm
from modelgen import fine_tune, tensor_specs, write_safetensors

from git_model.migrate.lfs import try_parse_lfs
from git_model.pointer import try_parse
from git_model.store.store import LocalStore


def write_versions(repo: Path, name: str, size: int, versions: int, *, tensors: int = 16) -> list[bytes]:
    """Commit ``versions`` fine-tuned versions of one model (plus a changing text file)."""
    specs = tensor_specs(size, tensors)
    contents = []
    for version in range(versions):
        seeds = fine_tune(specs, 0.25, seed=version + 1) if version else None
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        write_safetensors(repo / name, specs, seeds=seeds)
        (repo / "notes.txt").write_text(f"version {version}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"{name} v{version}")
        contents.append((repo / name).read_bytes())
    return contents


def make_plain_repo(tmp_path: Path) -> Path:
    """A repository for models committed as ordinary blobs; git-model installed."""
    path = tmp_path / "plain"
    path.mkdir()
    git(path, "init", "-q")
    gm(path, "install")
    return path


def make_lfs_repo(tmp_path: Path) -> Path:
    """A repository using the real git-lfs (configured in the repository only), *.bin tracked."""
    path = tmp_path / "lfs"
    path.mkdir()
    git(path, "init", "-q")
    git(path, "lfs", "install", "--local")
    git(path, "lfs", "track", "*.bin")
    git(path, "add", ".gitattributes")
    git(path, "commit", "-qm", "track with lfs")
    return path


def refs(repo: Path) -> dict[str, str]:
    out = git(repo, "for-each-ref", "--format=%(refname) %(objectname)").stdout.decode()
    return dict(line.split(" ", 1) for line in out.splitlines())


def lfs_object(repo: Path, oid: str) -> Path:
    return repo / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid


def original_files(repo: Path, commit: str) -> dict[str, bytes]:
    """What ``commit`` (of the history before migration) checked out to: blob bytes, the LFS
    object's bytes for an LFS pointer, the stored model for a git-model pointer."""
    listing = git(repo, "ls-tree", "-r", "-z", commit).stdout.split(b"\0")
    files = {}
    for entry in filter(None, listing):
        meta, _, name = entry.partition(b"\t")
        oid = meta.split()[2].decode()
        path = name.decode()
        if path.rsplit("/", 1)[-1] == ".gitattributes":
            continue
        data = git(repo, "cat-file", "blob", oid).stdout
        lfs = try_parse_lfs(data, path)
        model = try_parse(data)
        if lfs is not None:
            data = lfs_object(repo, lfs.oid).read_bytes()
        elif model is not None:
            data = b"".join(LocalStore(repo / ".git" / "model").read(model, path))
        files[path] = data
    return files


def checked_out_files(repo: Path, commit: str) -> dict[str, bytes]:
    """``git checkout`` of ``commit``, then the working-tree bytes of its tracked files."""
    git(repo, "checkout", "-q", "--detach", commit)
    names = git(repo, "ls-files", "-z").stdout.split(b"\0")
    return {
        n.decode(): (repo / n.decode()).read_bytes()
        for n in filter(None, names)
        if n.rsplit(b"/", 1)[-1] != b".gitattributes"
    }


def commit_pairs(repo: Path, ref: str) -> list[tuple[str, str]]:
    """(original, rewritten) commits of ``ref``, using the backup ref migrate left."""
    backup = f"refs/git-model/migrate-backup/{ref}"
    old = git(repo, "rev-list", "--topo-order", "--reverse", backup).stdout.decode().split()
    new = git(repo, "rev-list", "--topo-order", "--reverse", ref).stdout.decode().split()
    assert len(old) == len(new)
    return list(zip(old, new))


def assert_same_checkouts(repo: Path, ref: str = "refs/heads/main") -> int:
    """Every rewritten commit checks out to exactly the original commit's bytes."""
    branch = git(repo, "symbolic-ref", "-q", "HEAD", check=False).stdout.decode().strip()
    pairs = commit_pairs(repo, ref)
    for old, new in pairs:
        assert checked_out_files(repo, new) == original_files(repo, old), f"{new} differs from {old}"
        assert git(repo, "status", "--porcelain").stdout == b""
    if branch:
        git(repo, "checkout", "-q", branch.removeprefix("refs/heads/"))
    return len(pairs)


def blob_kinds(repo: Path, ref: str, path: str) -> list[bytes]:
    """The first line of ``path``'s blob in each commit of ``ref`` that has it."""
    out = []
    for commit in git(repo, "rev-list", ref).stdout.decode().split():
        proc = git(repo, "cat-file", "blob", f"{commit}:{path}", check=False)
        if proc.returncode == 0:
            out.append(proc.stdout.split(b"\n", 1)[0])
    return out


def crash_reports(repo: Path) -> list[str]:
    return [name for name in os.listdir(repo / ".git") if name.startswith("fast_import_crash")]
