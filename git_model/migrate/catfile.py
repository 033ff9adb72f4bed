"""Blob contents through one long-running `git cat-file --batch`, streamed.

`CatFile.open(oid)` returns a `BoundedReader` over exactly the blob's bytes, read straight from
the pipe: memory stays flat whatever the blob's size. The reader is owned by the `CatFile` and
valid until the next `open` or `close`, which skip whatever was not read.
"""

from __future__ import annotations

import subprocess
from types import TracebackType

from git_model.errors import FormatError, GitModelError, MissingObjectError
from git_model.git.repo import Repo
from git_model.migrate.stream import BoundedReader


def batch_check(repo: Repo, oids: list[str]) -> dict[str, tuple[str, int]]:
    """Object id → (type, size) for each of ``oids`` that exists."""
    if not oids:
        return {}
    out = repo.git("cat-file", "--batch-check", input="\n".join(oids).encode() + b"\n").stdout
    found = {}
    for line in out.decode().splitlines():
        fields = line.split()
        if len(fields) == 3:
            found[fields[0]] = (fields[1], int(fields[2]))
    return found


class CatFile:
    """One `git cat-file --batch` process, started on first use."""

    def __init__(self, repo: Repo) -> None:
        self._repo = repo
        self._proc: subprocess.Popen[bytes] | None = None
        self._current: BoundedReader | None = None

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _finish_current(self) -> None:
        if self._current is not None and self._proc is not None:
            self._current.drain()
            assert self._proc.stdout is not None
            if self._proc.stdout.read(1) != b"\n":
                raise FormatError("git cat-file --batch: missing newline after an object")
        self._current = None

    def open(self, oid: str) -> BoundedReader:
        """A reader over blob ``oid``; MissingObjectError when the repository lacks it."""
        self._finish_current()
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self._repo.worktree or self._repo.git_dir,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        try:
            self._proc.stdin.write(oid.encode() + b"\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            raise GitModelError("git cat-file --batch exited early") from None
        header = self._proc.stdout.readline().decode(errors="replace").split()
        if len(header) == 2 and header[1] == "missing":
            raise MissingObjectError(f"object {oid} is missing from the repository")
        if len(header) != 3 or header[0] != oid:
            raise FormatError(f"git cat-file --batch: unexpected answer for {oid}: {' '.join(header)!r}")
        if header[1] != "blob":
            raise FormatError(f"object {oid} is a {header[1]}, not a blob")
        self._current = BoundedReader(self._proc.stdout, int(header[2]), f"git cat-file {oid}")  # type: ignore[arg-type]
        return self._current

    def read(self, oid: str) -> bytes:
        """The whole blob (for small blobs: pointers, `.gitattributes`)."""
        return self.open(oid).read()

    def close(self) -> None:
        proc, self._proc, self._current = self._proc, None, None
        if proc is None:
            return
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        proc.stdout.close()
        proc.wait()
