"""Atomic file writes: a temp file in the destination's directory, fsync, `os.replace`.

Every writer in the store goes through `AtomicFile`, so a reader (or a process started after a
`kill -9`) sees either the complete old state or the complete new file, never a partial one.
Temp files are named ``.tmp-*``; anything with that prefix is an orphan once its writer died
and may be removed by fsck/gc.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path
from types import TracebackType

from git_model.errors import StoreWriteError

TEMP_PREFIX = ".tmp-"


_fdatasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def describe_os_error(path: Path, err: OSError) -> str:
    """One line naming the file and the cause, for StoreWriteError and friends."""
    if err.errno == errno.ENOSPC:
        cause = "no space left on device"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        cause = "permission denied"
    else:
        cause = err.strerror or str(err)
    return f"{path}: {cause}"


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable; a filesystem that cannot fsync a directory
    (EINVAL, ENOTSUP) is accepted."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """`os.write` until everything is written (it may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class AtomicFile:
    """A write-once file that appears at its final name only when `commit` succeeds.

    Use as a context manager: leaving the block without `commit` (or by an exception) removes
    the temp file. `commit(dest)` may name the destination late (packs are named by content).
    OSErrors from writes and the rename become StoreWriteError naming the file.
    """

    def __init__(self, directory: Path, final_name: Path | None = None) -> None:
        self.directory = directory
        self.final_name = final_name
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self.temp_path = directory / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
            self.file = open(self.temp_path, "xb")
        except OSError as err:
            raise StoreWriteError(describe_os_error(final_name or directory, err)) from err
        self.committed = False

    def write(self, data: bytes | memoryview) -> None:
        try:
            self.file.write(data)
        except OSError as err:
            raise StoreWriteError(describe_os_error(self.final_name or self.temp_path, err)) from err

    def sync_data(self, fd: int) -> None:
        """Start writing what is written so far to disk (``fd`` is this file's descriptor,
        taken once by the caller: this may run on another thread than `write`)."""
        try:
            _fdatasync(fd)
        except OSError as err:
            raise StoreWriteError(describe_os_error(self.final_name or self.temp_path, err)) from err

    def commit(self, dest: Path | None = None) -> Path:
        """Flush, fsync and rename to ``dest`` (or the name given at construction)."""
        dest = dest or self.final_name
        assert dest is not None, "AtomicFile.commit needs a destination"
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.temp_path, dest)
            fsync_dir(dest.parent)
        except OSError as err:
            self.abort()
            raise StoreWriteError(describe_os_error(dest, err)) from err
        self.committed = True
        return dest

    def abort(self) -> None:
        if not self.file.closed:
            try:
                self.file.close()  # flushes buffered data: may fail again (ENOSPC); discarded anyway
            except OSError:
                pass
        try:
            self.temp_path.unlink()
        except FileNotFoundError:
            pass

    def __enter__(self) -> "AtomicFile":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self.committed:
            self.abort()


def write_atomic(dest: Path, data: bytes) -> None:
    """Write small ``data`` to ``dest`` atomically (config files, refs, small indexes)."""
    with AtomicFile(dest.parent, dest) as out:
        out.write(data)
        out.commit()
