"""Rewriting history: `git fast-export --no-data` → conversion → `git fast-import`.

The exported stream names every blob by its object id, so a blob that stays as it is never
passes through this process: fast-import takes the id of an object the repository already has.
Only the selected paths' blobs are replaced, by inline data: a pointer (import), or the model's
bytes streamed from the store with their size written first (export). Each commit's root
`.gitattributes` is computed from the commit's original one (followed through the stream: a
commit inherits it from its first parent unless it changes it) and written whenever it differs
from what the rewritten parent has.

Refs change only when everything succeeded: fast-import runs with ``--done`` and is sent `done`
only after the last command was converted and fast-export exited cleanly. On any failure its
input is closed without `done`, so it exits without touching a ref (its crash report is removed;
objects it already wrote are unreachable and go with the next `git gc`).
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from git_model.errors import FormatError, GitModelError
from git_model.git.repo import Repo
from git_model.migrate import stream as fx
from git_model.migrate.catfile import CatFile
from git_model.migrate.history import BLOB_MODES, Selection, open_fast_export

ATTRIBUTES_PATH = b".gitattributes"


@dataclass(frozen=True)
class Replacement:
    """New content for one file: ``size`` bytes, produced by ``chunks()`` (called once)."""

    size: int
    chunks: Callable[[], Iterable[bytes]]

    @classmethod
    def of(cls, data: bytes) -> Replacement:
        return cls(len(data), lambda: (data,))


class BlobConverter(Protocol):
    def replacement(self, oid: str, path: str) -> Replacement | None:
        """New content for blob ``oid`` at ``path`` (a selected path), or None to keep it."""
        ...


AttributesRewrite = Callable[[bytes | None, bool], bytes | None]
"""(original content or None, nested) → new content or None (absent): a `.gitattributes` rewrite;
``nested`` is True for one in a subdirectory."""


@dataclass(frozen=True)
class RewriteResult:
    commits: int  # commits exported
    rewritten: int  # commits whose id changed


class _Transform:
    """The per-stream state: original and rewritten `.gitattributes` of every commit by mark."""

    def __init__(self, repo: Repo, cat: CatFile, selection: Selection, converter: BlobConverter, attributes: AttributesRewrite, write: fx.Write) -> None:
        self._repo = repo
        self._cat = cat
        self._selection = selection
        self._converter = converter
        self._attributes = attributes
        self._write = write
        self._original_attrs: dict[bytes, str | None] = {}  # mark → original blob id
        self._new_attrs: dict[bytes, bytes | None] = {}  # mark → rewritten content
        self._rewritten_cache: dict[tuple[str | None, bool], bytes | None] = {}
        self.commit_ids: dict[bytes, bytes] = {}  # mark → original commit id
        self.done = False

    def run(self, reader: fx.StreamReader) -> None:
        for command in reader:
            if isinstance(command, fx.Commit):
                self._commit(command)
            elif isinstance(command, fx.Tag):
                self._write(fx.encode_tag(command))
            elif isinstance(command, fx.Reset):
                self._write(fx.encode_reset(command))
            elif isinstance(command, fx.Directive):
                self._write(fx.encode_directive(command))
            elif isinstance(command, fx.Done):
                self.done = True  # `done` itself is sent by the caller once fast-export succeeded
            else:
                raise FormatError(f"git fast-export: line {reader.line_number}: unexpected blob in a --no-data stream")

    def _rewritten(self, original: str | None, nested: bool = False) -> bytes | None:
        key = (original, nested)
        if key not in self._rewritten_cache:
            content = None if original is None else self._cat.read(original)
            self._rewritten_cache[key] = self._attributes(content, nested)
        return self._rewritten_cache[key]

    def _parent_attrs(self, commit: fx.Commit) -> tuple[str | None, bytes | None]:
        """(original blob id, content in the rewritten parent) of the first parent's attributes."""
        if not commit.parents:
            return None, None
        parent = commit.parents[0]
        if parent.startswith(b":"):
            if parent not in self._original_attrs:
                raise FormatError(f"git fast-export: commit {commit.ref.decode(errors='replace')} names unknown mark {parent.decode()}")
            return self._original_attrs[parent], self._new_attrs[parent]
        # a parent outside the stream keeps its tree: its attributes are inherited as they are
        proc = self._repo.git("rev-parse", "-q", "--verify", f"{parent.decode()}:.gitattributes", check=False)
        found = proc.stdout.decode().strip() if proc.returncode == 0 else None
        return found, None if found is None else self._cat.read(found)

    def _commit(self, commit: fx.Commit) -> None:
        original, inherited = self._parent_attrs(commit)
        kept: list[fx.Change] = []
        for change in commit.changes:
            if isinstance(change, (fx.FileModify, fx.FileDelete)) and change.path == ATTRIBUTES_PATH:
                if isinstance(change, fx.FileModify) and change.dataref.startswith(b":"):
                    raise FormatError("git fast-export: .gitattributes given by mark (a stream with data)")
                original = change.dataref.decode() if isinstance(change, fx.FileModify) else None
                continue
            if isinstance(change, fx.RawChange) and change.line == b"deleteall":
                original, inherited = None, None
            kept.append(change)
        new = self._rewritten(original)
        self._write(fx.encode_commit_head(commit))
        for change in kept:
            self._change(change)
        if new != inherited:
            if new is None:
                self._write(b"D .gitattributes\n")
            else:
                self._write(fx.encode_inline_modify(b"100644", ATTRIBUTES_PATH, len(new)) + new + b"\n")
        self._write(b"\n")
        if commit.mark is not None:
            self._original_attrs[commit.mark] = original
            self._new_attrs[commit.mark] = new
            if commit.original_oid is not None:
                self.commit_ids[commit.mark] = commit.original_oid

    def _change(self, change: fx.Change) -> None:
        if isinstance(change, fx.FileModify) and change.mode in BLOB_MODES and not change.dataref.startswith(b":"):
            path = change.path.decode("utf-8", "surrogateescape")
            if change.path.endswith(b"/" + ATTRIBUTES_PATH):
                self._nested_attributes(change)
                return
            if self._selection.selects(path):
                replacement = self._converter.replacement(change.dataref.decode(), path)
                if replacement is not None:
                    self._write(fx.encode_inline_modify(change.mode, change.raw_path, replacement.size))
                    written = 0
                    for block in replacement.chunks():
                        self._write(block)
                        written += len(block)
                    if written != replacement.size:
                        raise GitModelError(f"{path}: produced {written} bytes, {replacement.size} announced")
                    self._write(b"\n")
                    return
        self._write(fx.encode_change(change))

    def _nested_attributes(self, change: fx.FileModify) -> None:
        oid = change.dataref.decode()
        new = self._rewritten(oid, nested=True)
        if new is None:
            self._write(b"D %s\n" % change.raw_path)
        elif new == self._cat.read(oid):
            self._write(fx.encode_change(change))
        else:
            self._write(fx.encode_inline_modify(change.mode, change.raw_path, len(new)) + new + b"\n")


def _crash_reports(repo: Repo, pid: int) -> set[Path]:
    return {d / f"fast_import_crash_{pid}" for d in (repo.git_dir, repo.common_dir)}


def rewrite(repo: Repo, refs: list[str], selection: Selection, converter: BlobConverter, attributes: AttributesRewrite) -> RewriteResult:
    """Rewrite ``refs`` (updated in place, with ``--force``) or raise, leaving every ref as it was."""
    with tempfile.TemporaryDirectory(prefix="git-model-migrate-") as tmp, open(Path(tmp) / "err", "wb+") as errors:
        marks = Path(tmp) / "marks"
        importer = subprocess.Popen(
            ["git", "fast-import", "--force", "--quiet", "--done", f"--export-marks={marks}"],
            cwd=repo.worktree or repo.git_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        assert importer.stdin is not None
        try:
            with CatFile(repo) as cat:
                transform = _Transform(repo, cat, selection, converter, attributes, importer.stdin.write)
                with open_fast_export(repo, refs) as stream:
                    transform.run(fx.StreamReader(stream))
                if not transform.done:
                    raise FormatError("git fast-export: the stream ended without 'done'")
            importer.stdin.write(b"done\n")
            importer.stdin.close()
        except BaseException as err:
            _abort(importer, repo)
            if isinstance(err, BrokenPipeError):
                raise GitModelError(f"git fast-import: {_last_line(errors)}") from None
            raise
        if importer.wait() != 0:
            _abort(importer, repo)
            raise GitModelError(f"git fast-import: {_last_line(errors)}")
        new_ids = _read_marks(marks)
    rewritten = sum(1 for mark, old in transform.commit_ids.items() if new_ids.get(mark) != old)
    return RewriteResult(commits=len(transform.commit_ids), rewritten=rewritten)


def _abort(importer: subprocess.Popen[bytes], repo: Repo) -> None:
    """End fast-import without `done` (it then exits with an error and updates no ref) and remove
    the crash report it leaves."""
    try:
        assert importer.stdin is not None
        importer.stdin.close()
    except OSError:
        pass
    importer.wait()
    for report in _crash_reports(repo, importer.pid):
        report.unlink(missing_ok=True)


def _last_line(errors: BinaryIO) -> str:
    errors.seek(0)
    lines = [line for line in errors.read().decode(errors="replace").splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("fatal:")]
    return (fatal or lines or ["exited with an error"])[-1]


def _read_marks(path: Path) -> dict[bytes, bytes]:
    marks = {}
    if path.exists():
        for line in path.read_bytes().splitlines():
            mark, _, oid = line.partition(b" ")
            marks[mark] = oid
    return marks
