"""Which Git blobs are git-model pointers, for many blobs at once (two `git cat-file` calls)."""

from __future__ import annotations

from typing import Iterable

from git_model.git.pointers import read_pointers
from git_model.git.repo import Repo
from git_model.pointer import Pointer


def pointers_of(repo: Repo, blobs: Iterable[str]) -> dict[str, Pointer]:
    """Blob id → pointer, for those of ``blobs`` whose content is a valid pointer."""
    wanted = list(dict.fromkeys(blobs))
    return {found.blob: found.pointer for found in read_pointers(repo, [(oid, "") for oid in wanted])}
