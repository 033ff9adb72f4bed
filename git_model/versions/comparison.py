"""`diff`: model-aware comparison of two versions of each changed model path.

A side is a stored version (a pointer: read through `StoredFile`, never rebuilt on disk) or a
working-tree file (read in place). Tensors are compared by `git_model.formats.diff`; files in
no format we read fall back to size and oid. For two versions we also report how many
distinct chunks they share: what the store did not have to keep twice.

Which paths: those Git reports changed (``git diff-tree`` for two commits; ``git diff-index``,
stat-based, for a commit against the working tree) whose blob on either side is a pointer, or
whose attributes say ``filter=model``. A working-tree file git cannot vouch for by its stat
data is read once (chunked and hashed, memory bounded by one chunk) to get its oid and chunks.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from git_model import pointer as pointer_mod
from git_model.errors import UsageError
from git_model.formats import HEAD_BYTES, ModelInfo, detect
from git_model.formats.diff import ModelDiff, diff_models
from git_model.git.repo import Repo
from git_model.pointer import MAX_POINTER_SIZE, Pointer
from git_model.store.chunker import chunks
from git_model.store.reader import StoredFile
from git_model.store.store import LocalStore, chunk_id
from git_model.versions import JSON_VERSION
from git_model.versions.chunkset import ChunkSet
from git_model.versions.rawdiff import parse_raw
from git_model.versions.revisions import resolve_model, verify_commit
from git_model.versions.tracking import model_attribute_paths, pointers_of
from git_model.versions.units import format_bytes, format_percent

Fetch = Callable[[list[Pointer]], object]
WORKTREE = "working tree"


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a stored version (``pointer``) or a working-tree ``file``.
    ``label`` names it in messages (``HEAD~1:model.onnx``, ``model.onnx (working tree)``)."""

    path: str
    label: str
    size: int
    oid: str
    pointer: Pointer | None = None
    file: Path | None = None
    chunk_set: ChunkSet | None = None  # known for working-tree files (computed when hashed)

    @property
    def source(self) -> str:
        return "store" if self.pointer is not None else "worktree"

    def open(self, store: LocalStore) -> BinaryIO:
        """A seekable binary stream over the content; the caller closes it."""
        if self.pointer is not None:
            return io.BufferedReader(StoredFile(store, self.pointer, self.label))
        assert self.file is not None
        return open(self.file, "rb")

    def chunks(self, store: LocalStore) -> ChunkSet:
        if self.chunk_set is not None:
            return self.chunk_set
        assert self.pointer is not None
        return ChunkSet.of_version(store, self.pointer, self.label)


def stored_side(path: str, rev_label: str, pointer: Pointer) -> Side:
    return Side(path, f"{rev_label}:{path}", pointer.size, pointer.oid, pointer=pointer)


def worktree_side(repo: Repo, store: LocalStore, path: str) -> Side | None:
    """The working-tree file at ``path`` (None when absent). A pointer left in the working tree
    stands for its stored version; any other file is chunked and hashed in one pass."""
    assert repo.worktree is not None
    full = repo.worktree / path
    if not full.is_file():
        return None
    label = f"{path} ({WORKTREE})"
    if full.stat().st_size <= MAX_POINTER_SIZE:
        parsed = pointer_mod.try_parse(full.read_bytes())
        if parsed is not None:
            return Side(path, label, parsed.size, parsed.oid, pointer=parsed)
    digest = hashlib.sha256()
    entries = []
    size = 0
    with open(full, "rb") as handle:
        for data in chunks(handle):
            digest.update(data)
            entries.append((chunk_id(data), len(data)))
            size += len(data)
    return Side(path, label, size, digest.hexdigest(), file=full, chunk_set=ChunkSet.from_entries(entries, store.index))


@dataclass(frozen=True)
class ChunkShare:
    """Distinct chunks of each version and those both have; ``shared_bytes`` are raw bytes of
    the new version's distinct chunks that the old one has, ``new_bytes`` all of them."""

    old: int
    new: int
    shared: int
    shared_bytes: int
    new_bytes: int

    @property
    def share(self) -> float:
        return self.shared_bytes / self.new_bytes if self.new_bytes else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old, "new": self.new, "shared": self.shared,
            "shared_bytes": self.shared_bytes, "new_bytes": self.new_bytes, "share": round(self.share, 6),
        }


def chunk_share(old: ChunkSet, new: ChunkSet) -> ChunkShare:
    common = new.common(old)
    return ChunkShare(len(old), len(new), len(common), common.raw_bytes, new.raw_bytes)


@dataclass(frozen=True)
class SideSummary:
    oid: str
    size: int
    format: str | None
    source: str  # "store" | "worktree"

    def to_json(self) -> dict[str, Any]:
        return {"oid": self.oid, "size": self.size, "format": self.format, "source": self.source}


@dataclass(frozen=True)
class FileDiff:
    path: str
    status: str  # "added" | "deleted" | "modified"
    old: SideSummary | None
    new: SideSummary | None
    chunks: ChunkShare | None
    model: ModelDiff | None  # None when a side is in no format we read
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "status": self.status,
            "old": self.old.to_json() if self.old else None,
            "new": self.new.to_json() if self.new else None,
            "chunks": self.chunks.to_json() if self.chunks else None,
            "model": self.model.to_json() if self.model else None,
            "note": self.note,
        }

    def format_text(self, old_name: str, new_name: str) -> str:
        lines = [f"{self.path}: {self.status}"]
        for name, side in ((old_name, self.old), (new_name, self.new)):
            if side is not None:
                lines.append(f"  {name:<14} {side.oid[:12]}  {format_bytes(side.size):>10}  {side.format or 'unknown format'}")
        if self.chunks is not None:
            c = self.chunks
            lines.append(
                f"  chunks: {c.shared} of {c.new} shared with the old version "
                f"({format_percent(c.share)} of the new version's bytes)"
            )
        if self.model is not None:
            lines += [f"  {line}" for line in self.model.format_text().splitlines()]
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)


@dataclass(frozen=True)
class DiffReport:
    old_rev: str
    new_rev: str | None  # None: the working tree
    files: tuple[FileDiff, ...]

    def to_json(self) -> dict[str, Any]:
        return {"version": JSON_VERSION, "old_rev": self.old_rev, "new_rev": self.new_rev, "files": [f.to_json() for f in self.files]}

    def format_text(self) -> str:
        if not self.files:
            return "no model changes"
        new_name = self.new_rev or WORKTREE
        return "\n\n".join(f.format_text(self.old_rev, new_name) for f in self.files)


def _read_info(side: Side, stream: BinaryIO) -> ModelInfo | None:
    """The side's header, None when it is in no format we read; FormatError when malformed."""
    stream.seek(0)
    fmt = detect(side.path, stream.read(HEAD_BYTES))
    if fmt is None:
        return None
    return fmt.read(stream, side.label)


def diff_sides(store: LocalStore, old: Side | None, new: Side | None) -> FileDiff:
    """Compare two sides of one path (either may be absent, not both). Stored sides must be
    in the local store (fetch first). FormatError when a header is malformed."""
    either = new if new is not None else old
    assert either is not None, "diff_sides needs at least one side"
    path = either.path
    status = "added" if old is None else "deleted" if new is None else "modified"
    streams: list[BinaryIO] = []
    try:
        infos: list[ModelInfo | None] = []
        for side in (old, new):
            if side is None:
                streams.append(io.BytesIO())
                infos.append(None)
            else:
                streams.append(side.open(store))
                infos.append(_read_info(side, streams[-1]))
        old_info, new_info = infos
        model: ModelDiff | None = None
        note = None
        if (old is None or old_info is not None) and (new is None or new_info is not None):
            known = new_info if new_info is not None else old_info
            assert known is not None
            empty = ModelInfo(known.format, ())
            model = diff_models(
                old_info or empty, streams[0], new_info or empty, streams[1],
                old_name=old.label if old else "(absent)", new_name=new.label if new else "(absent)",
            )
        else:
            note = "not in a model format we read (safetensors, onnx, gguf): compared by size and oid only"
        share = chunk_share(old.chunks(store), new.chunks(store)) if old and new else None
    finally:
        for stream in streams:
            stream.close()
    return FileDiff(
        path, status,
        SideSummary(old.oid, old.size, old_info.format if old_info else None, old.source) if old else None,
        SideSummary(new.oid, new.size, new_info.format if new_info else None, new.source) if new else None,
        share, model, note,
    )


def changed_sides(
    repo: Repo, store: LocalStore, old_rev: str, new_rev: str | None, paths: list[str]
) -> list[tuple[Side | None, Side | None]]:
    """The (old, new) sides of every changed model path, in Git's path order."""
    old_commit = verify_commit(repo, old_rev)
    if new_rev is None:
        if repo.worktree is None:
            raise UsageError("a bare repository has no working tree to compare with: name two revisions")
        out = repo.git("diff-index", "-z", "--raw", "--no-abbrev", "--no-renames", old_commit, "--", *paths).stdout
    else:
        new_commit = verify_commit(repo, new_rev)
        out = repo.git("diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--no-renames", old_commit, new_commit, "--", *paths).stdout
    changes = parse_raw(out)
    pointers = pointers_of(repo, (b for c in changes for b in (c.old_blob, c.new_blob) if b))
    in_worktree = [c.new_path for c in changes if new_rev is None and c.new_blob is None]
    by_attr = model_attribute_paths(repo, in_worktree)
    pairs: list[tuple[Side | None, Side | None]] = []
    for change in changes:
        old_ptr = pointers.get(change.old_blob or "")
        old = stored_side(change.old_path, old_rev, old_ptr) if old_ptr else None
        if change.new_blob is not None:
            new_ptr = pointers.get(change.new_blob)
            new = None
            if new_ptr is not None and new_rev is not None:
                new = stored_side(change.new_path, new_rev, new_ptr)
            elif new_ptr is not None:  # the working-tree file, stat-clean against this index blob
                label = f"{change.new_path} ({WORKTREE})"
                new = Side(change.new_path, label, new_ptr.size, new_ptr.oid, pointer=new_ptr)
        elif new_rev is None and (old is not None or change.new_path in by_attr):
            new = worktree_side(repo, store, change.new_path)
        else:
            new = None
        if old is None and new is None:
            continue  # not a model on either side
        if old is not None and new is not None and old.oid == new.oid:
            continue  # stale stat data: the content is the same
        pairs.append((old, new))
    return pairs


def diff_revisions(
    repo: Repo, store: LocalStore, old_rev: str, new_rev: str | None, paths: list[str], fetch: Fetch
) -> DiffReport:
    """Compare ``old_rev`` with ``new_rev`` (None: the working tree) for model paths matching
    ``paths`` (pathspecs; none: all). ``fetch`` is given every stored version needed first."""
    pairs = changed_sides(repo, store, old_rev, new_rev, paths)
    needed = [s.pointer for pair in pairs for s in pair if s is not None and s.pointer is not None]
    if needed:
        fetch(list({p.oid: p for p in needed}.values()))
    return DiffReport(old_rev, new_rev, tuple(diff_sides(store, old, new) for old, new in pairs))


def side_at(repo: Repo, store: LocalStore, path: str, rev: str | None) -> Side:
    """One version of ``path``: at ``rev`` (stored), or in the working tree when ``rev`` is None.
    UsageError when there is none."""
    if rev is None:
        side = worktree_side(repo, store, path)
        if side is None:
            raise UsageError(f"'{path}' is not in the working tree")
        return side
    ref = resolve_model(repo, rev, path)
    return stored_side(path, rev, ref.pointer)
