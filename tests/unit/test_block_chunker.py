"""`cut_blocks` (the `git add` path) must cut exactly where `chunks` (cut_stream) does, for
any stream length and block size, and its fresh views must rebuild the stream."""

from __future__ import annotations

import io
import os

import pytest

from git_model.store.chunker import MAX_SIZE, MIN_SIZE, BlockPool, chunks, cut_blocks


class TrickleStream(io.RawIOBase):
    """Returns at most ``step`` bytes per read, like a pipe that is being filled."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[override]
        n = min(len(target), self._step, len(self._data) - self._pos)
        target[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


LENGTHS = [0, 1, MIN_SIZE - 1, MIN_SIZE, MAX_SIZE - 1, MAX_SIZE, MAX_SIZE + 1, 3 * MAX_SIZE + 17, 5_000_000]


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("block", [MAX_SIZE, 300 * 1024, 1 << 20])
def test_same_boundaries_and_bytes_as_the_stream_chunker(length: int, block: int) -> None:
    data = os.urandom(length)
    expected = [bytes(c) for c in chunks(io.BytesIO(data))]
    pool = BlockPool(count=3, size=block)
    got, fresh = [], []
    for b in cut_blocks(TrickleStream(data, 70_000), pool):
        got.extend(bytes(c) for c in b.chunks)
        fresh.append(bytes(b.fresh))
        pool.give(b.buffer)
    assert got == expected
    assert b"".join(fresh) == data


def test_compressible_data_with_long_runs() -> None:
    data = (b"\0" * 700_000 + os.urandom(50_000)) * 6  # runs force max-size cuts at block edges
    expected = [bytes(c) for c in chunks(io.BytesIO(data))]
    pool = BlockPool(count=2, size=MAX_SIZE)
    got = []
    for b in cut_blocks(io.BytesIO(data), pool):
        got.extend(bytes(c) for c in b.chunks)
        pool.give(b.buffer)
    assert got == expected


def test_a_read_error_reaches_the_consumer_and_the_reader_stops() -> None:
    class Failing(io.RawIOBase):
        calls = 0

        def readable(self) -> bool:
            return True

        def readinto(self, target) -> int:  # type: ignore[override]
            Failing.calls += 1
            if Failing.calls > 3:
                raise OSError("pipe broke")
            target[:1000] = b"x" * 1000
            return 1000

    pool = BlockPool(count=2, size=MAX_SIZE)
    with pytest.raises(OSError, match="pipe broke"):
        for b in cut_blocks(Failing(), pool):
            pool.give(b.buffer)


def test_closing_early_stops_the_reader_thread() -> None:
    import threading

    data = os.urandom(3 << 20)
    pool = BlockPool(count=2, size=MAX_SIZE)
    blocks = cut_blocks(io.BytesIO(data), pool)
    next(blocks)  # holds one buffer; the reader fills the other, then waits for the pool
    blocks.close()
    assert not any(t.name == "git-model-reader" for t in threading.enumerate())
