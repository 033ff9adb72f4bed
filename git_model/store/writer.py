"""The write side of `LocalStore.add`, on its own thread.

The caller's thread reads blocks, cuts and names chunks and decides which are new; this thread
hashes each block's fresh bytes into the whole-file sha256, encodes the new chunks and appends
them to packs, sealing each full pack (fsync, rename, index file), then hands the block's
buffer back to the pool. hashlib, zstd and file writes release the GIL, so on two cores the two
halves overlap instead of adding up; the pool bounds memory to a few blocks. Full packs are
sealed on a third thread (`_Sealer`), so that waiting for the disk does not stop the hashing.

Ownership: a submitted block's buffer belongs to this thread until it is given back to the
pool; new chunks are views into it, so they are never copied. Sealed packs are reported back
through `take_sealed` so that only the caller's thread touches the in-memory index.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from pathlib import Path
from typing import Callable

from git_model.store.chunker import Block, BlockPool
from git_model.store.codec import Codec
from git_model.store.pack import PackEntry, PackWriter

_STOP = object()
_SYNC = object()
SYNC_AHEAD = 16 * 1024 * 1024  # bytes appended to the open pack between two early syncs


class BackgroundPackWriter:
    def __init__(
        self,
        pack_dir: Path,
        pack_size: int,
        write_index: Callable[[str, list[PackEntry]], None],
        pool: BlockPool,
        compression: str = "auto",
    ) -> None:
        self._pack_dir = pack_dir
        self._pack_size = pack_size
        self._write_index = write_index
        self._pool = pool
        self._codec = Codec(compression)  # zstd contexts are per thread
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()  # bounded by the pool
        self._sealed: queue.SimpleQueue[tuple[str, list[PackEntry]]] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._abort = False
        self.sha256 = hashlib.sha256()
        self.new_bytes = 0  # stored (encoded) bytes appended to packs
        self._thread = threading.Thread(target=self._run, name="git-model-pack-writer", daemon=True)
        self._thread.start()

    def submit(self, block: Block, new: list[tuple[bytes, memoryview]]) -> None:
        """Hash ``block.fresh``; store each (chunk id, data) of ``new``; then free the block."""
        if self._error is not None:
            self._pool.give(block.buffer)
            raise self._error
        self._queue.put((block, new))

    def take_sealed(self) -> list[tuple[str, list[PackEntry]]]:
        out = []
        while True:
            try:
                out.append(self._sealed.get_nowait())
            except queue.Empty:
                return out

    def finish(self) -> list[tuple[str, list[PackEntry]]]:
        """Seal the last pack and wait; re-raises the writer's error. Returns sealed packs."""
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.take_sealed()

    def abort(self) -> None:
        """Stop and discard the open pack (sealed packs stay: complete, merely unreferenced)."""
        self._abort = True
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        pack: PackWriter | None = None
        sealer = _Sealer(self._seal)
        try:
            while (item := self._queue.get()) is not _STOP:
                block, new = item  # type: ignore[misc]
                try:
                    if self._abort:
                        continue
                    self.sha256.update(block.fresh)
                    for cid, data in new:
                        codec, stored = self._codec.encode(data)
                        if pack is None:
                            pack = PackWriter(self._pack_dir)
                        before = pack.size
                        pack.add(cid, codec, stored, len(data))
                        self.new_bytes += len(stored)
                        if pack.size >= self._pack_size:
                            sealer.put(pack)
                            pack = None
                        elif before // SYNC_AHEAD != pack.size // SYNC_AHEAD:
                            sealer.sync_ahead(pack)
                finally:
                    self._pool.give(block.buffer)
                sealer.check()
            if pack is not None and not self._abort:
                sealer.put(pack)
                pack = None
            sealer.close()  # before an abort below: the sealer may still be syncing that pack
            if pack is not None:
                pack.abort()
        except BaseException as err:  # handed to the caller's thread by submit/finish
            self._error = err
            sealer.close(abort=True)
            if pack is not None:
                pack.abort()
            while (item := self._queue.get()) is not _STOP:  # free what is still queued
                self._pool.give(item[0].buffer)  # type: ignore[index]

    def _seal(self, pack: PackWriter) -> None:
        pack_id, entries = pack.seal()
        self._write_index(pack_id, entries)
        self._sealed.put((pack_id, entries))


class _Sealer:
    """Seals full packs (table, fsync, rename, index file) on a thread of its own, so that
    hashing goes on while the disk catches up: sealing a 64 MiB pack waits ~50 ms for the
    disk, 16 times per GiB of new data."""

    def __init__(self, seal: Callable[[PackWriter], None]) -> None:
        self._seal = seal
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._abort = False
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="git-model-pack-sealer", daemon=True)
        self._thread.start()

    def put(self, pack: PackWriter) -> None:
        self._queue.put(pack)

    def sync_ahead(self, pack: PackWriter) -> None:
        """Have the disk catch up with the open pack while the writer goes on appending."""
        self._queue.put((_SYNC, pack))

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self, abort: bool = False) -> None:
        """Wait until every pack put so far is sealed (or, with ``abort``, discarded)."""
        self._abort = abort
        self._queue.put(_STOP)
        self._thread.join()
        if not abort:
            self.check()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            if isinstance(item, tuple):  # (_SYNC, open pack)
                if self.error is None and not self._abort:
                    try:
                        item[1].sync_data()
                    except BaseException as err:
                        self.error = err
                continue
            pack = item
            assert isinstance(pack, PackWriter)
            if self.error is not None or self._abort:
                pack.abort()
                continue
            try:
                self._seal(pack)
            except BaseException as err:  # reported by check/close on the writer's thread
                self.error = err
                pack.abort()
