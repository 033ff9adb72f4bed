"""Moving models between the local store and a remote store (layout: docs/remotes.md).

The transfer unit is a pack. Push sends only chunks the remote's indexes lack, in new packs
(or a local pack as-is when the remote needs all of it), each pack before its index, and the
manifests last: a manifest on the remote promises that every chunk it lists is there, so a
ref that the pre-push hook lets through never points at missing weights. Fetch reads only the
chunks the local store lacks, as coalesced byte ranges of the remote's packs, verifies every
chunk before it is written into a local pack, and writes manifests after their chunks.
An interrupted push or fetch resumes: whatever was sealed on either side is not sent again.
"""

from __future__ import annotations

import io
import sys
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, TextIO

from git_model.errors import ConfigError, CorruptObjectError, FormatError, MissingObjectError, RemoteNotFound
from git_model.pointer import Pointer
from git_model.remote.backend import Backend
from git_model.remote.crypto import CHECK_KEY, Cipher
from git_model.remote.retry import with_retries
from git_model.store import manifest as manifest_mod
from git_model.store.atomic import AtomicFile, write_atomic
from git_model.store.index import IDX_HEADER, ChunkIndex, Location, decode_idx, encode_idx
from git_model.store.pack import PackEntry, PackWriter
from git_model.store.lock import store_lock
from git_model.store.store import LocalStore

WORKERS = 8
RANGE_GAP = 64 * 1024  # read across gaps this small instead of making another request
RANGE_MAX = 4 * 1024 * 1024
IN_FLIGHT_BYTES = 48 * 1024 * 1024  # downloaded but not yet written: bounds fetch memory


def pack_key(pack_id: str) -> str:
    return f"packs/{pack_id}.pack"


def idx_key(pack_id: str) -> str:
    return f"packs/{pack_id}.idx"


def manifest_key(oid: str) -> str:
    return f"manifests/{oid[:2]}/{oid[2:]}"


@dataclass
class TransferStats:
    files: int = 0
    packs: int = 0
    chunks: int = 0
    bytes: int = 0  # bytes moved over the wire (packs, indexes, manifests)


class Progress:
    """One updating line on stderr, only when stderr is a terminal."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.label, self.total, self.done = label, total, 0
        self._lock = threading.Lock()

    def advance(self, n: int) -> None:
        with self._lock:
            self.done += n
            if self.enabled:
                pct = 100 * self.done // self.total if self.total else 100
                self.stream.write(f"\r{self.label}: {pct:3d}% ({self.done / 1e6:.1f} / {self.total / 1e6:.1f} MB)")
                self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.total:
            self.stream.write("\n")
            self.stream.flush()


class RemoteStore:
    """A remote store seen through a backend, with a local cache of its (immutable) indexes."""

    def __init__(self, backend: Backend, cache_dir: Path, workers: int = WORKERS, cipher: Cipher | None = None) -> None:
        self.backend = backend
        self.cache_dir = cache_dir
        self.workers = workers
        self.cipher = cipher  # set when the remote store is encrypted (docs/encryption.md)

    def call(self, fn: Callable, *args):  # type: ignore[no-untyped-def]
        return with_retries(lambda: fn(*args))

    def index(self) -> ChunkIndex:
        """Every chunk the remote holds in a pack whose index has been uploaded."""
        keys = set(self.call(lambda: list(self.backend.list("packs/"))))
        wanted = [k for k in keys if k.endswith(".idx") and k[: -len(".idx")] + ".pack" in keys]
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        missing = [k for k in wanted if not (self.cache_dir / k.rsplit("/", 1)[1]).exists()]

        def fetch_idx(key: str) -> int:
            raw = self._open(self.call(self.read_bytes, key), key)
            decode_idx(raw, f"{self.backend.url}/{key}")  # verify before caching
            write_atomic(self.cache_dir / key.rsplit("/", 1)[1], raw)
            return len(raw)

        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(fetch_idx, missing))
        live = {k.rsplit("/", 1)[1] for k in wanted}
        for cached in self.cache_dir.glob("*.idx"):
            if cached.name not in live:  # the remote dropped that pack (gc): forget it
                cached.unlink(missing_ok=True)
        return ChunkIndex.load(self.cache_dir, require_packs=False)

    def read_bytes(self, key: str) -> bytes:
        buffer = io.BytesIO()
        self.backend.download(key, buffer)
        return buffer.getvalue()

    def manifest_name(self, oid: str) -> str:
        """The key of a model's manifest: named by its sha256, or by a keyed hash of it when
        the store is encrypted (so the store does not reveal which known files it holds)."""
        return manifest_key(self.cipher.keyed_name(oid) if self.cipher else oid)

    def has_manifest(self, oid: str) -> bool:
        return bool(self.call(self.backend.exists, self.manifest_name(oid)))

    def read_manifest(self, oid: str) -> bytes:
        """A manifest's plain bytes; RemoteNotFound when the remote lacks it."""
        key = self.manifest_name(oid)
        return self._open(self.call(self.read_bytes, key), key)

    def write_small(self, key: str, raw: bytes) -> int:
        """Upload an index or manifest (sealed when encrypted); returns bytes sent."""
        data = self.cipher.seal_blob(raw) if self.cipher else raw
        self.call(self.backend.upload_bytes, key, data)
        return len(data)

    def _open(self, data: bytes, key: str) -> bytes:
        return self.cipher.open_blob(data, f"{self.backend.url}/{key}") if self.cipher else data

    def check_key(self, record: bool = True) -> None:
        """Refuse a key other than the one the store was written with; the first push
        (``record``) stores the key's check value."""
        if self.cipher is None:
            return
        try:
            stored = self.call(self.read_bytes, CHECK_KEY)
        except RemoteNotFound:
            if record:
                self.call(self.backend.upload_bytes, CHECK_KEY, self.cipher.check_value)
            return
        if stored != self.cipher.check_value:
            raise ConfigError(f"{self.backend.url}: the encryption key does not match the one this store was written with")


def bounded_map(pool: ThreadPoolExecutor, fn: Callable, items: list, window: int) -> Iterator:  # type: ignore[type-arg]
    """Like `pool.map`, in order, but with at most ``window`` results in flight or waiting,
    so memory stays bounded when the consumer is slower than the downloads."""
    pending: deque[Future] = deque()  # type: ignore[type-arg]
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _parallel(pool: ThreadPoolExecutor, fn: Callable, items: Iterable) -> list:  # type: ignore[type-arg]
    return list(pool.map(fn, items))


def push(store: LocalStore, remote: RemoteStore, pointers: Iterable[Pointer], label: str = "Uploading models") -> TransferStats:
    """Make the remote hold every pointer's manifest and chunks; returns what was sent."""
    with store_lock(store.root, exclusive=False):  # no local gc while we read packs
        return _push(store, remote, pointers, label)


def _push(store: LocalStore, remote: RemoteStore, pointers: Iterable[Pointer], label: str) -> TransferStats:
    stats = TransferStats()
    unique = list({p.oid: p for p in pointers}.values())
    with ThreadPoolExecutor(remote.workers) as pool:
        present = _parallel(pool, lambda p: remote.has_manifest(p.oid), unique)
    pending = [p for p, has in zip(unique, present) if not has]
    if not pending:
        return stats
    remote_index = remote.index()
    local = store.index
    needed: dict[bytes, Location] = {}
    for pointer in pending:
        for cid, _ in store.manifest_entries(pointer, f"model {pointer.short}"):
            if cid in needed or cid in remote_index:
                continue
            location = local.lookup(cid)
            if location is None:
                raise MissingObjectError(
                    f"cannot push model {pointer.short}: chunk {cid.hex()} is not in the local store "
                    "(run 'git model fsck')"
                )
            needed[cid] = location
    progress = Progress(label, sum(loc.stored_len for loc in needed.values()))
    by_pack: dict[str, list[tuple[bytes, Location]]] = {}
    for cid, location in needed.items():
        by_pack.setdefault(location.pack_id, []).append((cid, location))
    remote.check_key()
    whole = [] if remote.cipher else [pid for pid, items in by_pack.items() if len(items) == _pack_entry_count(store, pid)]
    with ThreadPoolExecutor(remote.workers) as pool:
        uploads: list[Future] = []  # type: ignore[type-arg]
        for pack_id in whole:
            uploads.append(pool.submit(_upload_pack, remote, store.pack_dir / f"{pack_id}.pack", pack_id, None, progress))
        repack = [item for pid, items in by_pack.items() if pid not in set(whole) for item in items]
        stage = store.root / "tmp-upload"
        writer: PackWriter | None = None
        real: list[PackEntry] = []  # the entries under their real ids, for the sealed index
        try:
            for cid, location in repack:
                stored, _ = store.read_stored(cid, location, f"model chunk {cid.hex()}")
                if writer is None:
                    writer, real = PackWriter(stage), []
                if remote.cipher:
                    entry = writer.add(remote.cipher.keyed_id(cid), location.codec, remote.cipher.seal_chunk(cid, stored), location.raw_len)
                    real.append(PackEntry(cid, entry.offset, entry.stored_len, entry.raw_len, entry.codec))
                else:
                    real.append(writer.add(cid, location.codec, stored, location.raw_len))
                if writer.size >= store.pack_size:
                    uploads.append(_seal_and_upload(pool, remote, writer, real, progress))
                    writer = None
                    _wait_backlog(uploads)
            if writer is not None:
                uploads.append(_seal_and_upload(pool, remote, writer, real, progress))
                writer = None
            for future in uploads:
                sent = future.result()
                stats.packs += 1
                stats.bytes += sent
        finally:
            if writer is not None:
                writer.abort()
            for future in uploads:
                future.cancel()
        stats.chunks = len(needed)

        def send_manifest(pointer: Pointer) -> int:
            return remote.write_small(remote.manifest_name(pointer.oid), store.manifest_path(pointer).read_bytes())

        stats.bytes += sum(_parallel(pool, send_manifest, pending))
    stats.files = len(pending)
    progress.finish()
    return stats


def _pack_entry_count(store: LocalStore, pack_id: str) -> int:
    with open(store.pack_dir / f"{pack_id}.idx", "rb") as handle:
        return int(IDX_HEADER.unpack(handle.read(IDX_HEADER.size))[2])


def _wait_backlog(uploads: list[Future]) -> None:  # type: ignore[type-arg]
    """Keep at most a few sealed packs waiting for upload (bounded temp space)."""
    running = [f for f in uploads if not f.done()]
    while len(running) > 2:
        running[0].result()
        running = [f for f in uploads if not f.done()]


def _seal_and_upload(
    pool: ThreadPoolExecutor, remote: RemoteStore, writer: PackWriter, real: list[PackEntry], progress: Progress
) -> Future:  # type: ignore[type-arg]
    pack_id, _ = writer.seal()
    path = writer.directory / f"{pack_id}.pack"
    return pool.submit(_upload_pack, remote, path, pack_id, encode_idx(real), progress, True)


def _upload_pack(
    remote: RemoteStore, path: Path, pack_id: str, idx: bytes | None, progress: Progress, remove: bool = False
) -> int:
    """Upload a pack, then its index (the index makes the pack's chunks count as present)."""
    try:
        if idx is None:
            idx = path.with_suffix(".idx").read_bytes()
        remote.call(remote.backend.upload, pack_key(pack_id), path)
        sent = remote.write_small(idx_key(pack_id), idx)
        size = path.stat().st_size
        progress.advance(size)
        return size + sent
    finally:
        if remove:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class _Range:
    pack_id: str
    start: int
    end: int
    chunks: tuple[tuple[bytes, Location], ...]


def _coalesce(by_pack: dict[str, list[tuple[bytes, Location]]]) -> list[_Range]:
    ranges = []
    for pack_id, items in by_pack.items():
        items.sort(key=lambda item: item[1].offset)
        current: list[tuple[bytes, Location]] = []
        start = end = 0
        for cid, loc in items:
            if current and (loc.offset - end > RANGE_GAP or loc.offset + loc.stored_len - start > RANGE_MAX):
                ranges.append(_Range(pack_id, start, end, tuple(current)))
                current = []
            if not current:
                start = loc.offset
            current.append((cid, loc))
            end = max(end, loc.offset + loc.stored_len)
        if current:
            ranges.append(_Range(pack_id, start, end, tuple(current)))
    return ranges


def fetch(store: LocalStore, remote: RemoteStore, pointers: Iterable[Pointer], label: str = "Downloading models") -> TransferStats:
    """Make the local store hold every pointer's manifest and chunks; returns what was moved."""
    with store_lock(store.root, exclusive=False):
        return _fetch(store, remote, pointers, label)


def _fetch(store: LocalStore, remote: RemoteStore, pointers: Iterable[Pointer], label: str) -> TransferStats:
    store.refresh_index()
    remote.check_key(record=False)
    stats = TransferStats()
    unique = list({p.oid: p for p in pointers}.values())
    staged: list[tuple[Pointer, AtomicFile]] = []
    try:
        missing_manifests = [p for p in unique if not store.has_manifest(p)]
        with ThreadPoolExecutor(remote.workers) as pool:
            raws = _parallel(pool, lambda p: _download_manifest(remote, p), missing_manifests)
        for pointer, raw in zip(missing_manifests, raws):
            staged.append((pointer, _stage_manifest(store, pointer, raw, remote)))
            stats.bytes += len(raw)
        manifest_paths = {p.oid: store.manifest_path(p) for p in unique if store.has_manifest(p)}
        manifest_paths.update({p.oid: f.temp_path for p, f in staged})
        local = store.index
        wanted: dict[bytes, None] = {}
        for pointer in unique:
            for cid, _ in manifest_mod.iter_entries(manifest_paths[pointer.oid]):
                if cid not in local:
                    wanted[cid] = None
        if wanted:
            _fetch_chunks(store, remote, list(wanted), label, stats)
        for _, staged_file in staged:
            pointer_dest = staged_file.final_name
            assert pointer_dest is not None
            pointer_dest.parent.mkdir(parents=True, exist_ok=True)
            staged_file.commit()
        stats.files = len(unique)
        return stats
    finally:
        for _, staged_file in staged:
            if not staged_file.committed:
                staged_file.abort()


def _download_manifest(remote: RemoteStore, pointer: Pointer) -> bytes:
    try:
        return remote.read_manifest(pointer.oid)
    except RemoteNotFound:
        raise MissingObjectError(
            f"model {pointer.short} is not on the remote {remote.backend.url} (was it pushed?)"
        ) from None


def _stage_manifest(store: LocalStore, pointer: Pointer, raw: bytes, remote: RemoteStore) -> AtomicFile:
    """Write a downloaded manifest to a temp file and verify it; commit happens after its chunks."""
    dest = store.manifest_path(pointer)
    staged = AtomicFile(store.manifest_dir, dest)
    staged.write(raw)
    staged.file.flush()
    source = f"{remote.backend.url}/{remote.manifest_name(pointer.oid)}"
    try:
        info = manifest_mod.read_info(staged.temp_path)
    except FormatError as err:
        staged.abort()
        raise CorruptObjectError(f"{source}: {err.message.split(': ', 1)[-1]}") from None
    if info.sha256.hex() != pointer.oid or info.size != pointer.size:
        staged.abort()
        raise CorruptObjectError(f"{source}: manifest does not describe model {pointer.short}")
    return staged


def _fetch_chunks(store: LocalStore, remote: RemoteStore, wanted: list[bytes], label: str, stats: TransferStats) -> None:
    remote_index = remote.index()
    by_pack: dict[str, list[tuple[bytes, Location]]] = {}
    for cid in wanted:
        location = remote_index.lookup(cid)
        if location is None:
            raise MissingObjectError(f"chunk {cid.hex()} is not on the remote {remote.backend.url}")
        by_pack.setdefault(location.pack_id, []).append((cid, location))
    ranges = _coalesce(by_pack)
    progress = Progress(label, sum(r.end - r.start for r in ranges))

    def download(r: _Range) -> bytes:
        data = remote.call(remote.backend.read_range, pack_key(r.pack_id), r.start, r.end - r.start)
        if len(data) != r.end - r.start:
            raise CorruptObjectError(f"{remote.backend.url}/{pack_key(r.pack_id)}: short read from the remote")
        progress.advance(len(data))
        return data

    writer: PackWriter | None = None
    try:
        with ThreadPoolExecutor(remote.workers) as pool:
            for r, data in zip(ranges, bounded_map(pool, download, ranges, max(2, IN_FLIGHT_BYTES // RANGE_MAX))):
                stats.bytes += len(data)
                view = memoryview(data)
                for cid, loc in r.chunks:
                    stored = view[loc.offset - r.start : loc.offset - r.start + loc.stored_len]
                    if remote.cipher:
                        stored = memoryview(remote.cipher.open_chunk(cid, stored, f"{remote.backend.url}/{pack_key(r.pack_id)}"))
                    store.verify_chunk(
                        cid, loc.codec, bytes(stored), loc.raw_len, f"{remote.backend.url}/{pack_key(r.pack_id)}", "fetch"
                    )
                    if writer is None:
                        writer = PackWriter(store.pack_dir)
                    writer.add(cid, loc.codec, stored, loc.raw_len)
                    stats.chunks += 1
                    if writer.size >= store.pack_size:
                        store.seal_pack(writer)
                        stats.packs += 1
                        writer = None
        if writer is not None:
            store.seal_pack(writer)
            stats.packs += 1
            writer = None
    finally:
        if writer is not None:
            writer.abort()
        progress.finish()


def ensure_local(store: LocalStore, remote: RemoteStore | None, pointers: list[Pointer]) -> TransferStats | None:
    """Fetch whatever ``pointers`` need that the local store lacks (None when nothing was)."""
    incomplete = [p for p in pointers if not store.has_complete(p)]
    if not incomplete:
        return None
    if remote is None:
        raise MissingObjectError(
            f"model {incomplete[0].short} is not in the local store and no model remote is configured"
        )
    return fetch(store, remote, incomplete)


def cache_dir_for(store: LocalStore, url: str) -> Path:
    """Where a remote's indexes are cached: one folder per store URL."""
    import hashlib

    return store.root / "remotes" / hashlib.sha256(url.encode()).hexdigest()[:16]


def open_remote_store(store: LocalStore, url: str, base_dir: Path | None = None, cipher: Cipher | None = None) -> RemoteStore:
    from git_model.remote.url import open_backend

    return RemoteStore(open_backend(url, base_dir), cache_dir_for(store, url), cipher=cipher)

