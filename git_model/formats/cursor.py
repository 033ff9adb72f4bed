"""A forward reader over a seekable binary stream, for parsing headers field by field.

Headers are many small fields between large runs of tensor data that must be skipped, not
read. Reading each field with its own ``stream.read`` costs a call per field; reading in big
blocks would read tensor data. So the buffer starts small (4 KiB) after every jump and doubles,
up to 256 KiB, while reads stay sequential. Every shortfall becomes a ``FormatError`` that
names the file, so parsers never see a short read or a negative length.
"""

from __future__ import annotations

import io
import struct
from typing import Any, BinaryIO

from git_model.errors import FormatError

MIN_FILL = 4 * 1024
MAX_FILL = 256 * 1024


class Cursor:
    """Reads ``stream`` (seekable; positions are absolute file offsets) on behalf of one parser.

    The cursor owns the stream's position while it is in use; ``size`` is taken once, at
    construction. Returned ``bytes`` are the caller's to keep.
    """

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self.name = name
        self._stream = stream
        self.size = stream.seek(0, io.SEEK_END)
        self._buf = b""
        self._buf_pos = 0
        self._pos = 0
        self._fill = MIN_FILL

    def error(self, cause: str) -> FormatError:
        """A FormatError whose one-line message names the file, then the cause."""
        message = f"{self.name}: {cause}"
        return FormatError(" ".join(message.splitlines()))

    def tell(self) -> int:
        return self._pos

    def remaining(self) -> int:
        return self.size - self._pos

    def seek(self, pos: int, what: str) -> None:
        if not 0 <= pos <= self.size:
            raise self.error(f"{what} points to byte {pos}, outside the file ({self.size} bytes)")
        self._pos = pos

    def skip(self, n: int, what: str) -> None:
        """Move past ``n`` bytes without reading them."""
        self._check(n, what)
        self._pos += n

    def read(self, n: int, what: str) -> bytes:
        """Exactly ``n`` bytes; ``what`` names the field for the error message."""
        self._check(n, what)
        start = self._pos - self._buf_pos
        if 0 <= start and start + n <= len(self._buf):
            self._pos += n
            return self._buf[start : start + n]
        sequential = 0 <= start <= len(self._buf) and len(self._buf) > 0
        self._fill = min(self._fill * 2, MAX_FILL) if sequential else MIN_FILL
        want = max(n, min(self._fill, self.remaining()))
        self._stream.seek(self._pos)
        data = read_exact(self._stream, want)
        if len(data) < n:
            raise self.error(f"{what} at byte {self._pos} is cut short: the file shrank while read")
        self._buf, self._buf_pos = data, self._pos
        self._pos += n
        return data[:n]

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        """``struct.unpack`` of the next ``calcsize(fmt)`` bytes."""
        return struct.unpack(fmt, self.read(struct.calcsize(fmt), what))

    def _check(self, n: int, what: str) -> None:
        if n < 0 or n > self.remaining():
            raise self.error(
                f"truncated: {what} at byte {self._pos} needs {n} bytes, "
                f"{self.remaining()} left"
            )


def quote(text: str, limit: int = 80) -> str:
    """``repr`` of a name from the file, shortened: error messages stay one readable line."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def read_exact(stream: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes from the current position, looping over short reads (raw streams
    return them); fewer only at end of file."""
    parts = []
    while n > 0:
        part = stream.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)
