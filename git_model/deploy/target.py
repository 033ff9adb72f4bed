"""Writing verified model files into the output directory of `git model get`.

Guarantee: at any instant, and after a `kill -9` at any instant, a destination path holds its
previous complete content or the complete new file, never a partial one, and no partially
written file appears anywhere in the output directory.

How: on Linux the new content goes into an unnamed file (``O_TMPFILE``) in the destination's
directory. Only once it is complete, verified and fsynced is it linked under a temp name
(``.tmp-<pid>-<hex>``) and renamed over the destination; then the directory is fsynced. A kill
before the link leaves nothing (the kernel frees the unnamed inode); a kill between link and
rename leaves a complete file under the temp name, which the next `get` into that directory
removes. Where ``O_TMPFILE`` is unavailable (other systems, some network filesystems) the
store's `AtomicFile` is used: a kill may then leave a partial ``.tmp-*`` file, removed the
same way.

Already identical files are not rewritten: see `WrittenState` and `holds`.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from git_model.errors import StoreWriteError, UsageError
from git_model.pointer import Pointer
from git_model.store.atomic import (
    TEMP_PREFIX,
    AtomicFile,
    describe_os_error,
    fsync_dir,
    write_all,
    write_atomic,
)

STATE_VERSION = 1
NEW_FILE_MODE = 0o644
_ORPHAN = re.compile(rf"^{re.escape(TEMP_PREFIX)}(\d+)-[0-9a-f]{{12}}$")
_NO_TMPFILE = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL}
_HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class _Written:
    path: str
    size: int
    mtime_ns: int
    oid: str


class WrittenState:
    """What `get` wrote earlier: (device, inode) → (size, mtime in ns, sha256).

    A destination whose ``lstat`` shows a recorded inode with the recorded size and mtime is
    taken to hold the recorded content without being read again (a file rewritten by any
    other means gets a new inode from its rename, or a new mtime). Keyed by inode rather than
    path, so a hard link of an earlier release (see docs/examples/deploy.sh) is recognised.
    Not detected: a file modified in place whose mtime was then set back by hand; delete such
    a file to force a rewrite. Unrecorded files are compared by reading them (size first).

    The state is a cache: a missing, unreadable or malformed file is treated as empty.
    """

    def __init__(self, entries: dict[tuple[int, int], _Written] | None = None) -> None:
        self.entries = dict(entries or {})

    @classmethod
    def load(cls, path: Path) -> WrittenState:
        try:
            raw = json.loads(path.read_bytes())
            if raw.get("version") != STATE_VERSION:
                return cls()
            entries = {
                (int(e["dev"]), int(e["ino"])): _Written(str(e["path"]), int(e["size"]), int(e["mtime_ns"]), str(e["oid"]))
                for e in raw["files"]
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()
        return cls(entries)

    def lookup(self, st: os.stat_result) -> str | None:
        entry = self.entries.get((st.st_dev, st.st_ino))
        if entry is None or entry.size != st.st_size or entry.mtime_ns != st.st_mtime_ns:
            return None
        return entry.oid

    def record(self, dest: Path, st: os.stat_result, oid: str) -> None:
        self.entries[(st.st_dev, st.st_ino)] = _Written(str(dest), st.st_size, st.st_mtime_ns, oid)

    def save(self, path: Path) -> None:
        """Write the entries whose file still matches (others are dropped), atomically."""
        files = []
        for (dev, ino), entry in sorted(self.entries.items()):
            try:
                st = os.lstat(entry.path)
            except OSError:
                continue
            if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != (dev, ino, entry.size, entry.mtime_ns):
                continue
            files.append({"path": entry.path, "dev": dev, "ino": ino, "size": entry.size,
                          "mtime_ns": entry.mtime_ns, "oid": entry.oid})
        write_atomic(path, json.dumps({"version": STATE_VERSION, "files": files}, indent=1).encode())


def holds(dest: Path, pointer: Pointer, state: WrittenState) -> bool:
    """True when ``dest`` is a regular file with exactly the pointer's content (recorded in
    ``state``, or read and hashed; a match found by reading is recorded). A directory in the
    way is a UsageError; an unreadable file counts as different (it will be replaced)."""
    try:
        st = os.lstat(dest)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as err:
        raise StoreWriteError(describe_os_error(dest, err)) from err
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{dest}: is a directory; cannot write a model file there")
    if not stat.S_ISREG(st.st_mode) or st.st_size != pointer.size:
        return False
    if state.lookup(st) == pointer.oid:
        return True
    digest = hashlib.sha256()
    try:
        with open(dest, "rb", buffering=0) as handle:
            buffer = bytearray(_HASH_BLOCK)
            view = memoryview(buffer)
            while n := handle.readinto(buffer):
                digest.update(view[:n])
            after = os.fstat(handle.fileno())
    except OSError:
        return False
    if digest.hexdigest() != pointer.oid or (after.st_ino, after.st_mtime_ns) != (st.st_ino, st.st_mtime_ns):
        return False
    state.record(dest, st, pointer.oid)
    return True


def remove_orphans(directory: Path) -> list[Path]:
    """Remove temp files that killed runs left in ``directory``: ``.tmp-<pid>-<hex>`` whose
    pid is this process (this run has not started writing there yet) or no longer runs."""
    removed: list[Path] = []
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return removed
    except OSError as err:
        raise StoreWriteError(describe_os_error(directory, err)) from err
    for name in names:
        match = _ORPHAN.match(name)
        if match is None or (int(match[1]) != os.getpid() and _alive(int(match[1]))):
            continue
        path = directory / name
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise StoreWriteError(describe_os_error(path, err)) from err
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_file(dest: Path, blocks: Iterable[bytes | memoryview]) -> None:
    """Replace ``dest`` by the concatenated ``blocks`` so that nothing partial is ever
    visible (module docstring). An exception from ``blocks`` (a failed verification) leaves
    ``dest`` untouched; OSErrors become StoreWriteError naming ``dest``. The file keeps the
    mode of the file it replaces, else gets 0644."""
    directory = dest.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        previous = os.lstat(dest)
        mode = stat.S_IMODE(previous.st_mode) if stat.S_ISREG(previous.st_mode) else NEW_FILE_MODE
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    except OSError as err:
        raise StoreWriteError(describe_os_error(dest, err)) from err
    fd = _open_unnamed(directory, dest)
    if fd is None:
        _write_named(dest, blocks, mode)
        return
    try:
        for block in blocks:
            write_all(fd, block)
        os.fchmod(fd, mode)
        os.fsync(fd)
        temp = directory / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
        _link_unnamed(fd, temp)
        try:
            os.replace(temp, dest)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        fsync_dir(directory)
    except OSError as err:
        raise StoreWriteError(describe_os_error(dest, err)) from err
    finally:
        os.close(fd)


def _open_unnamed(directory: Path, dest: Path) -> int | None:
    """An unnamed writable file in ``directory``, or None where O_TMPFILE cannot be used."""
    if not hasattr(os, "O_TMPFILE") or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o600)
    except OSError as err:
        if err.errno in _NO_TMPFILE:
            return None
        raise StoreWriteError(describe_os_error(dest, err)) from err


def _link_unnamed(fd: int, path: Path) -> None:
    """Give the unnamed file ``fd`` the name ``path``: linkat through /proc with
    AT_SYMLINK_FOLLOW (os.link only passes that flag when a directory fd is given)."""
    proc_fd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(str(fd), path, src_dir_fd=proc_fd, follow_symlinks=True)
    finally:
        os.close(proc_fd)


def _write_named(dest: Path, blocks: Iterable[bytes | memoryview], mode: int) -> None:
    with AtomicFile(dest.parent, dest) as out:
        for block in blocks:
            out.write(block)
        try:
            os.chmod(out.temp_path, mode)
        except OSError as err:
            raise StoreWriteError(describe_os_error(dest, err)) from err
        out.commit()
