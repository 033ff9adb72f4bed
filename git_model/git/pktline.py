"""Git pkt-lines as pure functions over read/write callables.

A pkt-line is a 4-digit lowercase-or-uppercase hex length (including the 4 bytes) followed by
data; ``0000`` is a flush packet. Data is at most 65516 bytes per packet. Tests drive these
with BytesIO, the filter process with Git's pipes.
"""

from __future__ import annotations

from typing import Callable, Iterator

from git_model.errors import ProtocolError

MAX_DATA = 65516
FLUSH = b"0000"

Reader = Callable[[int], bytes]
Writer = Callable[[bytes], object]


def _read_exact(read: Reader, n: int) -> bytes:
    parts = []
    remaining = n
    while remaining:
        part = read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def read_packet(read: Reader) -> bytes | None:
    """One packet's data, or None for a flush packet. EOF or a malformed length raises."""
    head = _read_exact(read, 4)
    if len(head) != 4:
        raise ProtocolError("pkt-line: unexpected end of input from git" if head == b"" else "pkt-line: truncated length")
    try:
        length = int(head, 16)
    except ValueError:
        raise ProtocolError(f"pkt-line: invalid length {head!r}") from None
    if length == 0:
        return None
    if length < 4 or length > MAX_DATA + 4 or length in (1, 2, 3):
        raise ProtocolError(f"pkt-line: invalid length {length}")
    if length == 4:
        return b""
    data = _read_exact(read, length - 4)
    if len(data) != length - 4:
        raise ProtocolError(f"pkt-line: truncated packet ({len(data)} of {length - 4} bytes)")
    return data


def read_text_list(read: Reader) -> list[str]:
    """Text packets up to the next flush, each without its trailing LF."""
    items = []
    while (packet := read_packet(read)) is not None:
        items.append(packet.rstrip(b"\n").decode("utf-8", "replace"))
    return items


def encode_packet(data: bytes | memoryview) -> bytes:
    if len(data) > MAX_DATA:
        raise ValueError(f"pkt-line data of {len(data)} bytes exceeds {MAX_DATA}")
    return b"%04x" % (len(data) + 4) + bytes(data)


def write_packet(write: Writer, data: bytes | memoryview) -> None:
    write(encode_packet(data))


def write_text(write: Writer, *lines: str) -> None:
    for line in lines:
        write_packet(write, line.encode() + b"\n")


def write_flush(write: Writer) -> None:
    write(FLUSH)


def write_stream(write: Writer, data: bytes | memoryview) -> None:
    """Split ``data`` into as many packets as needed (no flush)."""
    view = memoryview(data)
    for start in range(0, len(view), MAX_DATA):
        write_packet(write, view[start : start + MAX_DATA])


def iter_content(read: Reader) -> Iterator[bytes]:
    """Packets of a content section up to its flush."""
    while (packet := read_packet(read)) is not None:
        yield packet


class PacketStream:
    """A read-only binary stream over a content section's packets (ends at the flush).

    Lets the chunker `readinto` from Git's pipe without gathering the file in memory. The
    stream must be drained (`drain`) before the next protocol message is read.
    """

    def __init__(self, read: Reader, readinto: Callable[[memoryview], int] | None = None) -> None:
        self._read = read
        self._readinto = readinto  # when given, payloads go straight into the caller's buffer
        self._buffer = b""
        self._pos = 0
        self.done = False

    def _payload_into(self, target: memoryview) -> int:
        """Read the next packet's payload directly into ``target`` (it fits: checked by the
        caller from the length); saves a copy per 64 KiB on the `git add` hot path."""
        head = _read_exact(self._read, 4)
        if len(head) != 4:
            raise ProtocolError("pkt-line: unexpected end of input from git")
        try:
            length = int(head, 16)
        except ValueError:
            raise ProtocolError(f"pkt-line: invalid length {head!r}") from None
        if length == 0:
            self.done = True
            return 0
        if length < 4 or length > MAX_DATA + 4:
            raise ProtocolError(f"pkt-line: invalid length {length}")
        size = length - 4
        got = 0
        assert self._readinto is not None
        while got < size:
            n = self._readinto(target[got:size])
            if not n:
                raise ProtocolError(f"pkt-line: truncated packet ({got} of {size} bytes)")
            got += n
        return size

    def readinto(self, target: memoryview) -> int:
        if self._pos >= len(self._buffer) and not self.done and self._readinto is not None and len(target) >= MAX_DATA:
            return self._payload_into(target)
        if self._pos >= len(self._buffer):
            if self.done:
                return 0
            packet = read_packet(self._read)
            if packet is None:
                self.done = True
                return 0
            self._buffer, self._pos = packet, 0
        n = min(len(target), len(self._buffer) - self._pos)
        target[:n] = self._buffer[self._pos : self._pos + n]
        self._pos += n
        return n

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while size < 0 or len(out) < size:
            want = 65536 if size < 0 else size - len(out)
            buf = bytearray(min(want, 65536))
            n = self.readinto(memoryview(buf))
            if n == 0:
                break
            out += buf[:n]
        return bytes(out)

    def drain(self) -> None:
        self._buffer, self._pos = b"", 0
        while not self.done:
            if read_packet(self._read) is None:
                self.done = True
