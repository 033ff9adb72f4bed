"""The write side of `LocalStore.add`, on its own thread.

The caller's thread reads and chunks the input, names chunks and decides what is new; this
thread hashes the whole stream (sha256) and appends new chunks to packs, sealing each full
pack (fsync, rename, index file). hashlib and file writes release the GIL, so on two cores
the two halves overlap instead of adding up. The queue between them is bounded, so memory
stays at a few MB whatever the file size.

Ownership: every item handed to `submit` is an immutable `bytes` copy owned by this writer
from then on. Sealed packs are reported back through `take_sealed` so that only the caller's
thread touches the in-memory index.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from pathlib import Path
from typing import Callable

from git_model.store.pack import PackEntry, PackWriter

QUEUE_ITEMS = 32
_STOP = object()


class BackgroundPackWriter:
    def __init__(self, pack_dir: Path, pack_size: int, write_index: Callable[[str, list[PackEntry]], None]) -> None:
        self._pack_dir = pack_dir
        self._pack_size = pack_size
        self._write_index = write_index
        self._queue: queue.Queue[object] = queue.Queue(maxsize=QUEUE_ITEMS)
        self._sealed: queue.SimpleQueue[tuple[str, list[PackEntry]]] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._abort = False
        self.sha256 = hashlib.sha256()
        self._thread = threading.Thread(target=self._run, name="git-model-pack-writer", daemon=True)
        self._thread.start()

    def submit(self, raw: bytes, new: tuple[bytes, int, bytes | memoryview] | None) -> None:
        """Hash ``raw``; when ``new`` = (chunk id, codec, stored bytes), also store it."""
        if self._error is not None:
            raise self._error
        self._queue.put((raw, new))

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
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    break
                raw, new = item  # type: ignore[misc]
                self.sha256.update(raw)
                if new is None:
                    continue
                cid, codec, stored = new
                if pack is None:
                    pack = PackWriter(self._pack_dir)
                pack.add(cid, codec, stored, len(raw))
                if pack.size >= self._pack_size:
                    self._seal(pack)
                    pack = None
            if pack is not None:
                if self._abort:
                    pack.abort()
                else:
                    self._seal(pack)
                pack = None
        except BaseException as err:  # handed to the caller's thread by submit/finish
            self._error = err
            if pack is not None:
                pack.abort()
            while self._queue.get() is not _STOP:  # let a blocked submit finish
                pass

    def _seal(self, pack: PackWriter) -> None:
        pack_id, entries = pack.seal()
        self._write_index(pack_id, entries)
        self._sealed.put((pack_id, entries))
