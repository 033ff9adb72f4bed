"""A remote that is a directory: a mounted share, a USB disk, or a path in tests.

Each key is a file under the root (``packs/ab.pack`` → ``<root>/packs/ab.pack``). Uploads are
written to a temporary file in the target directory (``.<name>.<random>.tmp``), fsynced and
renamed over the key, so a reader sees the whole object or nothing, on any POSIX filesystem
that makes rename atomic. Listing skips those temporary files.

Only failures of the remote side are mapped to remote errors: a missing object is
``RemoteNotFound``; permissions, a full or read-only disk and paths that are not directories
are ``RemotePermanentError``; any other ``OSError`` (I/O errors, stale NFS handles, ...) is
``RemoteTransientError``. Errors reading the upload source or writing the download
destination are the caller's and propagate unchanged.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO, Iterator

from git_model.errors import RemoteError, RemoteNotFound, RemotePermanentError, RemoteTransientError
from git_model.remote.key import check_key, check_prefix, is_valid_component
from git_model.store.atomic import fsync_dir, write_all

BLOCK = 1 << 20
"""Copy and download block size: memory per transfer stays at one block."""

_MISSING = {errno.ENOENT, errno.ENOTDIR}
_NOT_AN_OBJECT = _MISSING | {errno.EISDIR}
_READS = ("stat", "open", "read")
_PERMANENT = {
    errno.EACCES,
    errno.EPERM,
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EROFS,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.ENAMETOOLONG,
    errno.EEXIST,
}


class FilesystemBackend:
    """A ``Backend`` over a local or mounted directory; safe to use from several threads."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self.url = self.root.as_uri()

    def __repr__(self) -> str:
        return f"FilesystemBackend({str(self.root)!r})"

    def exists(self, key: str) -> bool:
        path = self._path(key)
        try:
            return stat.S_ISREG(os.stat(path).st_mode)
        except OSError as err:
            if err.errno in _MISSING:
                return False
            raise _remote_error(path, "stat", err) from err

    def size(self, key: str) -> int:
        path = self._path(key)
        with _mapped(path, "stat"):
            st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise RemoteNotFound(f"{path}: not found (not a regular file)")
        return st.st_size

    def list(self, prefix: str) -> Iterator[str]:
        """Every key starting with ``prefix``; walks only the prefix's directory."""
        check_prefix(prefix)
        head = prefix.rpartition("/")[0]
        start = self.root.joinpath(*head.split("/")) if head else self.root
        for key in self._walk(start, head):
            if key.startswith(prefix):
                yield key

    def upload(self, key: str, source: Path) -> None:
        with open(source, "rb") as src:
            self._store(key, _blocks(src), copy_from=src)

    def upload_bytes(self, key: str, data: bytes) -> None:
        self._store(key, iter([data]))

    def download(self, key: str, dest: BinaryIO) -> int:
        """Stream in BLOCK pieces; ``dest.write`` gets a reused view it must copy, not keep."""
        path = self._path(key)
        with _mapped(path, "open"):
            fd = os.open(path, os.O_RDONLY)
        try:
            buf = bytearray(BLOCK)
            view = memoryview(buf)
            total = 0
            while True:
                with _mapped(path, "read"):
                    n = os.readv(fd, [buf])  # a directory fails here with EISDIR: not found
                if not n:
                    return total
                dest.write(view[:n])
                total += n
        finally:
            os.close(fd)

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """Like ``pread``: fewer than ``length`` bytes only where the object ends."""
        if offset < 0 or length < 0:
            raise ValueError(f"invalid range offset={offset} length={length}")
        path = self._path(key)
        with _mapped(path, "open"):
            fd = os.open(path, os.O_RDONLY)
        try:
            parts: list[bytes] = []
            with _mapped(path, "read"):
                if length == 0:
                    os.pread(fd, 0, offset)  # fails on a directory like a real read would
                while length > 0:
                    part = os.pread(fd, length, offset)
                    if not part:
                        break
                    parts.append(part)
                    offset += len(part)
                    length -= len(part)
            return b"".join(parts)
        finally:
            os.close(fd)

    def delete(self, key: str) -> None:
        """Remove the file; empty directories stay (removing them would race uploads)."""
        path = self._path(key)
        try:
            os.unlink(path)
        except OSError as err:
            if err.errno in _MISSING:
                return
            if err.errno in (errno.EISDIR, errno.EPERM) and path.is_dir():
                return  # a directory is not a key: nothing to delete
            raise _remote_error(path, "delete", err) from err

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _store(self, key: str, blocks: Iterator[bytes | memoryview], copy_from: BinaryIO | None = None) -> None:
        """Write ``blocks`` to a temp file beside the key, fsync, rename, fsync the dir.

        Iterating ``blocks`` reads the caller's source, so it happens outside the error
        mapping: a failing source is the caller's error, not the remote's.
        """
        final = self._path(key)
        tmp = final.with_name(f".{final.name}.{secrets.token_hex(8)}.tmp")
        with _mapped(final, "upload"):
            final.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            if copy_from is None or not _kernel_copy(copy_from, fd, final):
                for block in blocks:
                    with _mapped(final, "upload"):
                        write_all(fd, block)
            with _mapped(final, "upload"):
                os.fsync(fd)
                closing, fd = fd, -1
                os.close(closing)
                os.replace(tmp, final)
                fsync_dir(final.parent)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _walk(self, directory: Path, rel: str) -> Iterator[str]:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as err:
            if err.errno in _MISSING:
                return
            raise _remote_error(directory, "list", err) from err
        for entry in entries:
            if not is_valid_component(entry.name):
                continue  # our temp files, or names no key can have
            key = f"{rel}/{entry.name}" if rel else entry.name
            with _mapped(Path(entry.path), "list"):
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file()
            if is_dir:
                yield from self._walk(Path(entry.path), key)
            elif is_file:
                yield key


def _blocks(src: BinaryIO) -> Iterator[memoryview]:
    """Read ``src`` in BLOCK-sized pieces; the yielded view is valid until the next one."""
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    while n := src.readinto(buf):
        yield view[:n]


def _kernel_copy(src: BinaryIO, fd: int, final: Path) -> bool:
    """Copy all of ``src`` into ``fd`` inside the kernel (copy_file_range: no bytes through
    Python, reflinks where the filesystem has them). False when this pair of filesystems
    does not support it and nothing was copied, so the caller copies by blocks instead."""
    if not hasattr(os, "copy_file_range"):
        return False
    copied = 0
    while True:
        try:
            n = os.copy_file_range(src.fileno(), fd, 1 << 30)
        except OSError as err:
            if copied == 0 and err.errno in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF):
                return False
            raise _remote_error(final, "upload", err) from err
        if n == 0:
            return True
        copied += n


@contextlib.contextmanager
def _mapped(path: Path, op: str) -> Iterator[None]:
    try:
        yield
    except RemoteError:
        raise
    except OSError as err:
        raise _remote_error(path, op, err) from err


def _remote_error(path: Path | str, op: str, err: OSError) -> RemoteError:
    """Classify ``err`` by behaviour; the message is one line naming the path and cause."""
    cause = err.strerror or str(err) or type(err).__name__
    message = f"{path}: {op} failed: {cause}".replace("\n", " ")
    if err.errno in _NOT_AN_OBJECT and op in _READS:
        return RemoteNotFound(f"{path}: not found")
    if err.errno in _PERMANENT:
        return RemotePermanentError(message)
    return RemoteTransientError(message)
