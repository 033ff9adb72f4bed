"""Content-defined chunk boundaries (FastCDC 2020 via pyfastcdc).

The chunker only finds split points; it does no I/O of its own beyond reading the stream it is
given. Each yielded memoryview is owned by the chunker and is valid only until the next
iteration step: consume or copy it before advancing.
"""

from __future__ import annotations

from typing import BinaryIO, Iterator

from pyfastcdc import FastCDC

MIN_SIZE = 16 * 1024
AVG_SIZE = 64 * 1024
MAX_SIZE = 256 * 1024


def chunks(stream: BinaryIO) -> Iterator[memoryview]:
    """Yield the content-defined chunks of ``stream`` in order (empty stream: nothing)."""
    cdc = FastCDC(avg_size=AVG_SIZE, min_size=MIN_SIZE, max_size=MAX_SIZE)
    for chunk in cdc.cut_stream(stream):
        yield chunk.data
