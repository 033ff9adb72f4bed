"""`stats`: what the history costs. Logical bytes are the sizes of every distinct model
version reachable from any ref; stored bytes are the compressed sizes of the distinct chunks
those versions reference, as the local packs hold them; pack bytes are the packs on disk
(including chunks no reachable version uses any more, and pack framing).

Per path, a version counts for each path it appeared at, and chunks shared with other paths
count for each of them; the total counts every version and every chunk once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from git_model.errors import MissingObjectError
from git_model.git.repo import Repo
from git_model.pointer import Pointer
from git_model.store.store import LocalStore
from git_model.versions import JSON_VERSION
from git_model.versions.chunkset import ChunkSet
from git_model.versions.history import model_changes, walk
from git_model.versions.units import format_bytes


@dataclass(frozen=True)
class Usage:
    """``missing_versions``: versions whose manifest is not local (their chunks are unknown);
    ``missing_chunks``: chunks local manifests list that no local pack holds."""

    versions: int
    logical_bytes: int
    stored_bytes: int
    chunks: int
    missing_versions: int
    missing_chunks: int

    def to_json(self) -> dict[str, Any]:
        return {
            "versions": self.versions, "logical_bytes": self.logical_bytes, "stored_bytes": self.stored_bytes,
            "chunks": self.chunks, "missing_versions": self.missing_versions, "missing_chunks": self.missing_chunks,
        }


@dataclass(frozen=True)
class StorageStats:
    models: tuple[tuple[str, Usage], ...]
    total: Usage
    packs: int
    pack_bytes: int

    def to_json(self) -> dict[str, Any]:
        return {
            "version": JSON_VERSION,
            "models": [{"path": path, **usage.to_json()} for path, usage in self.models],
            "total": {**self.total.to_json(), "packs": self.packs, "pack_bytes": self.pack_bytes},
        }

    def format_text(self) -> str:
        width = max([len("total"), *(len(p) for p, _ in self.models)])
        lines = [f"{'path':<{width}}  {'versions':>8}  {'logical':>10}  {'stored':>10}  ratio"]
        for path, usage in [*self.models, ("total", self.total)]:
            ratio = f"{usage.logical_bytes / usage.stored_bytes:.1f}x" if usage.stored_bytes else "-"
            lines.append(
                f"{path:<{width}}  {usage.versions:>8}  {format_bytes(usage.logical_bytes):>10}  "
                f"{format_bytes(usage.stored_bytes):>10}  {ratio}"
            )
        lines.append(f"packs on disk: {self.packs}, {format_bytes(self.pack_bytes)}")
        if self.total.missing_versions or self.total.missing_chunks:
            lines.append(
                f"not in the local store: {self.total.missing_versions} version(s), {self.total.missing_chunks} chunk(s) "
                "(their stored bytes are not counted; 'git model fetch' first)"
            )
        return "\n".join(lines)


def _usage(pointers: dict[str, Pointer], sets: dict[str, ChunkSet | None]) -> Usage:
    known = ChunkSet.union(s for oid, s in sets.items() if oid in pointers and s is not None)
    return Usage(
        versions=len(pointers),
        logical_bytes=sum(p.size for p in pointers.values()),
        stored_bytes=known.stored_bytes,
        chunks=len(known),
        missing_versions=sum(1 for oid in pointers if sets.get(oid) is None),
        missing_chunks=known.missing,
    )


def storage_stats(repo: Repo, store: LocalStore) -> StorageStats:
    """Usage per model path and in total over every ref (``git log --all``)."""
    by_path: dict[str, dict[str, Pointer]] = {}
    has_commits = repo.git("rev-parse", "--verify", "-q", "HEAD", check=False).returncode == 0
    refs = repo.git("for-each-ref", "--count=1", "--format=%(refname)").stdout.strip()
    if has_commits or refs:
        for _commit, change, pointer, _old in model_changes(repo, list(walk(repo, ["--all"], []))):
            by_path.setdefault(change.new_path, {})[pointer.oid] = pointer
    every = {oid: p for versions in by_path.values() for oid, p in versions.items()}
    sets: dict[str, ChunkSet | None] = {}
    for oid, pointer in every.items():
        try:
            sets[oid] = ChunkSet.of_version(store, pointer, pointer.short)
        except MissingObjectError:
            sets[oid] = None
    packs = list(store.pack_dir.glob("*.pack")) if store.pack_dir.is_dir() else []
    return StorageStats(
        models=tuple((path, _usage(versions, sets)) for path, versions in sorted(by_path.items())),
        total=_usage(every, sets),
        packs=len(packs),
        pack_bytes=sum(p.stat().st_size for p in packs),
    )
