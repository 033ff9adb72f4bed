"""Which blobs and paths are models: pointer blobs (two `git cat-file` calls for any number
of blobs) and paths whose attributes say ``filter=model`` (one `git check-attr` call)."""

from __future__ import annotations

from collections.abc import Iterable

from git_model.git.pointers import read_pointers
from git_model.git.repo import Repo
from git_model.pointer import Pointer


def pointers_of(repo: Repo, blobs: Iterable[str]) -> dict[str, Pointer]:
    """Blob id → pointer, for those of ``blobs`` whose content is a valid pointer."""
    wanted = list(dict.fromkeys(blobs))
    return {found.blob: found.pointer for found in read_pointers(repo, [(oid, "") for oid in wanted])}


def model_attribute_paths(repo: Repo, paths: list[str]) -> set[str]:
    """Those of ``paths`` whose gitattributes set ``filter=model`` (tracked as models now)."""
    if not paths:
        return set()
    out = repo.git("check-attr", "-z", "--stdin", "filter", input="\0".join(paths).encode() + b"\0").stdout
    fields = out.split(b"\0")
    return {
        fields[i].decode(errors="surrogateescape") for i in range(0, len(fields) - 2, 3) if fields[i + 2] == b"model"
    }
