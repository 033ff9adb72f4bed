"""A stored model as a seekable, read-only binary file, without rebuilding it on disk.

Model headers (safetensors, ONNX, GGUF) and single tensors are read by seeking into the
model; this maps file offsets to chunks through the manifest and decodes only the chunks a
read touches (each verified against its id). Memory: 8 bytes per chunk for the offset table
plus the last chunk read.
"""

from __future__ import annotations

import io
from bisect import bisect_right

import numpy as np

from git_model.errors import MissingObjectError
from git_model.pointer import Pointer
from git_model.store.store import LocalStore


class StoredFile(io.RawIOBase):
    """``open()``-like access to the model ``pointer`` names; the store must hold it whole
    (`LocalStore.has_complete`), else reads raise MissingObjectError naming ``source``."""

    def __init__(self, store: LocalStore, pointer: Pointer, source: str = "<model>") -> None:
        super().__init__()
        self._store = store
        self._pointer = pointer
        self._source = source
        entries = list(store.manifest_entries(pointer, source))
        self._ids = [cid for cid, _ in entries]
        lengths = np.fromiter((n for _, n in entries), dtype=np.int64, count=len(entries))
        self._starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(entries) else np.zeros(0, np.int64)
        self._starts_list = self._starts.tolist()
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    @property
    def size(self) -> int:
        return self._pointer.size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        position = base + offset
        if position < 0:
            raise ValueError(f"{self._source}: negative seek position {position}")
        self._pos = position
        return position

    def _chunk(self, number: int) -> bytes:
        if self._cached is not None and self._cached[0] == number:
            return self._cached[1]
        cid = self._ids[number]
        location = self._store.index.lookup(cid)
        if location is None:
            raise MissingObjectError(
                f"{self._source}: chunk {cid.hex()} is not in the local store; run 'git model fetch'"
            )
        data = self._store.read_chunk(cid, location, self._source)
        self._cached = (number, data)
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        target = memoryview(buffer).cast("B")
        written = 0
        while written < len(target) and self._pos < self.size:
            number = bisect_right(self._starts_list, self._pos) - 1
            data = self._chunk(number)
            inner = self._pos - self._starts_list[number]
            n = min(len(data) - inner, len(target) - written)
            target[written : written + n] = data[inner : inner + n]
            written += n
            self._pos += n
        return written
