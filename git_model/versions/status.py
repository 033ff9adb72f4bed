"""`status`: tracked models staged, changed in the working tree, untracked, unmerged, still
pointers in the working tree, and not yet on the remote's store.

One ``git status --porcelain=v2`` call gives the staged and unstaged changes; a path counts as
a model when its HEAD or index blob is a pointer or its attributes say ``filter=model``.
"Not pushed" looks at the models at HEAD and in the index whose manifest the default remote's
store lacks (manifests are uploaded last, so a manifest there promises the whole model).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from git_model.errors import RemoteError
from git_model.git.pointers import TrackedPointer, pointers_in_tree
from git_model.git.repo import Repo
from git_model.remote.transfer import RemoteStore
from git_model.sharing import worktree_pointers
from git_model.store.store import LocalStore
from git_model.versions import JSON_VERSION
from git_model.versions.revisions import is_null_oid
from git_model.versions.tracking import model_attribute_paths, pointers_of
from git_model.versions.units import format_bytes

CHANGE_WORDS = {"M": "modified", "T": "typechange", "A": "added", "D": "deleted", "R": "renamed", "C": "copied"}
REMOTE_WORKERS = 8


@dataclass(frozen=True)
class PathChange:
    path: str
    change: str  # a CHANGE_WORDS value, or "unmerged"

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "change": self.change}


@dataclass(frozen=True)
class ModelAt:
    path: str
    oid: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "oid": self.oid, "size": self.size}


@dataclass(frozen=True)
class RemoteInfo:
    """The default remote's store as resolved; ``error`` says why it could not be used."""

    name: str | None
    url: str | None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "error": self.error}


@dataclass(frozen=True)
class StatusReport:
    branch: str | None
    staged: tuple[PathChange, ...]
    unstaged: tuple[PathChange, ...]
    unmerged: tuple[str, ...]
    untracked: tuple[str, ...]
    not_materialized: tuple[ModelAt, ...]
    remote: RemoteInfo
    not_pushed: tuple[ModelAt, ...] | None  # None: the remote could not be asked

    def to_json(self) -> dict[str, Any]:
        return {
            "version": JSON_VERSION,
            "branch": self.branch,
            "staged": [c.to_json() for c in self.staged],
            "unstaged": [c.to_json() for c in self.unstaged],
            "unmerged": list(self.unmerged),
            "untracked": list(self.untracked),
            "not_materialized": [m.to_json() for m in self.not_materialized],
            "remote": self.remote.to_json(),
            "not_pushed": None if self.not_pushed is None else [m.to_json() for m in self.not_pushed],
        }

    def format_text(self) -> str:
        lines = [f"On branch {self.branch}" if self.branch else "HEAD detached"]
        sections: list[tuple[str, list[str]]] = [
            ("Models staged for commit:", [f"{c.change + ':':<12}{c.path}" for c in self.staged]),
            ("Models changed in the working tree (not staged):", [f"{c.change + ':':<12}{c.path}" for c in self.unstaged]),
            ("Unmerged models:", list(self.unmerged)),
            ("Untracked models:", list(self.untracked)),
            (
                "Not materialized (pointers in the working tree; run 'git model checkout'):",
                [f"{m.path}  ({m.oid[:12]}, {format_bytes(m.size)})" for m in self.not_materialized],
            ),
        ]
        remote = self.remote
        where = f"'{remote.name}'" + (f" ({remote.url})" if remote.url else "")
        if self.not_pushed:
            sections.append(
                (f"Not on the store of remote {where}:", [f"{m.path}  ({m.oid[:12]}, {format_bytes(m.size)})" for m in self.not_pushed])
            )
        for title, items in sections:
            if items:
                lines += ["", title, *(f"  {item}" for item in items)]
        if not any(items for _, items in sections):
            lines.append("No model changes in the index or the working tree.")
        if self.not_pushed is None:
            lines += ["", f"Remote {where}: not checked ({remote.error})"]
        elif not self.not_pushed:
            lines += ["", f"Every model at HEAD and in the index is on the store of remote {where}."]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Entry:
    kind: str  # "1", "2", "u", "?"
    xy: str
    path: str
    blobs: tuple[str, ...]  # HEAD and index blobs (or stage 1-3 for unmerged)


def _porcelain(repo: Repo) -> tuple[str | None, list[_Entry]]:
    out = repo.git("status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all", "--no-renames").stdout
    fields = out.split(b"\0")
    branch: str | None = None
    entries: list[_Entry] = []
    i = 0
    while i < len(fields):
        line = fields[i].decode(errors="surrogateescape")
        i += 1
        if line.startswith("# branch.head "):
            head = line.removeprefix("# branch.head ")
            branch = None if head == "(detached)" else head
        elif line.startswith("1 "):
            parts = line.split(" ", 8)
            entries.append(_Entry("1", parts[1], parts[8], (parts[6], parts[7])))
        elif line.startswith("2 "):
            parts = line.split(" ", 9)
            entries.append(_Entry("2", parts[1], parts[9], (parts[6], parts[7])))
            i += 1  # the original path
        elif line.startswith("u "):
            parts = line.split(" ", 10)
            entries.append(_Entry("u", parts[1], parts[10], (parts[7], parts[8], parts[9])))
        elif line.startswith("? "):
            entries.append(_Entry("?", "??", line[2:], ()))
    return branch, entries


def _index_and_head_models(repo: Repo) -> list[TrackedPointer]:
    listing = repo.git("ls-files", "-s", "-z").stdout.split(b"\0")
    staged = []
    for entry in filter(None, listing):
        meta, _, name = entry.partition(b"\t")
        _mode, oid, stage = meta.decode().split()
        if stage == "0":
            staged.append((oid, name.decode(errors="surrogateescape")))
    pointers = pointers_of(repo, (oid for oid, _ in staged))
    found = {(path, oid): TrackedPointer(path, oid, pointers[oid]) for oid, path in staged if oid in pointers}
    if repo.git("rev-parse", "--verify", "-q", "HEAD", check=False).returncode == 0:
        for item in pointers_in_tree(repo, "HEAD"):
            found.setdefault((item.path, item.blob), item)
    return sorted(found.values(), key=lambda t: (t.path, t.blob))


def not_on_remote(remote: RemoteStore, models: list[TrackedPointer]) -> list[ModelAt]:
    """The models whose manifest ``remote`` lacks (existence checks run in parallel).
    RemoteError propagates."""
    oids = list(dict.fromkeys(m.pointer.oid for m in models))
    with ThreadPoolExecutor(REMOTE_WORKERS) as pool:
        present = dict(zip(oids, pool.map(remote.has_manifest, oids)))
    return [ModelAt(m.path, m.pointer.oid, m.pointer.size) for m in models if not present[m.pointer.oid]]


def model_status(repo: Repo, store: LocalStore, remote: RemoteStore | None, remote_info: RemoteInfo) -> StatusReport:
    """The report for a repository with a working tree; ``remote`` None skips the remote
    check (``remote_info.error`` says why), and a RemoteError during it is reported, not raised."""
    branch, entries = _porcelain(repo)
    pointers = pointers_of(repo, (b for e in entries for b in e.blobs if not is_null_oid(b)))
    by_attr = model_attribute_paths(repo, [e.path for e in entries])
    models = [e for e in entries if e.path in by_attr or any(b in pointers for b in e.blobs)]
    staged = tuple(PathChange(e.path, CHANGE_WORDS.get(e.xy[0], e.xy[0])) for e in models if e.kind in "12" and e.xy[0] != ".")
    unstaged = tuple(PathChange(e.path, CHANGE_WORDS.get(e.xy[1], e.xy[1])) for e in models if e.kind in "12" and e.xy[1] != ".")
    unmerged = tuple(e.path for e in models if e.kind == "u")
    untracked = tuple(e.path for e in models if e.kind == "?")
    pending = tuple(ModelAt(p.path, p.pointer.oid, p.pointer.size) for p in worktree_pointers(repo))
    not_pushed: tuple[ModelAt, ...] | None = None
    if remote is not None:
        try:
            not_pushed = tuple(not_on_remote(remote, _index_and_head_models(repo)))
        except RemoteError as err:
            remote_info = RemoteInfo(remote_info.name, remote_info.url, str(err))
    return StatusReport(branch, staged, unstaged, unmerged, untracked, pending, remote_info, not_pushed)
