"""The contract every remote store backend fulfils (filesystem path, S3, ...).

A backend is a flat key → immutable object store. Keys are '/'-separated relative names such
as ``packs/<id>.pack``. Objects are written once and never modified; an upload is atomic: a
reader sees the whole object or none of it. Errors are classified by behaviour with the
classes in ``git_model.errors``: ``RemoteNotFound`` (no such key), ``RemotePermanentError``
(refused; retrying will not help) and ``RemoteTransientError`` (may pass; callers retry,
see ``git_model.remote.retry``). Only the remote side's failures are classified: errors
reading an upload's source file or writing a download's destination propagate unchanged
(``OSError``). Keys follow ``git_model.remote.key``; a malformed key raises ``ValueError``.
Every implementation passes ``tests/remote/test_backend_contract.py``.

Capability flags are optional class attributes; an absent flag means the capability is there.
``supports_delete = False`` (Git LFS: the API has no delete) makes ``delete`` raise
``RemotePermanentError`` for every key. Read flags with ``supports_delete(backend)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Iterator, Protocol


class Backend(Protocol):
    """A remote object store. Implementations must be safe to call from several threads."""

    url: str

    def exists(self, key: str) -> bool:
        """True when ``key`` is fully stored (never raises RemoteNotFound)."""

    def size(self, key: str) -> int:
        """Size in bytes of ``key``; raises RemoteNotFound."""

    def list(self, prefix: str) -> Iterator[str]:
        """Every key that starts with ``prefix`` (order unspecified; a partial last
        component such as ``packs/ab`` is allowed). Stored names that are not valid keys
        (temporary files, directory markers) are skipped."""

    def upload(self, key: str, source: Path) -> None:
        """Store the file ``source`` under ``key`` atomically; overwriting an existing key
        with identical content is allowed (idempotent retries)."""

    def upload_bytes(self, key: str, data: bytes) -> None:
        """Store small ``data`` (manifests, indexes) under ``key`` atomically."""

    def download(self, key: str, dest: BinaryIO) -> int:
        """Stream the object into ``dest`` (not loading it whole); returns bytes written.
        Raises RemoteNotFound. After a failure ``dest`` may hold a prefix of the object, so
        a retry must start again on a fresh or truncated ``dest``."""

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes of ``key`` from ``offset`` (for pack tables and single chunks).
        Like ``pread``: fewer bytes only where the object ends (``b""`` from its end on).
        Raises RemoteNotFound; a negative offset or length raises ValueError."""

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error. A backend without the
        capability (``supports_delete(backend)`` is False) raises RemotePermanentError."""


def supports_delete(backend: Backend) -> bool:
    """Whether ``backend.delete`` can remove objects (the ``supports_delete`` flag)."""
    return bool(getattr(backend, "supports_delete", True))
