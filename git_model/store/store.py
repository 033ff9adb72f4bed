"""`LocalStore`: the chunked, deduplicated side store under ``<git-common-dir>/model``.

Contracts:
- `add(stream)` reads the stream once, stores the chunks the store lacks, and returns the
  pointer only after the chunks (sealed packs, indexes) and then the manifest are durable.
  A failure removes its temp files; nothing half-written is ever visible.
- `read(pointer)` yields the file's bytes chunk by chunk, each chunk verified against its id;
  the whole file's sha256 is checked after the last chunk (CorruptObjectError when it fails).
- Stored objects are immutable: an existing pack, index or manifest is never rewritten.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import xxhash

from git_model.errors import CorruptObjectError, FormatError, GitModelError, MissingObjectError
from git_model.pointer import Pointer
from git_model.store import manifest as manifest_mod
from git_model.store.chunker import BlockPool, PreviousSource, cut_blocks
from git_model.store.follow import PreviousVersion
from git_model.store.codec import Codec
from git_model.store.index import ChunkIndex, Location, write_idx
from git_model.store.atomic import write_atomic
from git_model.store.lock import store_lock
from git_model.store.pack import TARGET_PACK_SIZE, PackEntry, PackWriter
from git_model.store.writer import BackgroundPackWriter


GC_GENERATION = "gc.generation"


def chunk_id(data: bytes | memoryview) -> bytes:
    return xxhash.xxh3_128_digest(data)


@dataclass(frozen=True)
class AddResult:
    pointer: Pointer
    new_chunks: int
    new_bytes: int  # bytes this add wrote into packs (after compression)
    total_chunks: int


class LocalStore:
    """One repository's side store. Cheap to construct; the index loads on first use."""

    def __init__(self, root: Path, compression: str = "auto", pack_size: int = TARGET_PACK_SIZE) -> None:
        self.root = root
        self.pack_size = pack_size  # a pack is sealed once it reaches this many bytes
        self.pack_dir = root / "packs"
        self.manifest_dir = root / "manifests"
        self.compression = compression
        self._index: ChunkIndex | None = None
        self._index_generation = ""
        self._codec = Codec(compression)
        self._pack_fds: dict[str, int] = {}

    # -- index -------------------------------------------------------------------------
    @property
    def index(self) -> ChunkIndex:
        if self._index is None:
            self._index_generation = self.gc_generation()
            self._index = ChunkIndex.load(self.pack_dir)
        return self._index

    def reload(self) -> None:
        """Forget cached state (another process may have added packs)."""
        self.close()
        self._index = None

    def gc_generation(self) -> str:
        """Changes whenever a gc removed packs (see `bump_gc_generation`)."""
        try:
            return (self.root / GC_GENERATION).read_text()
        except FileNotFoundError:
            return ""

    def bump_gc_generation(self) -> None:
        write_atomic(self.root / GC_GENERATION, os.urandom(8).hex().encode())

    def refresh_index(self) -> None:
        """Reload the index when a gc removed packs since it was loaded: a long-running
        filter must not deduplicate against chunks that are gone."""
        if self._index is not None and self._index_generation != self.gc_generation():
            self.reload()

    def close(self) -> None:
        for fd in self._pack_fds.values():
            os.close(fd)
        self._pack_fds.clear()

    # -- writing -----------------------------------------------------------------------
    def seal_pack(self, writer: PackWriter) -> str:
        """Make a pack durable, then its index, then make it visible to lookups."""
        pack_id, entries = writer.seal()
        write_idx(self.pack_dir / f"{pack_id}.idx", entries)
        self.index.add_pack(pack_id, entries)
        return pack_id

    def add(self, stream: BinaryIO, previous: PreviousSource | None = None) -> AddResult:
        """Chunk, deduplicate and store ``stream``; return its pointer once durable.
        ``previous`` may name the version this one replaces (see `previous_version`): its
        unchanged chunks are then found without running FastCDC over them."""
        with store_lock(self.root, exclusive=False):
            return self._add(stream, previous)

    def previous_version(self, pointer: Pointer | None, source: str) -> PreviousVersion | None:
        """The chunk list of a stored version to guide the cutting of its successor."""
        if pointer is None or not self.has_manifest(pointer):
            return None
        try:
            return PreviousVersion(self.manifest_entries(pointer, source), pointer.size)
        except (GitModelError, OSError):
            return None  # only a speed-up: a damaged guide is simply not used

    def _add(self, stream: BinaryIO, previous: PreviousSource | None) -> AddResult:
        self.refresh_index()  # a gc may have rewritten packs since the index was loaded
        index = self.index
        manifest = manifest_mod.ManifestWriter(self.manifest_dir)
        pool = BlockPool()
        writer = BackgroundPackWriter(
            self.pack_dir,
            self.pack_size,
            lambda pack_id, entries: write_idx(self.pack_dir / f"{pack_id}.idx", entries),
            pool,
            self.compression,
        )
        pending: set[bytes] = set()  # queued for a pack that is not sealed and indexed yet
        new_chunks = total = size = 0

        def absorb(sealed: list[tuple[str, list[PackEntry]]]) -> None:
            for pack_id, entries in sealed:
                index.add_pack(pack_id, entries)
                pending.difference_update(e.chunk_id for e in entries)

        blocks = cut_blocks(stream, pool, previous)
        try:
            for block in blocks:
                ids = [cid or chunk_id(data) for cid, data in zip(block.ids, block.chunks)]
                absorb(writer.take_sealed())
                stored = index.contains_many(ids)
                new: list[tuple[bytes, memoryview]] = []
                for cid, data, present in zip(ids, block.chunks, stored):
                    manifest.add(cid, len(data))
                    size += len(data)
                    if not present and cid not in pending:
                        pending.add(cid)
                        new.append((cid, data))
                total += len(ids)
                new_chunks += len(new)
                writer.submit(block, new)
            absorb(writer.finish())
            pointer = Pointer(writer.sha256.hexdigest(), size)
            if self.has_manifest(pointer):
                manifest.abort()
            else:
                manifest.commit(size, writer.sha256.digest())
        except BaseException:
            blocks.close()  # stops the reading thread before anyone reads the stream again
            writer.abort()
            manifest.abort()
            raise
        return AddResult(pointer, new_chunks, writer.new_bytes, total)

    # -- reading -----------------------------------------------------------------------
    def manifest_path(self, pointer: Pointer) -> Path:
        return manifest_mod.manifest_path(self.manifest_dir, pointer.oid)

    def has_manifest(self, pointer: Pointer) -> bool:
        return self.manifest_path(pointer).is_file()

    def manifest_entries(self, pointer: Pointer, source: str) -> Iterator[tuple[bytes, int]]:
        """Verified manifest entries; MissingObjectError / CorruptObjectError name ``source``."""
        path = self.manifest_path(pointer)
        try:
            info = manifest_mod.read_info(path)
        except FileNotFoundError:
            raise MissingObjectError(
                f"{source}: model {pointer.short} is not in the local store; run 'git model fetch' to get it"
            ) from None
        except FormatError as err:
            raise CorruptObjectError(f"{source}: {err}") from None
        if info.sha256.hex() != pointer.oid or info.size != pointer.size:
            raise CorruptObjectError(f"{source}: manifest {path} does not describe model {pointer.short}")
        return manifest_mod.iter_entries(path)

    def has_complete(self, pointer: Pointer) -> bool:
        """True when the manifest and every chunk it lists are in the local store."""
        if not self.has_manifest(pointer):
            return False
        index = self.index
        return all(cid in index for cid, _ in self.manifest_entries(pointer, pointer.short))

    def missing_chunks(self, pointer: Pointer, source: str) -> list[bytes]:
        """Chunk ids the pointer needs that no local pack holds (for fetch)."""
        index = self.index
        return [cid for cid, _ in self.manifest_entries(pointer, source) if cid not in index]

    def _pack_fd(self, pack_id: str) -> int:
        fd = self._pack_fds.get(pack_id)
        if fd is None:
            fd = os.open(self.pack_dir / f"{pack_id}.pack", os.O_RDONLY)
            self._pack_fds[pack_id] = fd
        return fd

    def read_stored(self, cid: bytes, location: Location, source: str) -> tuple[bytes, bytes]:
        """(stored bytes, decoded bytes) of one chunk, checked against its id."""
        stored = os.pread(self._pack_fd(location.pack_id), location.stored_len, location.offset)
        return stored, self.verify_chunk(cid, location.codec, stored, location.raw_len, f"pack {location.pack_id}", source)

    def verify_chunk(self, cid: bytes, codec: int, stored: bytes, raw_len: int, where: str, source: str) -> bytes:
        """Decode ``stored`` and check it against ``cid``; CorruptObjectError names both places."""
        try:
            data = self._codec.decode(codec, stored, raw_len)
        except Exception as err:  # zstd raises its own error types on damaged input
            raise CorruptObjectError(f"{source}: chunk {cid.hex()} in {where} cannot be decoded ({err})") from None
        if chunk_id(data) != cid:
            raise CorruptObjectError(f"{source}: chunk {cid.hex()} in {where} is corrupt")
        return data

    def read_chunk(self, cid: bytes, location: Location, source: str) -> bytes:
        """One chunk's bytes, decoded and checked against its id."""
        return self.read_stored(cid, location, source)[1]

    def read(self, pointer: Pointer, source: str = "<model>") -> Iterator[bytes]:
        """Yield the file's bytes; raises before yielding a chunk that fails its check and after
        the last chunk when the whole-file sha256 or size differs from the pointer."""
        digest = hashlib.sha256()
        size = 0
        index = self.index
        for cid, raw_len in self.manifest_entries(pointer, source):
            location = index.lookup(cid)
            if location is None:
                raise MissingObjectError(
                    f"{source}: chunk {cid.hex()} of model {pointer.short} is not in the local store; "
                    "run 'git model fetch' to get it"
                )
            if location.raw_len != raw_len:
                raise CorruptObjectError(f"{source}: chunk {cid.hex()} length differs between manifest and pack")
            data = self.read_chunk(cid, location, source)
            digest.update(data)
            size += len(data)
            yield data
        if size != pointer.size or digest.hexdigest() != pointer.oid:
            raise CorruptObjectError(f"{source}: rebuilt content does not match sha256 {pointer.short}")

    def write_to(self, pointer: Pointer, out: BinaryIO, source: str = "<model>") -> None:
        for data in self.read(pointer, source):
            out.write(data)
