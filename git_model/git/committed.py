"""What is committed: tracked paths whose blobs at HEAD are not pointers."""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath

from git_model import pointer as pointer_mod
from git_model.git.repo import Repo


def matches(pattern: str, path: str) -> bool:
    """gitattributes matching, simplified: no slash → basename at any depth; else from root."""
    if "/" not in pattern.rstrip("/"):
        return fnmatch.fnmatchcase(PurePosixPath(path).name, pattern)
    return fnmatch.fnmatchcase(path, pattern.lstrip("/"))


def committed_plain_blobs(repo: Repo, patterns: list[str]) -> list[str]:
    """Paths in HEAD matching ``patterns`` whose blob is not a git-model pointer."""
    head = repo.git("rev-parse", "--verify", "-q", "HEAD", check=False)
    if head.returncode != 0:
        return []
    listing = repo.git("ls-tree", "-r", "-z", "--long", "HEAD").stdout.split(b"\0")
    candidates: list[tuple[str, str, str]] = []
    for entry in filter(None, listing):
        meta, _, name = entry.partition(b"\t")
        _mode, kind, oid, size = meta.split()
        path = name.decode(errors="surrogateescape")
        if kind == b"blob" and any(matches(p, path) for p in patterns):
            candidates.append((path, oid.decode(), size.decode()))
    plain = [path for path, _, size in candidates if int(size) > pointer_mod.MAX_POINTER_SIZE]
    small = [(path, oid) for path, oid, size in candidates if int(size) <= pointer_mod.MAX_POINTER_SIZE]
    for path, oid in small:
        blob = repo.git("cat-file", "blob", oid).stdout
        if pointer_mod.try_parse(blob) is None:
            plain.append(path)
    return sorted(plain)
