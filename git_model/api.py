"""A small Python API over a git-model repository (documented with examples in docs/api.md).

    from git_model.api import Repository

    repo = Repository.open("path/to/repo")
    for version in repo.versions("model.safetensors"):
        print(version.commit.oid[:10], version.pointer.size, version.growth)
    with repo.open("model.safetensors", rev="HEAD~2") as f:   # no checkout needed
        header = f.read(8)
    print(repo.diff("model.safetensors", "HEAD~1", "HEAD").format_text())

Paths are relative to the top of the working tree. Versions are read from the local store,
fetched from the default remote first when it lacks them; the working tree is never written.
Errors are the `git_model.errors` classes (UsageError for an unknown revision or a path that
is not a tracked model, FormatError for a malformed header, MissingObjectError when a version
is neither local nor fetchable).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from git_model.context import AppContext
from git_model.errors import FormatError
from git_model.formats import ModelInfo
from git_model.formats.diff import ModelDiff
from git_model.store.atomic import AtomicFile
from git_model.store.reader import StoredFile
from git_model.versions.comparison import (
    DiffReport,
    FileDiff,
    diff_revisions,
    diff_sides,
    side_at,
)
from git_model.versions.history import Version, model_log
from git_model.versions.listing import FileListing, list_files
from git_model.versions.revisions import ModelRef, resolve_model
from git_model.versions.storage import StorageStats, storage_stats
from git_model.versions.summary import read_header

__all__ = ["ModelDiff", "ModelInfo", "Repository", "Version"]


class _ClassOrInstanceMethod:
    """``Repository.open(path)`` opens a repository; ``repo.open(path, rev)`` opens a model
    version: one name, as the issue asked, dispatched on how it is looked up."""

    def __init__(self, on_class: Callable[..., Any], on_instance: Callable[..., Any]) -> None:
        self._on_class = on_class
        self._on_instance = on_instance
        self.__doc__ = f"{on_class.__doc__}\n\nOn an instance: {on_instance.__doc__}"

    def __get__(self, obj: Any, owner: type) -> Callable[..., Any]:
        if obj is None:
            return functools.partial(self._on_class, owner)
        return functools.partial(self._on_instance, obj)


def _open_repository(cls: type[Repository], path: str | Path = ".") -> Repository:
    """The repository containing ``path`` (NotARepositoryError outside one)."""
    app = AppContext(Path(path).resolve())
    _ = app.repo  # locate it now: errors belong to this call, not to a later one
    return cls(app)


def _open_version(self: Repository, path: str, rev: str = "HEAD") -> io.BufferedReader:
    """A seekable read-only binary stream over ``path`` at ``rev`` (fetching it when the local
    store lacks it). Close it, or use it in a ``with`` block."""
    ref = self._ref(path, rev)
    return io.BufferedReader(StoredFile(self._app.store, ref.pointer, ref.label))


class Repository:
    """One repository and its model store. Build it with ``Repository.open(path)``."""

    def __init__(self, app: AppContext) -> None:
        self._app = app

    open = _ClassOrInstanceMethod(_open_repository, _open_version)

    @property
    def root(self) -> Path | None:
        """The top of the working tree (None for a bare repository)."""
        return self._app.repo.worktree

    def _ref(self, path: str, rev: str) -> ModelRef:
        ref = resolve_model(self._app.repo, rev, path)
        self._app.ensure_local([ref.pointer])
        return ref

    def versions(self, path: str, revs: list[str] | None = None, all_refs: bool = False) -> list[Version]:
        """The versions of ``path`` (following renames), newest first, in the history of
        ``revs`` (default HEAD) or of every ref. UsageError when there are none."""
        selected = (["--all"] if all_refs else []) + list(revs or [])
        history = model_log(self._app.repo, self._app.store, selected, [path])
        return [v for model in history.models for v in model.versions]

    def files(self, rev: str = "HEAD") -> FileListing:
        """The models in the tree of ``rev`` (what `git model ls-files` lists)."""
        return list_files(self._app.repo, self._app.store, rev)

    def read_to(self, path: str, rev: str, dest: str | Path) -> Path:
        """Write ``path`` at ``rev`` to ``dest`` atomically (verified); returns ``dest``."""
        ref = self._ref(path, rev)
        target = Path(dest).resolve()
        with AtomicFile(target.parent, target) as out:
            for block in self._app.store.read(ref.pointer, ref.label):
                out.write(block)
            out.commit()
        return target

    def info(self, path: str, rev: str = "HEAD") -> ModelInfo:
        """The header of ``path`` at ``rev``: format, tensors, metadata (headers only)."""
        with self.open(path, rev) as handle:
            info = read_header(handle, f"{rev}:{path}")
        if info is None:
            raise FormatError(f"{rev}:{path}: not a model file in a format we read (safetensors, onnx, gguf)")
        return info

    def compare(self, path: str, rev_a: str, rev_b: str | None = "HEAD") -> FileDiff:
        """`git model diff` for one path: tensors, chunk share, sizes. ``rev_b`` None means
        the working-tree file."""
        repo, store = self._app.repo, self._app.store
        old = side_at(repo, store, path, rev_a)
        new = side_at(repo, store, path, rev_b)
        self._app.ensure_local([s.pointer for s in (old, new) if s.pointer is not None])
        return diff_sides(store, old, new)

    def diff(self, path: str, rev_a: str, rev_b: str | None = "HEAD") -> ModelDiff:
        """Tensors added, removed and changed between two versions of ``path`` (``rev_b``
        None: the working tree). FormatError when a side is in no format we read."""
        result = self.compare(path, rev_a, rev_b)
        if result.model is None:
            raise FormatError(f"{path}: {result.note}")
        return result.model

    def diff_all(self, rev_a: str = "HEAD", rev_b: str | None = None, paths: list[str] | None = None) -> DiffReport:
        """`git model diff REV_A [REV_B] -- PATHS`: every changed model path."""
        return diff_revisions(self._app.repo, self._app.store, rev_a, rev_b, list(paths or []), self._app.ensure_local)

    def stats(self) -> StorageStats:
        """Logical against stored bytes over every ref (`git model stats`)."""
        return storage_stats(self._app.repo, self._app.store)
