"""Chunk index: chunk id → location, over every sealed pack of the store.

On disk each pack ``<id>.pack`` has an ``<id>.idx`` beside it: its table sorted by chunk id
(format in docs/store-format.md). In memory the index is a few sorted numpy record arrays
("runs") searched with `searchsorted`: ~40 bytes per chunk, no Python object per chunk, so a
store of millions of chunks fits in tens of MB. New packs add a run; runs are merged when there
are too many, keeping lookups to a handful of binary searches.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xxhash

from git_model.errors import FormatError
from git_model.store.atomic import write_atomic
from git_model.store.pack import ENTRY, PackEntry, encode_table

IDX_MAGIC = b"GMIX"
IDX_VERSION = 1
IDX_HEADER = struct.Struct("<4sB3xQ")  # magic, version, entry count
IDX_CHECKSUM = struct.Struct("<Q")
ENTRY_DTYPE = np.dtype(
    [("id", "S16"), ("offset", "<u8"), ("stored", "<u4"), ("raw", "<u4"), ("codec", "u1"), ("pad", "V3")]
)
assert ENTRY_DTYPE.itemsize == ENTRY.size


@dataclass(frozen=True)
class Location:
    """Where a chunk is stored: pack id plus its entry."""

    pack_id: str
    offset: int
    stored_len: int
    raw_len: int
    codec: int


def encode_idx(entries: list[PackEntry]) -> bytes:
    body = IDX_HEADER.pack(IDX_MAGIC, IDX_VERSION, len(entries)) + encode_table(
        sorted(entries, key=lambda e: e.chunk_id)
    )
    return body + IDX_CHECKSUM.pack(xxhash.xxh3_64_intdigest(body))


def decode_idx(raw: bytes, source: str) -> np.ndarray:
    """Parse and verify an .idx file into a sorted ENTRY_DTYPE array."""
    if len(raw) < IDX_HEADER.size + IDX_CHECKSUM.size:
        raise FormatError(f"{source}: truncated pack index")
    body, (checksum,) = raw[: -IDX_CHECKSUM.size], IDX_CHECKSUM.unpack(raw[-IDX_CHECKSUM.size :])
    if xxhash.xxh3_64_intdigest(body) != checksum:
        raise FormatError(f"{source}: pack index checksum mismatch")
    magic, version, count = IDX_HEADER.unpack_from(body)
    if magic != IDX_MAGIC or version != IDX_VERSION:
        raise FormatError(f"{source}: not a git-model pack index (bad magic or version)")
    if len(body) != IDX_HEADER.size + count * ENTRY.size:
        raise FormatError(f"{source}: pack index length does not match its entry count")
    return np.frombuffer(body, dtype=ENTRY_DTYPE, offset=IDX_HEADER.size, count=count)


def write_idx(path: Path, entries: list[PackEntry]) -> None:
    write_atomic(path, encode_idx(entries))


def _load_entries(idx_path: Path, pack_path: Path, pack_present: bool) -> np.ndarray:
    """An index file's entries; a damaged index is rebuilt from its pack's own (checksummed)
    table, so one flipped bit in an .idx does not make the whole store unreadable."""
    try:
        return decode_idx(idx_path.read_bytes(), str(idx_path))
    except FormatError:
        if not pack_present:
            raise
        from git_model.store.pack import read_table

        try:
            table = read_table(pack_path)
        except FormatError:
            raise FormatError(f"{idx_path}: damaged, and so is its pack's table (run 'git model fsck --repair')") from None
        return np.frombuffer(encode_table(sorted(table, key=lambda e: e.chunk_id)), dtype=ENTRY_DTYPE)


class _Run:
    """One sorted array of entries plus the pack number of each."""

    def __init__(self, entries: np.ndarray, packs: np.ndarray) -> None:
        order = np.argsort(entries["id"], kind="stable")
        self.entries = entries[order]
        self.packs = packs[order]
        self.ids = np.ascontiguousarray(self.entries["id"])

    def find(self, chunk_id: bytes) -> int:
        i = int(np.searchsorted(self.ids, chunk_id))
        # numpy returns S16 scalars with trailing NULs stripped; compare the same way.
        if i < len(self.ids) and self.ids[i] == chunk_id.rstrip(b"\0"):
            return i
        return -1


class ChunkIndex:
    """All chunk locations known to this process. Not thread-safe for writes."""

    def __init__(self) -> None:
        self.pack_ids: list[str] = []
        self._runs: list[_Run] = []

    @classmethod
    def load(cls, pack_dir: Path, require_packs: bool = True) -> "ChunkIndex":
        """Read every ``*.idx`` whose pack exists (an idx without its pack is ignored).
        ``require_packs=False`` serves caches of a remote's indexes, which hold no packs."""
        index = cls()
        arrays, numbers = [], []
        if pack_dir.is_dir():
            for idx_path in sorted(pack_dir.glob("*.idx")):
                pack_id = idx_path.stem
                if require_packs and not (pack_dir / f"{pack_id}.pack").exists():
                    continue
                entries = _load_entries(idx_path, pack_dir / f"{pack_id}.pack", require_packs)
                arrays.append(entries)
                numbers.append(np.full(len(entries), len(index.pack_ids), dtype=np.uint32))
                index.pack_ids.append(pack_id)
        if arrays:
            index._runs.append(_Run(np.concatenate(arrays), np.concatenate(numbers)))
        return index

    def add_pack(self, pack_id: str, entries: list[PackEntry]) -> None:
        if not entries:
            return
        array = np.frombuffer(encode_table(entries), dtype=ENTRY_DTYPE)
        self._runs.append(_Run(array, np.full(len(entries), len(self.pack_ids), dtype=np.uint32)))
        self.pack_ids.append(pack_id)
        # Merge like an LSM tree: a run at least half the size of the one before it is merged
        # into it, so there are O(log n) runs and each entry is re-sorted O(log n) times.
        while len(self._runs) >= 2 and 2 * len(self._runs[-1].ids) >= len(self._runs[-2].ids):
            newer, older = self._runs.pop(), self._runs.pop()
            self._runs.append(
                _Run(np.concatenate([older.entries, newer.entries]), np.concatenate([older.packs, newer.packs]))
            )

    def lookup(self, chunk_id: bytes) -> Location | None:
        for run in reversed(self._runs):
            i = run.find(chunk_id)
            if i >= 0:
                e = run.entries[i]
                return Location(
                    self.pack_ids[int(run.packs[i])], int(e["offset"]), int(e["stored"]), int(e["raw"]), int(e["codec"])
                )
        return None

    def __contains__(self, chunk_id: bytes) -> bool:
        return any(run.find(chunk_id) >= 0 for run in self._runs)

    def contains_many(self, chunk_ids: list[bytes]) -> list[bool]:
        """`in` for many ids at once: one vectorised search per run instead of one per id."""
        if not chunk_ids:
            return []
        query = np.frombuffer(b"".join(chunk_ids), dtype="S16")
        found = np.zeros(len(query), dtype=bool)
        for run in self._runs:
            if len(run.ids):
                at = np.minimum(np.searchsorted(run.ids, query), len(run.ids) - 1)
                found |= run.ids[at] == query
        return found.tolist()

    def __len__(self) -> int:
        return sum(len(r.ids) for r in self._runs)
