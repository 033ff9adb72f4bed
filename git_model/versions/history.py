"""The versions of models across commits: one `git log --raw` walk, pointer blobs picked out,
and for every version the bytes it added to the store compared with its previous version.

A *version* is a commit that gave a path a pointer blob different from the one before:
``added`` (no pointer there before), ``modified`` (another pointer before) or ``renamed``
(Git's rename detection paired it with a pointer at another path). Merges are read as
combined diffs, so a merge only yields a version when its result differs from every parent;
the previous version is then the first parent's. Deletions are not versions.

With paths, each path is walked with ``--follow`` (so history continues across renames and
the versions are grouped under the path asked for); without, every path is walked at once
and versions are grouped by their own path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from git_model.errors import MissingObjectError, UsageError
from git_model.git.repo import Repo
from git_model.pointer import Pointer
from git_model.store.store import LocalStore
from git_model.versions import JSON_VERSION
from git_model.versions.chunkset import ChunkSet
from git_model.versions.rawdiff import RawChange, decode_path, read_change
from git_model.versions.revisions import verify_commit
from git_model.versions.tracking import pointers_of
from git_model.versions.units import format_bytes

LOG_FORMAT = "%x01%H%x00%P%x00%an%x00%ae%x00%aI%x00%s"
HEADER_FIELDS = 6
GLOB_CHARS = set("*?[")
CHUNKSET_CACHE = 8  # versions are visited newest first, so each set is needed twice in a row


@dataclass(frozen=True)
class Commit:
    oid: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: str  # author date, strict ISO 8601
    subject: str

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.oid, "parents": list(self.parents), "date": self.date,
            "author": {"name": self.author_name, "email": self.author_email}, "subject": self.subject,
        }


@dataclass(frozen=True)
class Growth:
    """What a version added to the store: its distinct chunks that the previous version lacks.
    ``new_bytes`` counts stored (compressed) bytes for chunks in the local packs and raw bytes
    for the others; ``stored`` is True when every one was local."""

    new_chunks: int
    new_raw_bytes: int
    new_bytes: int
    stored: bool


@dataclass(frozen=True)
class PreviousVersion:
    path: str
    blob: str
    pointer: Pointer


@dataclass(frozen=True)
class Version:
    path: str
    blob: str
    pointer: Pointer
    commit: Commit
    change: str  # "added" | "modified" | "renamed"
    previous: PreviousVersion | None
    present: bool  # the local store holds the whole version
    growth: Growth | None  # None when this or the previous version's manifest is not local

    def to_json(self) -> dict[str, Any]:
        growth = self.growth
        return {
            **self.commit.to_json(),
            "path": self.path, "blob": self.blob, "oid": self.pointer.oid, "size": self.pointer.size,
            "change": self.change,
            "previous": None if self.previous is None else {
                "path": self.previous.path, "oid": self.previous.pointer.oid, "size": self.previous.pointer.size,
            },
            "present": self.present,
            "new_chunks": growth.new_chunks if growth else None,
            "new_bytes": growth.new_bytes if growth else None,
            "new_raw_bytes": growth.new_raw_bytes if growth else None,
            "new_bytes_stored": growth.stored if growth else None,
        }

    def format_text(self) -> str:
        c = self.commit
        if self.growth is None:
            new = "new ?"
        else:
            new = f"new {format_bytes(self.growth.new_bytes)}" + ("" if self.growth.stored else " (raw)")
        line = (
            f"{c.oid[:10]}  {c.date[:16].replace('T', ' ')}  {self.pointer.oid[:12]}  "
            f"{format_bytes(self.pointer.size):>10}  {new:<16}  {c.author_name}  {c.subject}"
        )
        notes = []
        if self.change == "renamed" and self.previous is not None:
            notes.append(f"renamed from {self.previous.path}")
        elif self.change == "added":
            notes.append("added")
        if not self.present:
            notes.append("not in the local store")
        return line + (f"  [{', '.join(notes)}]" if notes else "")


@dataclass(frozen=True)
class ModelHistory:
    """The versions of one model, newest first (Git's log order)."""

    path: str
    versions: tuple[Version, ...]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "versions": [v.to_json() for v in self.versions]}

    def format_text(self) -> str:
        count = len(self.versions)
        lines = [f"{self.path}  ({count} version{'s' if count != 1 else ''})"]
        lines += [f"  {v.format_text()}" for v in self.versions]
        return "\n".join(lines)


@dataclass(frozen=True)
class ModelLog:
    models: tuple[ModelHistory, ...]

    def to_json(self) -> dict[str, Any]:
        return {"version": JSON_VERSION, "models": [m.to_json() for m in self.models]}

    def format_text(self) -> str:
        if not self.models:
            return "no model versions in the selected history"
        return "\n\n".join(m.format_text() for m in self.models)


# -- reading git log -----------------------------------------------------------------------
def parse_log(out: bytes) -> Iterator[tuple[Commit, list[RawChange]]]:
    """Parse ``git log -z --format=LOG_FORMAT --raw --no-abbrev [-c]`` output."""
    tokens = out.split(b"\0")
    commit: Commit | None = None
    changes: list[RawChange] = []
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip(b"\n")
        if token.startswith(b"\x01"):
            if commit is not None:
                yield commit, changes
            fields = [decode_path(t) for t in [token[1:], *tokens[i + 1 : i + HEADER_FIELDS]]]
            if len(fields) < HEADER_FIELDS:
                raise ValueError("truncated git log output")
            oid, parents, name, email, date, subject = fields
            commit, changes = Commit(oid, tuple(parents.split()), name, email, date, subject), []
            i += HEADER_FIELDS
        elif token.startswith(b":") and commit is not None:
            change, i = read_change(tokens, i)
            changes.append(change)
        else:
            i += 1
    if commit is not None:
        yield commit, changes


def walk(repo: Repo, revs: list[str], paths: list[str], follow: bool = False) -> Iterator[tuple[Commit, list[RawChange]]]:
    """The commits of ``revs`` (default HEAD; ``--all`` etc. pass through) touching
    ``paths``, with their raw changes."""
    args = [
        "log", "-z", f"--format={LOG_FORMAT}", "--raw", "--no-abbrev", "-M", "-c", "--root",
        "--no-color", "--no-ext-diff", "--no-show-signature",
    ]
    if follow:
        args.append("--follow")
    args += revs or ["HEAD"]
    args += ["--", *paths]
    yield from parse_log(repo.git(*args).stdout)


# -- versions ------------------------------------------------------------------------------
class _ChunkSets:
    """A small cache of version chunk sets (None: manifest not local)."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self._cache: OrderedDict[str, ChunkSet | None] = OrderedDict()

    def get(self, pointer: Pointer, source: str) -> ChunkSet | None:
        if pointer.oid in self._cache:
            self._cache.move_to_end(pointer.oid)
            return self._cache[pointer.oid]
        try:
            found: ChunkSet | None = ChunkSet.of_version(self.store, pointer, source)
        except MissingObjectError:
            found = None
        self._cache[pointer.oid] = found
        if len(self._cache) > CHUNKSET_CACHE:
            self._cache.popitem(last=False)
        return found


def growth(current: ChunkSet, previous: ChunkSet | None) -> Growth:
    added = current if previous is None else current.minus(previous)
    return Growth(len(added), added.raw_bytes, added.local_or_raw_bytes, added.complete)


def model_changes(
    repo: Repo, walked: list[tuple[Commit, list[RawChange]]]
) -> Iterator[tuple[Commit, RawChange, Pointer, Pointer | None]]:
    """(commit, change, new pointer, old pointer or None) for every change that gives a path
    a new pointer blob, in walk order."""
    pointers = pointers_of(repo, (b for _, changes in walked for c in changes for b in (c.old_blob, c.new_blob) if b))
    for commit, changes in walked:
        for change in changes:
            new = pointers.get(change.new_blob or "")
            if new is None:
                continue
            if change.old_blob == change.new_blob and change.status != "R":
                continue  # a mode change: same content, not a new version
            yield commit, change, new, pointers.get(change.old_blob or "")


def versions_in(repo: Repo, store: LocalStore, walked: list[tuple[Commit, list[RawChange]]]) -> list[Version]:
    """The model versions among walked commits, in walk order, with presence and growth."""
    sets = _ChunkSets(store)
    found: list[Version] = []
    for commit, change, new, old in model_changes(repo, walked):
        assert change.new_blob is not None
        previous = None
        if old is not None and change.old_blob is not None:
            previous = PreviousVersion(change.old_path, change.old_blob, old)
        kind = "renamed" if change.status == "R" and previous else ("modified" if previous else "added")
        current_set = sets.get(new, f"{commit.oid[:12]}:{change.new_path}")
        previous_set = sets.get(old, f"{commit.oid[:12]}^:{change.old_path}") if old else None
        added = None
        if current_set is not None and (old is None or previous_set is not None):
            added = growth(current_set, previous_set)
        present = current_set is not None and current_set.complete
        found.append(Version(change.new_path, change.new_blob, new, commit, kind, previous, present, added))
    return found


def _by_path(versions: list[Version]) -> list[ModelHistory]:
    grouped: dict[str, list[Version]] = {}
    for version in versions:
        grouped.setdefault(version.path, []).append(version)
    return [ModelHistory(path, tuple(found)) for path, found in sorted(grouped.items())]


def _followable(repo: Repo, path: str) -> bool:
    """`git log --follow` takes one file: not a pattern, not a directory."""
    if GLOB_CHARS & set(path) or path in ("", "."):
        return False
    return repo.worktree is None or not (repo.worktree / path).is_dir()


def model_log(repo: Repo, store: LocalStore, revs: list[str], paths: list[str]) -> ModelLog:
    """The versions of the models at ``paths`` (repository paths or pathspecs; none: every
    model) in the history ``revs`` selects (default HEAD; ``["--all"]`` for every ref). A
    path with no model version in that history, or no HEAD to start from, is a UsageError."""
    if not revs:
        verify_commit(repo, "HEAD")
    if not paths:
        return ModelLog(tuple(_by_path(versions_in(repo, store, list(walk(repo, revs, []))))))
    histories: list[ModelHistory] = []
    for path in paths:
        follow = _followable(repo, path)
        versions = versions_in(repo, store, list(walk(repo, revs, [path], follow=follow)))
        if not versions:
            raise UsageError(f"'{path}': no model versions in the selected history (not a tracked model?)")
        histories += [ModelHistory(path, tuple(versions))] if follow else _by_path(versions)
    return ModelLog(tuple(histories))
