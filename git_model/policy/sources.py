"""Where a check reads files from: the working tree, the index, or a commit.

A ``Snapshot`` lists paths and opens them the same way for all three, so the check does not
care whether it runs in ``git model meta check``, the pre-commit hook (the index: what is
being committed) or the pre-receive hook (a pushed commit). A model's content is either a
git-model pointer (its bytes are in the store: the caller opens it through a ``ModelAccess``)
or the plain file (``open_plain``).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from git_model.errors import GitModelError, UsageError
from git_model.git.repo import Repo
from git_model.pointer import MAX_POINTER_SIZE, Pointer, try_parse
from git_model.policy.sidecar import MAX_SIDECAR_BYTES, sidecar_path

GITMODEL = ".gitmodel"
SPOOL_BYTES = 1 << 20  # a plain (non-pointer) blob larger than this is spooled to a temp file
_SKIPPED_MODES = {"120000", "160000"}  # symlinks and submodules are never models


class Snapshot(Protocol):
    """A read-only view of the repository's files at one point."""

    def describe(self, path: str) -> str:
        """``path`` as messages name it (``m.onnx``, ``m.onnx (staged)``, ``abc123:m.onnx``)."""
        ...

    def config_args(self) -> list[str]:
        """``git config`` arguments that read this snapshot's ``.gitmodel``."""
        ...

    def paths(self) -> list[str]:
        """Every file, repository-relative with ``/`` separators."""
        ...

    def has(self, path: str) -> bool: ...

    def read_small(self, path: str) -> bytes | None:
        """The content of a small text file (sidecar, ``.gitmodel``), None when absent; a file
        over ``MAX_SIDECAR_BYTES`` is returned cut just past that size (callers reject it)."""
        ...

    def pointer_of(self, path: str) -> Pointer | None:
        """The pointer ``path`` holds, or None when it holds plain content."""
        ...

    def open_plain(self, path: str) -> BinaryIO:
        """A seekable binary stream over the plain content of ``path`` (caller closes it)."""
        ...


class WorktreeSnapshot:
    """The files in the working tree: tracked ones and untracked ones not ignored."""

    def __init__(self, repo: Repo) -> None:
        if repo.worktree is None:
            raise UsageError("a bare repository has no working tree (use --rev REV)")
        self.repo = repo
        self.root = repo.worktree

    def describe(self, path: str) -> str:
        return path

    def config_args(self) -> list[str]:
        return ["--file", GITMODEL]  # git runs in the top directory: messages say ".gitmodel"

    def paths(self) -> list[str]:
        out = self.repo.git("ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
        names = dict.fromkeys(n.decode(errors="surrogateescape") for n in out.split(b"\0") if n)
        return [n for n in names if self.has(n)]

    def _file(self, path: str) -> Path:
        return self.root / path

    def has(self, path: str) -> bool:
        full = self._file(path)
        return full.is_file() and not full.is_symlink()

    def read_small(self, path: str) -> bytes | None:
        if not self.has(path):
            return None
        with open(self._file(path), "rb") as handle:
            return handle.read(MAX_SIDECAR_BYTES + 1)

    def pointer_of(self, path: str) -> Pointer | None:
        full = self._file(path)
        if full.stat().st_size > MAX_POINTER_SIZE:
            return None
        return try_parse(full.read_bytes())

    def open_plain(self, path: str) -> BinaryIO:
        return open(self._file(path), "rb")


class BlobSnapshot:
    """Files as blobs: the index (``spec_prefix`` ``":"``) or a commit (``"REV:"``).

    Small blobs (pointers, sidecars, ``.gitmodel``) are read in one ``git cat-file --batch``
    when first asked for; a plain model blob is streamed to a temp file when opened."""

    def __init__(self, repo: Repo, entries: dict[str, str], spec_prefix: str, label: str) -> None:
        self.repo = repo
        self.entries = entries  # path → blob oid
        self.spec_prefix = spec_prefix
        self.label = label
        self._sizes: dict[str, int] = {}
        self._small: dict[str, bytes] = {}

    def describe(self, path: str) -> str:
        return f"{path} (staged)" if self.spec_prefix == ":" else f"{self.label}:{path}"

    def config_args(self) -> list[str]:
        return ["--blob", f"{self.spec_prefix}{GITMODEL}"]

    def paths(self) -> list[str]:
        return list(self.entries)

    def has(self, path: str) -> bool:
        return path in self.entries

    def oid(self, path: str) -> str | None:
        return self.entries.get(path)

    def preload(self, paths: list[str]) -> None:
        """Learn the sizes of ``paths``, their sidecars and ``.gitmodel``, and read the small
        ones, with one ``cat-file --batch-check`` and one ``cat-file --batch``."""
        wanted = {GITMODEL, *paths, *(sidecar_path(p) for p in paths)}
        oids = [self.entries[p] for p in wanted if p in self.entries and self.entries[p] not in self._sizes]
        oids = list(dict.fromkeys(oids))
        if not oids:
            return
        check = self.repo.git("cat-file", "--batch-check", input="\n".join(oids).encode() + b"\n").stdout
        small = []
        for line in check.decode().splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1] == "blob":
                self._sizes[fields[0]] = int(fields[2])
                if int(fields[2]) <= MAX_SIDECAR_BYTES:
                    small.append(fields[0])
        if not small:
            return
        out = self.repo.git("cat-file", "--batch", input="\n".join(small).encode() + b"\n").stdout
        pos = 0
        while pos < len(out):
            header_end = out.index(b"\n", pos)
            oid, _kind, size = out[pos:header_end].decode().split()
            start = header_end + 1
            self._small[oid] = out[start : start + int(size)]
            pos = start + int(size) + 1

    def _content_if_small(self, path: str) -> bytes | None:
        oid = self.entries[path]
        if oid not in self._sizes:
            self.preload([path])
        return self._small.get(oid)

    def read_small(self, path: str) -> bytes | None:
        if path not in self.entries:
            return None
        content = self._content_if_small(path)
        if content is None:  # too large to be a sidecar: hand back enough to be rejected
            return self._head(self.entries[path], MAX_SIDECAR_BYTES + 1)
        return content

    def pointer_of(self, path: str) -> Pointer | None:
        content = self._content_if_small(path)
        if content is None or len(content) > MAX_POINTER_SIZE:
            return None
        return try_parse(content)

    def open_plain(self, path: str) -> BinaryIO:
        content = self._content_if_small(path)
        if content is not None:
            return io.BytesIO(content)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned open)
        try:
            with self._cat(self.entries[path]) as proc:
                assert proc.stdout is not None
                shutil.copyfileobj(proc.stdout, spool, 1 << 20)
        except BaseException:
            spool.close()
            raise
        if proc.returncode != 0:
            spool.close()
            raise GitModelError(f"{self.describe(path)}: git cat-file failed")
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def _cat(self, oid: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            ["git", "cat-file", "blob", oid],
            cwd=self.repo.worktree or self.repo.git_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def _head(self, oid: str, limit: int) -> bytes:
        with self._cat(oid) as proc:
            assert proc.stdout is not None
            data = proc.stdout.read(limit)
            proc.kill()
        return data


def index_snapshot(repo: Repo) -> BlobSnapshot:
    """The index: what the next commit will hold (``GIT_INDEX_FILE`` is honoured, so inside a
    pre-commit hook of ``git commit -a`` or ``git commit PATH`` it is that commit's index)."""
    out = repo.git("ls-files", "-s", "-z").stdout
    entries: dict[str, str] = {}
    for item in filter(None, out.split(b"\0")):
        meta, _, name = item.partition(b"\t")
        mode, oid, stage = meta.decode().split()
        if stage == "0" and mode not in _SKIPPED_MODES:
            entries[name.decode(errors="surrogateescape")] = oid
    return BlobSnapshot(repo, entries, ":", "index")


def rev_snapshot(repo: Repo, rev: str, label: str | None = None) -> BlobSnapshot:
    """The tree of commit (or tree-ish) ``rev``; UsageError when there is none."""
    found = repo.git("rev-parse", "--verify", "-q", f"{rev}^{{tree}}", check=False)
    if found.returncode != 0:
        raise UsageError(f"--rev {rev}: not a commit or tree in this repository")
    out = repo.git("ls-tree", "-r", "-z", "--full-tree", rev).stdout
    entries: dict[str, str] = {}
    for item in filter(None, out.split(b"\0")):
        meta, _, name = item.partition(b"\t")
        mode, kind, oid = meta.decode().split()
        if kind == "blob" and mode not in _SKIPPED_MODES:
            entries[name.decode(errors="surrogateescape")] = oid
    return BlobSnapshot(repo, entries, f"{rev}:", label or rev)


def changed_in_index(repo: Repo) -> set[str]:
    """Paths the index adds or modifies compared with HEAD (all of them on an unborn branch)."""
    out = repo.git("diff", "--cached", "--name-only", "-z", "--no-renames", "--diff-filter=d").stdout
    return {n.decode(errors="surrogateescape") for n in out.split(b"\0") if n}
