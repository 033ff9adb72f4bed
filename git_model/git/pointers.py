"""Finding pointer blobs in Git history: in one tree, or reachable from a range of commits.

Only blobs of at most 1024 bytes can be pointers, so candidates are filtered by size with one
`git cat-file --batch-check` before any content is read with one `git cat-file --batch`.
"""

from __future__ import annotations

from dataclasses import dataclass

from git_model import pointer as pointer_mod
from git_model.git.committed import matches
from git_model.git.repo import Repo
from git_model.pointer import MAX_POINTER_SIZE, Pointer


@dataclass(frozen=True)
class TrackedPointer:
    path: str
    blob: str  # the pointer blob's object id
    pointer: Pointer


def read_pointers(repo: Repo, candidates: list[tuple[str, str]]) -> list[TrackedPointer]:
    """``candidates`` are (blob oid, path); returns those whose content is a pointer."""
    if not candidates:
        return []
    oids = list(dict.fromkeys(oid for oid, _ in candidates))
    check = repo.git("cat-file", "--batch-check", input="\n".join(oids).encode() + b"\n").stdout.splitlines()
    small = []
    for line in check:
        fields = line.decode().split()
        if len(fields) == 3 and fields[1] == "blob" and int(fields[2]) <= MAX_POINTER_SIZE:
            small.append(fields[0])
    if not small:
        return []
    out = repo.git("cat-file", "--batch", input="\n".join(small).encode() + b"\n").stdout
    found: dict[str, Pointer] = {}
    pos = 0
    while pos < len(out):
        header_end = out.index(b"\n", pos)
        oid, _kind, size = out[pos:header_end].decode().split()
        start = header_end + 1
        content = out[start : start + int(size)]
        pos = start + int(size) + 1
        parsed = pointer_mod.try_parse(content)
        if parsed is not None:
            found[oid] = parsed
    return [TrackedPointer(path, oid, found[oid]) for oid, path in candidates if oid in found]


def staged_pointer(repo: Repo, path: str) -> Pointer | None:
    """The pointer staged for ``path`` (index stage 0, honouring GIT_INDEX_FILE), if any."""
    if "\n" in path:
        return None
    check = repo.git("cat-file", "--batch-check", input=f":{path}\n".encode(), check=False).stdout.decode().split()
    if len(check) != 3 or check[1] != "blob" or int(check[2]) > MAX_POINTER_SIZE:
        return None
    blob = repo.git("cat-file", "blob", check[0], check=False)
    return pointer_mod.try_parse(blob.stdout) if blob.returncode == 0 else None


def pointers_in_tree(
    repo: Repo, rev: str = "HEAD", include: list[str] | None = None, exclude: list[str] | None = None
) -> list[TrackedPointer]:
    """Pointers in the tree of ``rev``, optionally filtered by gitattributes-style patterns."""
    listing = repo.git("ls-tree", "-r", "-z", rev).stdout.split(b"\0")
    candidates = []
    for entry in filter(None, listing):
        meta, _, name = entry.partition(b"\t")
        _mode, kind, oid = meta.decode().split()
        path = name.decode(errors="surrogateescape")
        if kind != "blob":
            continue
        if include and not any(matches(p, path) for p in include):
            continue
        if exclude and any(matches(p, path) for p in exclude):
            continue
        candidates.append((oid, path))
    return read_pointers(repo, candidates)


def pointers_in_range(repo: Repo, include: list[str], exclude: list[str]) -> list[TrackedPointer]:
    """Pointers in any commit reachable from ``include`` and not from ``exclude``."""
    if not include:
        return []
    args = ["rev-list", "--objects", *include]
    if exclude:
        args += ["--not", *exclude]
    lines = repo.git(*args).stdout.decode(errors="surrogateescape").splitlines()
    candidates = []
    for line in lines:
        oid, _, path = line.partition(" ")
        if path:
            candidates.append((oid, path))
    return read_pointers(repo, candidates)
