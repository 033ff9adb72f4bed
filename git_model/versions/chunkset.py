"""The distinct chunks of one model version, or of several: what versions share and what a
version added to the store.

A ``ChunkSet`` holds sorted unique chunk ids (numpy ``S16``) with each chunk's raw length and
its stored (compressed) length in the local packs, ``-1`` when no local pack holds it. About
32 bytes per distinct chunk; no Python object per chunk. NumPy compares ``S16`` values with
trailing NUL bytes stripped, which is still exact for fixed 16-byte ids, and chunk ids are
passed back to the store as the full 16 bytes taken from the raw buffer.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

import numpy as np

from git_model.pointer import Pointer
from git_model.store.index import ChunkIndex
from git_model.store.store import LocalStore

ID_DTYPE = np.dtype("S16")


class ChunkSet:
    """Immutable once built. ``stored[i] == -1``: chunk ``i`` is in no local pack."""

    def __init__(self, ids: np.ndarray, raw: np.ndarray, stored: np.ndarray) -> None:
        self.ids = ids
        self.raw = raw
        self.stored = stored

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_entries(cls, entries: Iterable[tuple[bytes, int]], index: ChunkIndex | None) -> ChunkSet:
        """From (chunk id, raw length) pairs in any order, duplicates allowed; stored lengths
        are looked up in ``index`` (None: treat every chunk as not stored locally)."""
        ids = bytearray()
        lengths = array("q")
        for cid, raw_len in entries:
            ids += cid
            lengths.append(raw_len)
        all_ids = np.frombuffer(bytes(ids), dtype=ID_DTYPE)
        unique, first = np.unique(all_ids, return_index=True)
        raw = np.frombuffer(lengths.tobytes(), dtype=np.int64)[first] if len(lengths) else np.zeros(0, np.int64)
        stored = np.full(len(unique), -1, dtype=np.int64)
        if index is not None:
            buffer = np.ascontiguousarray(unique).tobytes()
            for i in range(len(unique)):
                location = index.lookup(buffer[16 * i : 16 * i + 16])
                if location is not None:
                    stored[i] = location.stored_len
        return cls(unique, raw, stored)

    @classmethod
    def of_version(cls, store: LocalStore, pointer: Pointer, source: str) -> ChunkSet:
        """The chunks of a stored version, from its verified manifest. MissingObjectError
        (naming ``source``) when the manifest is not in the local store."""
        return cls.from_entries(store.manifest_entries(pointer, source), store.index)

    @classmethod
    def union(cls, sets: Iterable[ChunkSet]) -> ChunkSet:
        parts = list(sets)
        if not parts:
            return cls(np.zeros(0, ID_DTYPE), np.zeros(0, np.int64), np.zeros(0, np.int64))
        ids = np.concatenate([s.ids for s in parts])
        unique, first = np.unique(ids, return_index=True)
        raw = np.concatenate([s.raw for s in parts])[first]
        stored = np.concatenate([s.stored for s in parts])[first]
        return cls(unique, raw, stored)

    # -- set operations ----------------------------------------------------------------
    def _select(self, mask: np.ndarray) -> ChunkSet:
        return ChunkSet(self.ids[mask], self.raw[mask], self.stored[mask])

    def minus(self, other: ChunkSet) -> ChunkSet:
        """Chunks of this set that ``other`` lacks."""
        return self._select(~np.isin(self.ids, other.ids, assume_unique=True))

    def common(self, other: ChunkSet) -> ChunkSet:
        """Chunks of this set that ``other`` has too (lengths taken from this set)."""
        return self._select(np.isin(self.ids, other.ids, assume_unique=True))

    # -- measures ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    @property
    def raw_bytes(self) -> int:
        return int(self.raw.sum())

    @property
    def stored_bytes(self) -> int:
        """Compressed bytes of the chunks held locally (chunks not held count 0)."""
        return int(self.stored[self.stored >= 0].sum())

    @property
    def missing(self) -> int:
        """How many chunks no local pack holds."""
        return int(np.count_nonzero(self.stored < 0))

    @property
    def complete(self) -> bool:
        return self.missing == 0

    @property
    def local_or_raw_bytes(self) -> int:
        """Stored bytes where a local pack holds the chunk, raw bytes elsewhere."""
        return int(np.where(self.stored >= 0, self.stored, self.raw).sum())
