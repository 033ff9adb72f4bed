"""A remote store on a Git LFS server (``lfs+https://host/org/repo.git/info/lfs``).

Each object git-model stores (pack, pack index, manifest) becomes one LFS object, named as
LFS requires by the sha256 and size of its bytes, uploaded and downloaded through the batch
API with the ``basic`` transfer (``git_model.remote.lfs_api``). LFS has no names, listing or
delete, so which LFS object holds which key is recorded in the catalog, a set of refs in the
hosted Git repository (``git_model.remote.lfs_catalog``); the design and its trade-offs are in
docs/remotes.md ("Git LFS server as a store").

Contract notes (``git_model.remote.backend``):

* ``exists``, ``size`` and ``list`` read the catalog only (``git ls-remote``); a key is
  recorded only once its object is uploaded and verified, so every listed key is complete.
* ``upload`` is idempotent: the same content under the same key is not sent again; other
  content under a recorded key is refused (``RemotePermanentError``), keys being write-once.
  Empty objects are recorded in the catalog only (no LFS server needs to hold zero bytes).
* ``download`` streams in blocks and checks the sha256 of what it received; a mismatch is a
  ``CorruptObjectError``.
* ``read_range`` asks for an HTTP Range. A server that ignores Range (giftless, some proxies)
  answers with the whole object: it is then streamed once into a private temporary file,
  checked against its sha256, and later ranges of that object are read from there. The
  temporary directory lives as long as the backend object (and is removed at exit).
* ``delete`` is not possible on LFS: ``supports_delete`` is False and ``delete`` raises
  ``RemotePermanentError``.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from git_model.errors import (
    CorruptObjectError,
    RemoteNotFound,
    RemotePermanentError,
    RemoteTransientError,
)
from git_model.remote.credential import without_password
from git_model.remote.key import check_key, check_prefix
from git_model.remote.lfs_api import LFSClient
from git_model.remote.lfs_catalog import Entry, GitRefCatalog
from git_model.remote.lfs_endpoint import LFSLocation

BLOCK = 1 << 20
"""Download block size: memory per download stays at about one block."""


def _network_errors() -> tuple[type[Exception], ...]:
    import requests

    return (requests.RequestException,)


class LFSBackend:
    """A ``Backend`` over a Git LFS server; safe to use from several threads."""

    supports_delete = False

    def __init__(
        self,
        location: LFSLocation,
        cwd: Path | None = None,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
    ) -> None:
        self.url = without_password(location.url)  # a password in the URL stays out of messages
        self.location = location
        self._api = LFSClient(location.endpoint, cwd, connect_timeout=connect_timeout, read_timeout=read_timeout)
        self._catalog = GitRefCatalog(location.git_url, self._workdir, cwd)
        self._lock = threading.Lock()
        self._dir: Path | None = None
        self._object_locks: dict[str, threading.Lock] = {}
        self._ranges_ignored = False

    def __repr__(self) -> str:
        return f"LFSBackend({self.url!r})"

    # --- catalog reads ---------------------------------------------------------------

    def exists(self, key: str) -> bool:
        return self._catalog.lookup(check_key(key)) is not None

    def size(self, key: str) -> int:
        return self._entry(key).size

    def list(self, prefix: str) -> Iterator[str]:
        check_prefix(prefix)
        yield from sorted(key for key in self._catalog.entries() if key.startswith(prefix))

    # --- writes ----------------------------------------------------------------------

    def upload(self, key: str, source: Path) -> None:
        check_key(key)
        digest = hashlib.sha256()
        with open(source, "rb") as handle:  # a missing source is the caller's OSError
            while block := handle.read(BLOCK):
                digest.update(block)
            size = handle.tell()
        self._put(key, Entry(digest.hexdigest(), size), lambda: open(source, "rb"))

    def upload_bytes(self, key: str, data: bytes) -> None:
        check_key(key)
        entry = Entry(hashlib.sha256(data).hexdigest(), len(data))
        self._put(key, entry, lambda: io.BytesIO(data))

    def _put(self, key: str, entry: Entry, opener: Any) -> None:
        existing = self._catalog.lookup(key)
        if existing == entry:
            return
        if existing is not None:
            raise RemotePermanentError(
                f"{self.url}: {key} already holds other content (LFS object {existing.oid[:12]}); keys are write-once"
            )
        if entry.size:
            self._api.upload(entry.oid, entry.size, opener)
        self._catalog.record(key, entry)

    def delete(self, key: str) -> None:
        check_key(key)
        raise RemotePermanentError(
            f"{self.url}: cannot delete {key}: Git LFS servers offer no delete (objects stay until the hosted repository is removed)"
        )

    # --- reads -----------------------------------------------------------------------

    def download(self, key: str, dest: BinaryIO) -> int:
        entry = self._entry(key)
        if entry.size == 0:
            return 0
        cached = self._cached(entry)
        if cached is not None:
            return _copy_file(cached, dest)
        response = self._api.open(entry.oid, entry.size)
        with response:
            return self._receive(key, entry, response, dest)

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError(f"invalid range offset={offset} length={length}")
        entry = self._entry(key)
        if length == 0 or offset >= entry.size:
            return b""
        last = min(offset + length, entry.size) - 1
        cached = self._cached(entry)
        if cached is None and not self._ranges_ignored:
            response = self._api.open(entry.oid, entry.size, (offset, last))
            with response:
                if response.status_code == 206:
                    return self._ranged(key, entry, response, offset, last)
                self._ranges_ignored = True  # 200: the whole object is coming
                cached = self._fill_cache(key, entry, response)
        if cached is None:
            cached = self._fill_cache(key, entry, None)
        with open(cached, "rb") as handle:
            return os.pread(handle.fileno(), last - offset + 1, offset)

    def _ranged(self, key: str, entry: Entry, response: Any, offset: int, last: int) -> bytes:
        content_range = response.headers.get("Content-Range", "")
        if not content_range.startswith(f"bytes {offset}-"):
            raise RemotePermanentError(f"{self.url}: {key}: server sent range {content_range!r} for {offset}-{last}")
        wanted = last - offset + 1
        data = bytearray()
        try:
            for block in response.iter_content(BLOCK):
                data += block
                if len(data) >= wanted:
                    break
        except _network_errors() as err:
            raise RemoteTransientError(f"{self.url}: {key}: download interrupted: {type(err).__name__}") from None
        if len(data) < wanted:
            raise RemoteTransientError(f"{self.url}: {key}: short read ({len(data)} of {wanted} bytes)")
        return bytes(data[:wanted])

    def _receive(self, key: str, entry: Entry, response: Any, dest: BinaryIO) -> int:
        """Stream a whole-object response into ``dest``, checking size and sha256."""
        digest = hashlib.sha256()
        total = 0
        blocks = response.iter_content(BLOCK)
        while True:
            try:
                block = next(blocks, None)
            except _network_errors() as err:
                raise RemoteTransientError(f"{self.url}: {key}: download interrupted: {type(err).__name__}") from None
            if block is None:
                break
            digest.update(block)
            total += len(block)
            if total > entry.size:
                raise RemoteTransientError(f"{self.url}: {key}: server sent more than {entry.size} bytes")
            dest.write(block)
        if total != entry.size:
            raise RemoteTransientError(f"{self.url}: {key}: short download ({total} of {entry.size} bytes)")
        if digest.hexdigest() != entry.oid:
            raise CorruptObjectError(f"{self.url}: {key}: content does not match its sha256 {entry.oid[:12]}")
        return total

    # --- whole-object cache for servers that ignore Range --------------------------------

    def _cached(self, entry: Entry) -> Path | None:
        if self._dir is None:
            return None
        path = self._dir / "objects" / entry.oid
        return path if path.exists() else None

    def _fill_cache(self, key: str, entry: Entry, response: Any) -> Path:
        """Download the whole object once into the private directory (single flight per oid)."""
        with self._lock:
            lock = self._object_locks.setdefault(entry.oid, threading.Lock())
        with lock:
            path = self._workdir() / "objects" / entry.oid
            if path.exists():
                return path
            path.parent.mkdir(exist_ok=True)
            temp = path.with_name(f".{entry.oid}.tmp")
            try:
                with open(temp, "wb") as out:
                    if response is None:
                        with self._api.open(entry.oid, entry.size) as fresh:
                            self._receive(key, entry, fresh, out)
                    else:
                        self._receive(key, entry, response, out)
                os.replace(temp, path)
            finally:
                temp.unlink(missing_ok=True)
            return path

    def _workdir(self) -> Path:
        """This backend's private temporary directory (catalog scratch repository, cache)."""
        with self._lock:
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix="git-model-lfs-"))
                weakref.finalize(self, shutil.rmtree, self._dir, True)
            return self._dir

    def _entry(self, key: str) -> Entry:
        entry = self._catalog.lookup(check_key(key))
        if entry is None:
            raise RemoteNotFound(f"{self.url}: {key}: not found")
        return entry


def _copy_file(path: Path, dest: BinaryIO) -> int:
    total = 0
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            dest.write(block)
            total += len(block)
    return total
