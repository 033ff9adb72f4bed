"""The two blob conversions of `migrate`, each converting a blob once however often it occurs.

`ToModel` (import): an ordinary blob is streamed from `git cat-file` into `LocalStore.add`; an
LFS pointer's object is streamed from the LFS directory into `LocalStore.add` and must hash to
the pointer's oid and size; a git-model pointer stays. The replacement is the git-model pointer,
returned only after the store holds the model durably.

`ToBlob` (export): a git-model pointer becomes the model's bytes, streamed from the store
(verified chunk by chunk, and the whole file's sha256 at the end).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from git_model.errors import CorruptObjectError, GitModelError
from git_model.migrate.catfile import CatFile
from git_model.migrate.lfs import LfsObjects, LfsPointer
from git_model.migrate.rewrite import Replacement
from git_model.migrate.scan import LFS, MODEL, PLAIN, BlobInfo
from git_model.pointer import Pointer
from git_model.store.store import LocalStore

Progress = Callable[[str, int], None]  # (path, bytes) after each converted blob


@dataclass
class ConvertStats:
    blobs: int = 0  # distinct blobs converted
    lfs_blobs: int = 0  # of which were Git LFS pointers
    bytes: int = 0  # content bytes of those blobs
    stored_bytes: int = 0  # bytes the store grew by (after dedup and compression)


class ToModel:
    def __init__(self, store: LocalStore, cat: CatFile, lfs: LfsObjects, blobs: dict[str, BlobInfo], progress: Progress | None = None) -> None:
        self._store = store
        self._cat = cat
        self._lfs = lfs
        self._blobs = blobs
        self._progress = progress
        self._done: dict[str, bytes] = {}  # blob id → pointer bytes
        self.stats = ConvertStats()

    def replacement(self, oid: str, path: str) -> Replacement | None:
        if oid not in self._done:
            info = self._blobs.get(oid)
            if info is None:
                raise GitModelError(f"{path}: blob {oid} was not seen by the pre-flight scan")
            if info.kind == MODEL:
                return None
            pointer = self._from_lfs(info.lfs, path) if info.kind == LFS else self._from_blob(info, path)  # type: ignore[arg-type]
            self._done[oid] = pointer.encode()
            self.stats.blobs += 1
            self.stats.lfs_blobs += info.kind == LFS
            self.stats.bytes += pointer.size
            if self._progress is not None:
                self._progress(path, pointer.size)
        return Replacement.of(self._done[oid])

    def _from_blob(self, info: BlobInfo, path: str) -> Pointer:
        assert info.kind == PLAIN
        result = self._store.add(self._cat.open(info.oid))  # type: ignore[arg-type]
        if result.pointer.size != info.size:
            raise CorruptObjectError(f"{path}: blob {info.oid} read as {result.pointer.size} bytes, expected {info.size}")
        self.stats.stored_bytes += result.new_bytes
        return result.pointer

    def _from_lfs(self, lfs: LfsPointer, path: str) -> Pointer:
        problem = self._lfs.problem(lfs)
        if problem is not None:
            raise GitModelError(f"{path}: LFS object {lfs.oid} {problem}")
        with open(self._lfs.path(lfs.oid), "rb") as source:
            result = self._store.add(source)
        if result.pointer.oid != lfs.oid or result.pointer.size != lfs.size:
            raise CorruptObjectError(
                f"{path}: LFS object {lfs.oid} is corrupt (its content hashes to sha256 {result.pointer.oid})"
            )
        self.stats.stored_bytes += result.new_bytes
        return result.pointer


class ToBlob:
    def __init__(self, store: LocalStore, blobs: dict[str, BlobInfo], progress: Progress | None = None) -> None:
        self._store = store
        self._blobs = blobs
        self._progress = progress
        self._seen: set[str] = set()
        self.stats = ConvertStats()

    def replacement(self, oid: str, path: str) -> Replacement | None:
        info = self._blobs.get(oid)
        if info is None or info.pointer is None:
            return None
        pointer = info.pointer
        if oid not in self._seen:
            self._seen.add(oid)
            self.stats.blobs += 1
            self.stats.bytes += pointer.size
            if self._progress is not None:
                self._progress(path, pointer.size)
        return Replacement(pointer.size, lambda: self._store.read(pointer, path))
