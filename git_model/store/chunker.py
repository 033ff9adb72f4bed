"""Content-defined chunk boundaries (FastCDC 2020 via pyfastcdc).

The chunker only finds split points; it does no I/O of its own beyond reading the stream it is
given. Two ways to use it, cutting at exactly the same boundaries:

- `chunks(stream)` yields one memoryview per chunk, valid only until the next step.
- `cut_blocks(stream, pool)` fills large blocks (`BLOCK_BYTES`) from a bounded `BlockPool`
  and yields each with the complete chunks it holds. `LocalStore.add` uses it so that the
  whole-file hash and pack writes can run on another thread over a block while the next block
  is read and cut, without copying each chunk.

FastCDC's cut for a chunk depends only on the next `MAX_SIZE` bytes, so a chunk is cut in a
block only while at least that much follows it (or the stream has ended); the rest of the
block is carried over to the head of the next one.
"""

from __future__ import annotations

import mmap
import os
import queue
import threading
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterator

from pyfastcdc import FastCDC

from git_model.store.follow import PreviousVersion, follow

MIN_SIZE = 16 * 1024
AVG_SIZE = 64 * 1024
MAX_SIZE = 256 * 1024
BLOCK_BYTES = 4 * 1024 * 1024
POOL_BLOCKS = 5
HEADROOM = MAX_SIZE  # room before a block's data for the previous block's tail
READER_NICE = 5  # reading only waits on Git; sha256 on the writer thread sets the pace


def _fastcdc() -> FastCDC:
    return FastCDC(avg_size=AVG_SIZE, min_size=MIN_SIZE, max_size=MAX_SIZE)


def chunks(stream: BinaryIO) -> Iterator[memoryview]:
    """Yield the content-defined chunks of ``stream`` in order (empty stream: nothing)."""
    for chunk in _fastcdc().cut_stream(stream):
        yield chunk.data


class BlockPool:
    """A fixed number of reusable buffers: memory stays at ``count`` blocks whatever the file
    size, and `take` waits while every buffer is still in use downstream. Each buffer has
    `HEADROOM` bytes in front of its ``size`` bytes of stream data, for the carried-over tail
    of the block before it. Buffers are anonymous mappings made on first need: a small file
    touches a few pages of one block instead of zeroing the whole pool (a `git add` of 500
    small files spent 7 s in the kernel zeroing bytearrays)."""

    def __init__(self, count: int = POOL_BLOCKS, size: int = BLOCK_BYTES) -> None:
        if size < MAX_SIZE:
            raise ValueError(f"block size {size} is below the largest chunk")
        self.size = size
        self._count = count
        self._made = 0
        self._free: queue.SimpleQueue[mmap.mmap] = queue.SimpleQueue()

    def take(self, timeout: float | None = None) -> mmap.mmap:
        """A free buffer; queue.Empty after ``timeout`` seconds. One thread takes."""
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        if self._made < self._count:
            self._made += 1
            return mmap.mmap(-1, HEADROOM + self.size)
        return self._free.get(timeout=timeout)

    def give(self, buffer: mmap.mmap) -> None:
        self._free.put(buffer)


@dataclass
class Block:
    """One filled buffer: ``fresh`` is what was read from the stream into it (the carried-over
    head was read into the block before), ``chunks`` the complete chunks it holds, in order,
    and ``ids`` their xxh3-128 ids where already known (None: not computed yet).
    The owner hands ``buffer`` back to the pool when it is done with the views."""

    buffer: mmap.mmap
    fresh: memoryview
    chunks: list[memoryview] = field(default_factory=list)
    ids: list[bytes | None] = field(default_factory=list)


PreviousSource = Callable[[], "PreviousVersion | None"]


class Cutter:
    """Cuts successive blocks of one stream. Given a source of the previous version (asked
    once the stream proves larger than one block, so small files pay nothing), chunks that
    are unchanged at the same offset are found without running FastCDC over them
    (`git_model.store.follow`); the boundaries are the same either way."""

    def __init__(self, previous: PreviousSource | None = None) -> None:
        self._cdc = _fastcdc()
        self._source = previous
        self._previous: PreviousVersion | None = None
        self._at = 0  # stream offset of the next block's first byte

    def cut(self, data: memoryview, at_end: bool) -> tuple[list[memoryview], list[bytes | None], int]:
        """(chunks, ids or None, bytes consumed); the rest of ``data`` is to be carried over."""
        if self._source is not None and not at_end:
            self._previous, self._source = self._source(), None
            if self._previous is not None:
                self._previous.skip_to(self._at)
        previous = self._previous
        chunks: list[memoryview] = []
        ids: list[bytes | None] = []
        pos, end = 0, len(data)
        while pos < end and (at_end or end - pos >= MAX_SIZE):
            if previous is not None:
                run = follow(previous, data, pos, self._at + pos, MAX_SIZE)
                if run:
                    for length, cid in run:
                        chunks.append(data[pos : pos + length])
                        ids.append(cid)
                        pos += length
                    continue
            chunk = next(iter(self._cdc.cut_buf(data[pos:])))
            chunks.append(chunk.data)
            ids.append(None)
            pos += chunk.length
            if previous is not None:
                previous.skip_to(self._at + pos)  # in step again where both versions cut alike
        self._at += pos
        return chunks, ids, pos


class _Reader:
    """Fills pool buffers from the stream on its own thread, so that reading Git's pipe (a
    kernel copy, GIL released) overlaps cutting the block before."""

    def __init__(self, stream: BinaryIO, pool: BlockPool) -> None:
        self._stream = stream
        self._pool = pool
        self._stop = threading.Event()
        self.filled: queue.SimpleQueue[tuple[mmap.mmap, int, bool] | BaseException] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="git-model-reader", daemon=True)
        self._thread.start()

    def _take(self) -> mmap.mmap | None:
        while not self._stop.is_set():
            try:
                return self._pool.take(timeout=0.05)
            except queue.Empty:
                continue
        return None

    def _run(self) -> None:
        try:  # the hashing thread is the bottleneck of `add`: let it have the CPU first
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), READER_NICE)
        except (OSError, AttributeError):
            pass
        try:
            at_end = False
            while not at_end and (buffer := self._take()) is not None:
                view = memoryview(buffer)
                filled = HEADROOM
                while filled < len(view) and not self._stop.is_set():
                    n = self._stream.readinto(view[filled:])
                    if not n:
                        at_end = True
                        break
                    filled += n
                self.filled.put((buffer, filled - HEADROOM, at_end))
        except BaseException as err:  # handed to the cutting thread
            self.filled.put(err)

    def close(self) -> None:
        """Stop reading and wait: the caller may read the stream itself afterwards (the
        filter drains the rest of a failed file), so this thread must be gone by then."""
        self._stop.set()
        self._thread.join()


def cut_blocks(stream: BinaryIO, pool: BlockPool, previous: PreviousSource | None = None) -> Iterator[Block]:
    """Yield the stream as blocks of complete chunks (an empty stream: one empty block).
    Close the generator (or exhaust it) before touching ``stream`` again."""
    cutter = Cutter(previous)
    carry = b""
    reader = _Reader(stream, pool)
    try:
        while True:
            item = reader.filled.get()
            if isinstance(item, BaseException):
                raise item
            buffer, fresh_len, at_end = item
            view = memoryview(buffer)
            start = HEADROOM - len(carry)
            view[start:HEADROOM] = carry
            data = view[start : HEADROOM + fresh_len]
            chunks, ids, used = cutter.cut(data, at_end)
            carry = bytes(data[used:])  # copied: the block may be reused before the next one
            yield Block(buffer, view[HEADROOM : HEADROOM + fresh_len], chunks, ids)
            if at_end:
                return
    finally:
        reader.close()
