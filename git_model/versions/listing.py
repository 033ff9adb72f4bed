"""`ls-files`: the models in one commit's tree, whether their content is local, and their
format read from the first bytes of the stored content."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from git_model.formats import HEAD_BYTES, detect
from git_model.git.pointers import pointers_in_tree
from git_model.git.repo import Repo
from git_model.pointer import Pointer
from git_model.store.reader import StoredFile
from git_model.store.store import LocalStore
from git_model.versions import JSON_VERSION
from git_model.versions.revisions import verify_commit
from git_model.versions.units import format_bytes


@dataclass(frozen=True)
class ModelFile:
    path: str
    blob: str
    pointer: Pointer
    present: bool
    format: str | None  # None when the content is not local or not a format we read

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "blob": self.blob, "oid": self.pointer.oid, "size": self.pointer.size,
            "present": self.present, "format": self.format,
        }

    def format_text(self) -> str:
        mark = "*" if self.present else "-"
        return f"{self.pointer.oid[:12]} {mark} {self.format or '?':<11} {format_bytes(self.pointer.size):>10}  {self.path}"


@dataclass(frozen=True)
class FileListing:
    rev: str
    commit: str
    files: tuple[ModelFile, ...]

    def to_json(self) -> dict[str, Any]:
        return {"version": JSON_VERSION, "rev": self.rev, "commit": self.commit, "files": [f.to_json() for f in self.files]}

    def format_text(self) -> str:
        return "\n".join(f.format_text() for f in self.files)


def stored_format(store: LocalStore, pointer: Pointer, path: str) -> str | None:
    """The format a stored model's first bytes (and name) show; reads one chunk at most."""
    with io.BufferedReader(StoredFile(store, pointer, path)) as handle:
        fmt = detect(path, handle.read(HEAD_BYTES))
    return fmt.name if fmt else None


def list_files(repo: Repo, store: LocalStore, rev: str = "HEAD") -> FileListing:
    """The tracked models (pointer blobs) in the tree of ``rev``; UsageError for an unknown rev."""
    commit = verify_commit(repo, rev)
    files = []
    for found in sorted(pointers_in_tree(repo, commit), key=lambda p: p.path):
        present = store.has_complete(found.pointer)
        fmt = stored_format(store, found.pointer, found.path) if present else None
        files.append(ModelFile(found.path, found.blob, found.pointer, present, fmt))
    return FileListing(rev, commit, tuple(files))
