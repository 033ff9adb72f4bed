"""Recording the stat data of files git-model wrote itself, straight into Git's index.

Why: large models are written into the working tree by git-model, not by Git's smudge (which
would hold the whole file in Git's memory). The index entry of such a path still carries the
stat data of the small pointer file Git checked out, so `git status` would take the file for
modified and run the clean filter over gigabytes; `git update-index --refresh` would read every
byte through the filter too. `refresh_stat` writes the new stat data into those entries
without reading the files: the blob is already known to be the right one (the caller passes
the pointer blob's id, and only an entry that still holds exactly that blob is touched).

The index file (Git's Documentation/gitformat-index.txt), as far as this module reads it; all
integers big-endian:

    header      "DIRC", version (2, 3 or 4), number of entries               (3 x uint32)
    entry       ctime s, ctime ns, mtime s, mtime ns, dev, ino, mode,
                uid, gid, size                                               (10 x uint32)
                object id (20 bytes for sha1 repositories, 32 for sha256)
                flags (uint16: assume-valid, extended, stage (2 bits), name length (12 bits))
                [extended flags (uint16) when flags has the extended bit: skip-worktree,
                 intent-to-add; written by Git only in version >= 3]
                name  v2/v3: the path, then 1-8 NUL bytes padding the entry to a multiple of 8
                      v4:    varint(bytes to drop from the previous path), NUL-terminated
                             suffix; no padding
    extensions  4-byte signature, uint32 size, data; an upper-case first letter means optional
    checksum    sha1/sha256 of everything before it; all zero bytes with index.skipHash

What is changed: only the stat words of chosen entries (the 40-byte head minus `mode`). Names,
padding, flags, object ids, unselected entries and every extension (TREE, REUC, UNTR, FSMN,
EOIE, IEOT, ...) are copied byte for byte — none of them depends on stat data or entry size,
since entry sizes and positions never change. The trailing checksum is recomputed (or kept
zero). The one exception is Git's own racy-git rule, see `refresh_stat`.

Not handled here: an index with a mandatory extension (lower-case signature: `link` for a
split index, `sdir` for a sparse index, any future one). Their entries are not all in this
file or are not all files, so `refresh_stat` hands the job to `git update-index -q --refresh`,
which is correct but reads changed files through the clean filter.

Memory: the index is small metadata (Git itself maps it whole); it is read whole, and entries
are decoded one at a time by a generator, so no per-entry objects are kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat as stat_mod
import struct
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from git_model.errors import FormatError, GitModelError, UsageError
from git_model.git.repo import Repo
from git_model.store.atomic import describe_os_error, fsync_dir

SIGNATURE = b"DIRC"
HEADER = struct.Struct(">4sII")
STAT_HEAD = struct.Struct(">IIIIII")  # ctime s, ctime ns, mtime s, mtime ns, dev, ino
STAT_TAIL = struct.Struct(">III")  # uid, gid, size (after the mode word)
STAT_TAIL_OFFSET = 28
FIXED = struct.Struct(">IIIIIIIIII")  # the ten 32-bit words before the object id
EXTENSION_HEADER = struct.Struct(">4sI")

HASH_SIZES = {"sha1": 20, "sha256": 32}
SUPPORTED_VERSIONS = (2, 3, 4)

FLAG_EXTENDED = 0x4000
FLAG_STAGE_MASK = 0x3000
FLAG_NAME_MASK = 0x0FFF
EXT_SKIP_WORKTREE = 0x4000
EXT_INTENT_TO_ADD = 0x2000

MASK32 = 0xFFFFFFFF
S_IFGITLINK = 0o160000

# How long refresh_stat waits for the clock to pass the newest file's mtime before it gives up
# and writes anyway (Git then re-checks those entries by content: slow, never wrong).
RACY_WAIT_LIMIT = 3.0
CLOCK_MARGIN = 0.02  # file timestamps come from a coarse kernel clock that lags time.time()


@dataclasses.dataclass(frozen=True, slots=True)
class StatData:
    """The stat words of an index entry, each truncated to 32 bits exactly as Git does."""

    ctime_s: int
    ctime_ns: int
    mtime_s: int
    mtime_ns: int
    dev: int
    ino: int
    uid: int
    gid: int
    size: int

    @classmethod
    def from_stat(cls, st: os.stat_result) -> StatData:
        ctime_s, ctime_ns = divmod(st.st_ctime_ns, 1_000_000_000)
        mtime_s, mtime_ns = divmod(st.st_mtime_ns, 1_000_000_000)
        return cls(
            ctime_s & MASK32, ctime_ns, mtime_s & MASK32, mtime_ns,
            st.st_dev & MASK32, st.st_ino & MASK32, st.st_uid & MASK32, st.st_gid & MASK32,
            st.st_size & MASK32,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class IndexEntry:
    """One decoded entry; ``offset`` is where it starts in the index file, ``end`` where it ends."""

    offset: int
    end: int
    stat: StatData
    mode: int
    oid: bytes
    flags: int
    extended_flags: int
    path: bytes

    @property
    def stage(self) -> int:
        return (self.flags & FLAG_STAGE_MASK) >> 12

    @property
    def skip_worktree(self) -> bool:
        return bool(self.extended_flags & EXT_SKIP_WORKTREE)

    @property
    def intent_to_add(self) -> bool:
        return bool(self.extended_flags & EXT_INTENT_TO_ADD)


@dataclasses.dataclass(frozen=True, slots=True)
class IndexExtension:
    signature: bytes
    offset: int  # of the 8-byte extension header
    size: int  # of the data after the header

    @property
    def mandatory(self) -> bool:
        """Git refuses an index with a lower-case extension it does not understand."""
        return not (b"A"[0] <= self.signature[0] <= b"Z"[0])


@dataclasses.dataclass(frozen=True)
class IndexFile:
    """A parsed index. The file's bytes are kept; entries are decoded on demand by `entries`."""

    source: Path
    data: bytes = dataclasses.field(repr=False)
    version: int
    count: int
    hash_name: str
    entries_end: int
    extensions: tuple[IndexExtension, ...]

    @property
    def hash_size(self) -> int:
        return HASH_SIZES[self.hash_name]

    @property
    def checksum(self) -> bytes:
        return self.data[-self.hash_size :]

    @property
    def skip_hash(self) -> bool:
        """index.skipHash: the trailing checksum is all zero bytes and must stay so."""
        return not any(self.checksum)

    def entries(self) -> Iterator[IndexEntry]:
        return _walk(self.data, self.version, self.count, self.hash_size, self.source)

    def needs_git(self) -> tuple[bytes, ...]:
        """Signatures of the mandatory extensions (``link``, ``sdir``, ...) we leave to Git."""
        return tuple(ext.signature for ext in self.extensions if ext.mandatory)


def parse_index(data: bytes, hash_name: str, source: Path) -> IndexFile:
    """Parse and check a whole index file; FormatError naming ``source`` on any damage.

    The checksum is verified unless it is all zero bytes (index.skipHash).
    """
    if hash_name not in HASH_SIZES:
        raise FormatError(f"{source}: unknown object format {hash_name!r}")
    hash_size = HASH_SIZES[hash_name]
    if len(data) < HEADER.size + hash_size:
        raise FormatError(f"{source}: index file too short ({len(data)} bytes)")
    magic, version, count = HEADER.unpack_from(data, 0)
    if magic != SIGNATURE:
        raise FormatError(f"{source}: not a Git index (bad signature {magic!r})")
    if version not in SUPPORTED_VERSIONS:
        raise FormatError(f"{source}: unsupported index version {version}")
    body_end = len(data) - hash_size
    checksum = data[body_end:]
    if any(checksum) and hashlib.new(hash_name, memoryview(data)[:body_end]).digest() != checksum:
        raise FormatError(f"{source}: index checksum mismatch")
    end = HEADER.size
    for entry in _walk(data, version, count, hash_size, source):
        end = entry.end
    extensions = []
    pos = end
    while pos + EXTENSION_HEADER.size <= body_end:
        signature, size = EXTENSION_HEADER.unpack_from(data, pos)
        if pos + EXTENSION_HEADER.size + size > body_end:
            raise FormatError(f"{source}: truncated index extension {signature!r}")
        extensions.append(IndexExtension(signature, pos, size))
        pos += EXTENSION_HEADER.size + size
    return IndexFile(source, data, version, count, hash_name, end, tuple(extensions))


def _walk(data: bytes, version: int, count: int, hash_size: int, source: Path) -> Iterator[IndexEntry]:
    """Decode ``count`` entries one by one from just after the header."""
    limit = len(data) - hash_size
    flags_at = FIXED.size + hash_size
    pos = HEADER.size
    previous = b""
    for number in range(count):
        if pos + flags_at + 2 > limit:
            raise FormatError(f"{source}: truncated index entry {number}")
        words = FIXED.unpack_from(data, pos)
        oid = data[pos + FIXED.size : pos + flags_at]
        (flags,) = struct.unpack_from(">H", data, pos + flags_at)
        name_at = pos + flags_at + 2
        extended = 0
        if flags & FLAG_EXTENDED:
            if name_at + 2 > limit:
                raise FormatError(f"{source}: truncated index entry {number}")
            (extended,) = struct.unpack_from(">H", data, name_at)
            name_at += 2
        if version == 4:
            strip, suffix_at = _read_varint(data, name_at, limit, source, number)
            nul = data.find(b"\0", suffix_at, limit)
            if nul < 0 or strip > len(previous):
                raise FormatError(f"{source}: bad path in index entry {number}")
            path = previous[: len(previous) - strip] + data[suffix_at:nul]
            end = nul + 1
        else:
            length = flags & FLAG_NAME_MASK
            if length == FLAG_NAME_MASK:  # 4095 or longer: the name runs to its NUL
                nul = data.find(b"\0", name_at, limit)
                if nul < 0:
                    raise FormatError(f"{source}: bad path in index entry {number}")
                length = nul - name_at
            path = data[name_at : name_at + length]
            end = pos + ((name_at - pos + length + 8) & ~7)
            if end > limit:
                raise FormatError(f"{source}: truncated index entry {number}")
        stat = StatData(*words[:6], *words[7:])
        yield IndexEntry(pos, end, stat, words[6], oid, flags, extended, path)
        previous = path
        pos = end


def _read_varint(data: bytes, pos: int, limit: int, source: Path, number: int) -> tuple[int, int]:
    """Git's offset varint (varint.c): 7 bits a byte, high bit = more, +1 per continuation."""
    value = -1
    while True:
        if pos >= limit or value > 1 << 56:
            raise FormatError(f"{source}: bad path in index entry {number}")
        byte = data[pos]
        pos += 1
        value = (byte & 0x7F) if value < 0 else ((value + 1) << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos


def serialise_index(index: IndexFile, updates: Mapping[int, StatData]) -> bytes:
    """The index bytes with the stat words of the entries at ``updates``' offsets replaced.

    Offsets must be `IndexEntry.offset` values of this index. With no updates the result is
    the input, byte for byte. The checksum is recomputed, or stays zero under index.skipHash.
    """
    body = bytearray(memoryview(index.data)[: -index.hash_size])
    for offset, sd in updates.items():
        STAT_HEAD.pack_into(body, offset, sd.ctime_s, sd.ctime_ns, sd.mtime_s, sd.mtime_ns, sd.dev, sd.ino)
        STAT_TAIL.pack_into(body, offset + STAT_TAIL_OFFSET, sd.uid, sd.gid, sd.size)
    if index.skip_hash:
        return bytes(body) + bytes(index.hash_size)
    return bytes(body) + hashlib.new(index.hash_name, body).digest()


def refresh_stat(repo: Repo, expected: dict[str, str]) -> list[str]:
    """For each worktree-relative POSIX path in `expected` whose index entry's blob oid equals
    expected[path] (hex), set the entry's stat fields from os.stat of the worktree file.
    Returns the paths updated. Other entries are untouched, byte for byte — except that, as
    Git does whenever it rewrites an index, racily clean entries get their size zeroed (below).

    Only stage-0 entries of regular files whose worktree file is a regular file are updated;
    skip-worktree and intent-to-add entries, missing files, and entries holding another blob
    are left alone. The index is `git rev-parse --git-path index` (so GIT_INDEX_FILE is
    honoured) and is written with Git's lock protocol: `index.lock` created exclusively
    (GitModelError if it exists: another git process is running), written, fsynced, renamed.

    Racy git: Git trusts an entry's stat data only if the entry's mtime is older than the index
    file's own mtime, at whole-second resolution in builds without USE_NSEC (the default).
    So (1) the index is written only once the clock has passed the second of the newest
    updated file's mtime, and checked after writing (waiting at most RACY_WAIT_LIMIT seconds):
    otherwise Git would take our entries for racily clean and read the files through the
    filter anyway; and (2) every other entry that was racily clean against the *old* index
    (mtime second >= the old index's) gets its size word zeroed, as Git does when it rewrites
    an index — else a same-second, same-size edit it still had to detect would now look clean.

    Indexes with a mandatory extension (split index `link`, sparse index `sdir`) are left to
    `git update-index -q --refresh`, which may read files through the clean filter; [] is
    returned then.
    """
    if repo.worktree is None or not expected:
        return []
    worktree = repo.worktree
    hash_name, index_path = _index_location(repo)
    wanted = _check_expected(expected, HASH_SIZES[hash_name])
    newest = _newest_mtime_ns(worktree, expected)
    if newest is not None:
        _wait_past_second(newest, time.monotonic() + RACY_WAIT_LIMIT)

    with _IndexLock(index_path) as lock:
        try:
            with open(index_path, "rb") as handle:
                old_mtime_ns = os.fstat(handle.fileno()).st_mtime_ns
                data = handle.read()
        except FileNotFoundError:
            return []
        except OSError as err:
            raise GitModelError(describe_os_error(index_path, err)) from err
        index = parse_index(data, hash_name, index_path)
        if index.needs_git():
            lock.release()
            _refresh_with_git(repo)
            return []
        updates, updated = _collect_updates(index, wanted, worktree)
        if not updated:
            return []
        updates.update(_smudge_racy(index, updates, old_mtime_ns))
        newest_ns = max(updates[o].mtime_s * 1_000_000_000 + updates[o].mtime_ns for o in updated.values())
        lock.write(serialise_index(index, updates))
        lock.ensure_newer_than(newest_ns, time.monotonic() + RACY_WAIT_LIMIT)
        lock.commit()
    return list(updated)


def _index_location(repo: Repo) -> tuple[str, Path]:
    out = repo.git("rev-parse", "--show-object-format", "--git-path", "index").stdout
    lines = out.decode(errors="surrogateescape").splitlines()
    if len(lines) != 2:
        raise GitModelError(f"git rev-parse: unexpected output {out!r}")
    hash_name, index = lines
    if hash_name not in HASH_SIZES:
        raise GitModelError(f"{repo.git_dir}: unsupported object format {hash_name!r}")
    path = Path(index)
    return hash_name, path if path.is_absolute() else (repo.worktree or repo.git_dir) / path


def _check_expected(expected: Mapping[str, str], hash_size: int) -> dict[bytes, tuple[str, bytes]]:
    """index path bytes -> (the caller's path, binary oid); UsageError on a malformed item."""
    wanted: dict[bytes, tuple[str, bytes]] = {}
    for path, oid in expected.items():
        parts = path.split("/")
        if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise UsageError(f"{path!r}: not a worktree-relative path")
        try:
            raw = bytes.fromhex(oid)
        except ValueError:
            raw = b""
        if len(raw) != hash_size:
            raise UsageError(f"{path}: {oid!r} is not an object id of this repository")
        wanted[os.fsencode(path)] = (path, raw)
    return wanted


def _newest_mtime_ns(worktree: Path, expected: Mapping[str, str]) -> int | None:
    newest = None
    for path in expected:
        try:
            mtime = os.lstat(worktree / path).st_mtime_ns
        except OSError:
            continue
        newest = mtime if newest is None else max(newest, mtime)
    return newest


def _wait_past_second(mtime_ns: int, deadline: float) -> None:
    """Sleep until the wall clock is in a later second than ``mtime_ns`` (or until deadline)."""
    target = mtime_ns // 1_000_000_000 + 1 + CLOCK_MARGIN
    while (delay := target - time.time()) > 0 and time.monotonic() < deadline:
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))


def _collect_updates(
    index: IndexFile, wanted: Mapping[bytes, tuple[str, bytes]], worktree: Path
) -> tuple[dict[int, StatData], dict[str, int]]:
    """New stat data by entry offset, and the updated paths (caller's spelling) -> offset."""
    updates: dict[int, StatData] = {}
    updated: dict[str, int] = {}
    for entry in index.entries():
        match = wanted.get(entry.path)
        if match is None or entry.stage != 0 or entry.oid != match[1]:
            continue
        if entry.skip_worktree or entry.intent_to_add or not stat_mod.S_ISREG(entry.mode):
            continue
        try:
            st = os.lstat(worktree / match[0])
        except OSError:
            continue
        if stat_mod.S_ISREG(st.st_mode):
            updates[entry.offset] = StatData.from_stat(st)
            updated[match[0]] = entry.offset
    return updates, updated


def _smudge_racy(index: IndexFile, updates: Mapping[int, StatData], old_mtime_ns: int) -> dict[int, StatData]:
    """Zero the size of entries racily clean against the old index, as Git's writer does.

    Git would first read the file and smudge only if it differs; we cannot read through the
    filter cheaply, so we smudge every such entry: the next `git status` re-checks it by
    content, which is what Git would have done against the old index anyway.
    """
    old_second = (old_mtime_ns // 1_000_000_000) & MASK32
    smudged: dict[int, StatData] = {}
    if not old_second:
        return smudged
    for entry in index.entries():
        if entry.offset in updates or entry.stat.size == 0 or (entry.mode & 0o170000) == S_IFGITLINK:
            continue
        if entry.stat.mtime_s >= old_second:
            smudged[entry.offset] = dataclasses.replace(entry.stat, size=0)
    return smudged


def _refresh_with_git(repo: Repo) -> None:
    """Split or sparse index: let Git refresh (exit 1 only means some paths need updating)."""
    proc = repo.git("update-index", "-q", "--refresh", check=False)
    if proc.returncode not in (0, 1):
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise GitModelError(f"git update-index --refresh: {message[-1] if message else proc.returncode}")


class _IndexLock:
    """Git's lock protocol for one file: ``<file>.lock`` created exclusively, renamed on commit.

    Leaving the ``with`` block without `commit` (or by an exception) removes the lock file.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.path = target.with_name(target.name + ".lock")
        self.fd: int | None = None
        self.held = False

    def __enter__(self) -> _IndexLock:
        try:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            raise GitModelError(
                f"Unable to create '{self.path}': File exists. Another git process seems to be "
                "running in this repository; if not, remove the file and try again."
            ) from None
        except OSError as err:
            raise GitModelError(describe_os_error(self.path, err)) from err
        self.held = True
        return self

    def write(self, content: bytes) -> None:
        assert self.fd is not None
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(self.fd, view) :]
            os.fsync(self.fd)
        except OSError as err:
            raise GitModelError(describe_os_error(self.path, err)) from err

    def ensure_newer_than(self, mtime_ns: int, deadline: float) -> None:
        """Re-touch our own lock file until its mtime second is past ``mtime_ns``'s second."""
        assert self.fd is not None
        second = mtime_ns // 1_000_000_000
        while os.fstat(self.fd).st_mtime_ns // 1_000_000_000 <= second and time.monotonic() < deadline:
            time.sleep(0.01)
            os.utime(self.fd)
        os.fsync(self.fd)

    def commit(self) -> None:
        assert self.fd is not None
        try:
            os.close(self.fd)
            self.fd = None
            os.replace(self.path, self.target)
            self.held = False
            fsync_dir(self.target.parent)
        except OSError as err:
            self.release()
            raise GitModelError(describe_os_error(self.target, err)) from err

    def release(self) -> None:
        """Drop the lock without touching the target. Safe to call twice, and after commit."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.held:
            self.held = False
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass

    def __exit__(self, *exc: object) -> None:
        self.release()
