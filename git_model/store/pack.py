"""Pack files: many chunks in one immutable file (format in docs/store-format.md).

Layout: header (magic, version), the stored chunk bytes back to back, then a table of entries,
then a fixed-size trailer (entry count, table checksum, magic). A pack is written in one
forward stream and named by the xxh3-128 of its whole content, so it can be verified by
re-hashing and the same pack uploaded twice is one object on a remote.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import xxhash

from git_model.errors import FormatError
from git_model.store.atomic import AtomicFile

PACK_MAGIC = b"GMPK"
PACK_END_MAGIC = b"GMPE"
PACK_VERSION = 1
HEADER = struct.Struct("<4sB3x")
ENTRY = struct.Struct("<16sQIIB3x")  # chunk id, offset, stored length, raw length, codec
TRAILER = struct.Struct("<IQ4s")  # entry count, xxh3-64 of the table, magic
TARGET_PACK_SIZE = 64 * 1024 * 1024


@dataclass(frozen=True)
class PackEntry:
    """Where one chunk sits inside a pack."""

    chunk_id: bytes
    offset: int
    stored_len: int
    raw_len: int
    codec: int


def encode_table(entries: list[PackEntry]) -> bytes:
    return b"".join(ENTRY.pack(e.chunk_id, e.offset, e.stored_len, e.raw_len, e.codec) for e in entries)


def decode_table(raw: bytes, source: str) -> list[PackEntry]:
    if len(raw) % ENTRY.size:
        raise FormatError(f"{source}: pack table length {len(raw)} is not a multiple of {ENTRY.size}")
    return [PackEntry(*fields) for fields in ENTRY.iter_unpack(raw)]


class PackWriter:
    """Appends chunks to a new pack; `seal` makes it durable and visible under its id.

    One writer per process and pack: packs are never shared between writers, which is what
    makes two concurrent `git add`s safe. A writer that failed refuses further use.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._file = AtomicFile(directory)
        self._hash = xxhash.xxh3_128()
        self._entries: list[PackEntry] = []
        self._offset = 0
        self._failed = False
        self._fd = self._file.file.fileno()
        self._write(HEADER.pack(PACK_MAGIC, PACK_VERSION))

    def _write(self, data: bytes | memoryview) -> None:
        if self._failed:
            raise RuntimeError("pack writer used after a failure")
        try:
            self._file.write(data)
        except BaseException:
            self._failed = True
            self._file.abort()
            raise
        self._hash.update(data)
        self._offset += len(data)

    def add(self, chunk_id: bytes, codec: int, stored: bytes | memoryview, raw_len: int) -> PackEntry:
        entry = PackEntry(chunk_id, self._offset, len(stored), raw_len, codec)
        self._write(stored)
        self._entries.append(entry)
        return entry

    @property
    def size(self) -> int:
        return self._offset

    def sync_data(self) -> None:
        """Write what the pack holds so far to disk, so that `seal` has less to wait for.
        Safe from another thread while this one appends (both only use the descriptor)."""
        self._file.sync_data(self._fd)

    @property
    def entries(self) -> list[PackEntry]:
        return self._entries

    def seal(self) -> tuple[str, list[PackEntry]]:
        """Write table and trailer, fsync, rename to ``<id>.pack``; return (pack id, entries)."""
        table = encode_table(self._entries)
        self._write(table)
        self._write(TRAILER.pack(len(self._entries), xxhash.xxh3_64_intdigest(table), PACK_END_MAGIC))
        pack_id = self._hash.hexdigest()
        self._file.commit(self.directory / f"{pack_id}.pack")
        return pack_id, self._entries

    def abort(self) -> None:
        self._failed = True
        self._file.abort()


def read_table(path: Path) -> list[PackEntry]:
    """Read and check a pack's own table (used to rebuild a lost index and to verify)."""
    with open(path, "rb") as handle:
        return read_table_from(handle, os.fstat(handle.fileno()).st_size, str(path))


def read_table_from(handle: BinaryIO, size: int, source: str) -> list[PackEntry]:
    if size < HEADER.size + TRAILER.size:
        raise FormatError(f"{source}: truncated pack ({size} bytes)")
    handle.seek(0)
    magic, version = HEADER.unpack(handle.read(HEADER.size))
    if magic != PACK_MAGIC or version != PACK_VERSION:
        raise FormatError(f"{source}: not a git-model pack (bad magic or version)")
    handle.seek(size - TRAILER.size)
    count, checksum, end_magic = TRAILER.unpack(handle.read(TRAILER.size))
    table_len = count * ENTRY.size
    if end_magic != PACK_END_MAGIC or table_len > size - HEADER.size - TRAILER.size:
        raise FormatError(f"{source}: truncated or damaged pack trailer")
    handle.seek(size - TRAILER.size - table_len)
    table = handle.read(table_len)
    if xxhash.xxh3_64_intdigest(table) != checksum:
        raise FormatError(f"{source}: pack table checksum mismatch")
    entries = decode_table(table, source)
    data_end = size - TRAILER.size - table_len
    for e in entries:
        if e.offset < HEADER.size or e.offset + e.stored_len > data_end:
            raise FormatError(f"{source}: pack entry points outside the data area")
    return entries


def pack_digest(path: Path) -> str:
    """xxh3-128 of the whole file: equals the pack id when the pack is intact."""
    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def iter_stored(handle: BinaryIO, entries: list[PackEntry]) -> Iterator[tuple[PackEntry, bytes]]:
    """Stored bytes of each entry, in file order (for verify and repack)."""
    for e in sorted(entries, key=lambda x: x.offset):
        handle.seek(e.offset)
        yield e, handle.read(e.stored_len)
