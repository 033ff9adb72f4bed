"""Manifests: the ordered chunk list that rebuilds one file (format in docs/store-format.md).

A manifest is named by the sha256 of the file it rebuilds and written only after every chunk
it lists is durable in a sealed pack. Entries are streamed to disk while the file is cleaned
and the totals go in a footer, so memory stays flat for any file size.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import xxhash

from git_model.errors import FormatError
from git_model.store.atomic import AtomicFile

MANIFEST_MAGIC = b"GMMF"
MANIFEST_END_MAGIC = b"GMME"
MANIFEST_VERSION = 1
HEADER = struct.Struct("<4sB3x")
ENTRY = struct.Struct("<16sI")  # chunk id, raw length
FOOTER = struct.Struct("<QQ32sQ4s")  # chunk count, file size, sha256, xxh3-64 of all before, magic
READ_BLOCK = 4096 * ENTRY.size


@dataclass(frozen=True)
class ManifestInfo:
    count: int
    size: int
    sha256: bytes


def manifest_path(directory: Path, sha256_hex: str) -> Path:
    return directory / sha256_hex[:2] / sha256_hex[2:]


class ManifestWriter:
    """Streams entries into a temp file; `commit` adds the footer and renames it into place."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._file = AtomicFile(directory)
        self._hash = xxhash.xxh3_64()
        self._count = 0
        self._pending: list[bytes] = []
        self._emit(HEADER.pack(MANIFEST_MAGIC, MANIFEST_VERSION))

    def _emit(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)

    def add(self, chunk_id: bytes, raw_len: int) -> None:
        self._pending.append(ENTRY.pack(chunk_id, raw_len))
        self._count += 1
        if len(self._pending) >= 4096:
            self._emit(b"".join(self._pending))
            self._pending.clear()

    def commit(self, size: int, sha256: bytes) -> Path:
        if self._pending:
            self._emit(b"".join(self._pending))
            self._pending.clear()
        head = struct.pack("<QQ32s", self._count, size, sha256)
        self._hash.update(head)
        self._file.write(head + struct.pack("<Q4s", self._hash.intdigest(), MANIFEST_END_MAGIC))
        dest = manifest_path(self.directory, sha256.hex())
        dest.parent.mkdir(parents=True, exist_ok=True)
        return self._file.commit(dest)

    def abort(self) -> None:
        self._file.abort()


def read_info(path: Path) -> ManifestInfo:
    """Verify the whole manifest's checksum (one streaming pass) and return its footer."""
    with open(path, "rb") as handle:
        total = os.fstat(handle.fileno()).st_size
        if total < HEADER.size + FOOTER.size:
            raise FormatError(f"{path}: truncated manifest")
        head = handle.read(HEADER.size)
        digest = _check_header(head, str(path))
        remaining = total - HEADER.size - FOOTER.size
        while remaining:
            block = handle.read(min(READ_BLOCK, remaining))
            if not block:
                raise FormatError(f"{path}: truncated manifest")
            digest.update(block)
            remaining -= len(block)
        return _check_footer(handle.read(FOOTER.size), digest, total, str(path))


def decode(raw: bytes, source: str) -> tuple[ManifestInfo, list[tuple[bytes, int]]]:
    """A whole manifest held in memory (one downloaded from a remote), verified like
    `read_info`: its footer and its (chunk id, raw length) entries."""
    if len(raw) < HEADER.size + FOOTER.size:
        raise FormatError(f"{source}: truncated manifest")
    body = memoryview(raw)[HEADER.size : len(raw) - FOOTER.size]
    digest = _check_header(raw[: HEADER.size], source)
    digest.update(body)
    info = _check_footer(raw[len(raw) - FOOTER.size :], digest, len(raw), source)
    return info, list(ENTRY.iter_unpack(body))


def _check_header(head: bytes, source: str) -> "xxhash.xxh3_64":
    magic, version = HEADER.unpack(head)
    if magic != MANIFEST_MAGIC or version != MANIFEST_VERSION:
        raise FormatError(f"{source}: not a git-model manifest (bad magic or version)")
    return xxhash.xxh3_64(head)


def _check_footer(footer: bytes, digest: "xxhash.xxh3_64", total: int, source: str) -> ManifestInfo:
    count, size, sha256, checksum, end = FOOTER.unpack(footer)
    digest.update(struct.pack("<QQ32s", count, size, sha256))
    if end != MANIFEST_END_MAGIC or digest.intdigest() != checksum:
        raise FormatError(f"{source}: manifest checksum mismatch")
    if count * ENTRY.size != total - HEADER.size - FOOTER.size:
        raise FormatError(f"{source}: manifest entry count does not match its length")
    return ManifestInfo(count, size, sha256)


def iter_entries(path: Path) -> Iterator[tuple[bytes, int]]:
    """(chunk id, raw length) in file order. Call `read_info` first to verify the manifest."""
    with open(path, "rb") as handle:
        total = os.fstat(handle.fileno()).st_size
        handle.seek(HEADER.size)
        remaining = total - HEADER.size - FOOTER.size
        while remaining > 0:
            block = handle.read(min(READ_BLOCK, remaining))
            if not block:
                raise FormatError(f"{path}: truncated manifest")
            remaining -= len(block)
            yield from ENTRY.iter_unpack(block)
