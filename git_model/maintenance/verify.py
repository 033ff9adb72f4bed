"""Repository-level fsck: can every pointer in scope be rebuilt, locally and on the remote,
and `--repair` of damaged local objects from the remote.

Scope: the models of HEAD and the index (default), or of every commit of every ref (`all`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from git_model.errors import FormatError, GitModelError, RemoteNotFound
from git_model.git.pointers import TrackedPointer, pointers_in_range, pointers_in_tree, read_pointers
from git_model.git.repo import Repo
from git_model.remote.transfer import RemoteStore, ensure_local
from git_model.store import manifest as manifest_mod
from git_model.store.fsck import FsckReport, Problem
from git_model.store.index import ChunkIndex
from git_model.store.store import LocalStore

DAMAGED_DIR = "damaged"


@dataclass
class PointerReport:
    checked: int = 0
    missing_local: list[TrackedPointer] = field(default_factory=list)
    missing_remote: list[tuple[TrackedPointer, str]] = field(default_factory=list)  # (pointer, what)


def pointers_in_scope(repo: Repo, everything: bool) -> list[TrackedPointer]:
    if everything:
        return pointers_in_range(repo, ["--all"], [])
    found = []
    if repo.git("rev-parse", "-q", "--verify", "HEAD", check=False).returncode == 0:
        found += pointers_in_tree(repo, "HEAD")
    if not repo.is_bare:
        listing = repo.git("ls-files", "-s", "-z").stdout.split(b"\0")
        candidates = []
        for entry in filter(None, listing):
            meta, _, name = entry.partition(b"\t")
            candidates.append((meta.decode().split()[1], name.decode(errors="surrogateescape")))
        found += read_pointers(repo, candidates)
    unique: dict[tuple[str, str], TrackedPointer] = {}
    for item in found:
        unique.setdefault((item.path, item.pointer.oid), item)
    return list(unique.values())


def check_pointers(store: LocalStore, pointers: list[TrackedPointer], remote: RemoteStore | None) -> PointerReport:
    report = PointerReport(checked=len(pointers))
    remote_index: ChunkIndex | None = remote.index() if remote is not None else None
    for item in pointers:
        if not store.has_complete(item.pointer):
            report.missing_local.append(item)
        if remote is None or remote_index is None:
            continue
        try:
            raw = remote.read_manifest(item.pointer.oid)
        except RemoteNotFound:
            report.missing_remote.append((item, "manifest"))
            continue
        try:
            _, entries = manifest_mod.decode(raw, remote.manifest_name(item.pointer.oid))
        except FormatError as err:
            report.missing_remote.append((item, f"damaged manifest ({err})"))
            continue
        missing = sum(1 for cid, _ in entries if cid not in remote_index)
        if missing:
            report.missing_remote.append((item, f"{missing} chunk(s)"))
    return report


def quarantine(store: LocalStore, report: FsckReport) -> list[Path]:
    """Move damaged packs, indexes and manifests aside (never deleted: evidence for a user),
    so that the store no longer serves them and a fetch can replace them."""
    target = store.root / DAMAGED_DIR
    moved = []
    for problem in report.problems:
        path = problem.path
        victims = [path.with_suffix(".pack"), path.with_suffix(".idx")] if path.suffix in (".pack", ".idx") else [path]
        for victim in victims:
            if victim.exists():
                target.mkdir(parents=True, exist_ok=True)
                shutil.move(str(victim), target / victim.name)
                moved.append(victim)
    store.reload()
    return moved


def repair(store: LocalStore, report: FsckReport, pointers: list[TrackedPointer], remote: RemoteStore | None) -> list[Path]:
    """Quarantine damage, then refetch every in-scope model that is no longer complete."""
    if remote is None:
        raise GitModelError("fsck --repair: no model remote to refetch from (set model.url or .gitmodel)")
    moved = quarantine(store, report)
    incomplete = [p.pointer for p in pointers if not store.has_complete(p.pointer)]
    if incomplete:
        ensure_local(store, remote, incomplete)
    return moved


def problems_of(pointer_report: PointerReport, remote_url: str | None) -> list[Problem]:
    problems = [
        Problem(Path(p.path), f"model {p.pointer.short} cannot be rebuilt from the local store (missing)")
        for p in pointer_report.missing_local
    ]
    problems += [
        Problem(Path(p.path), f"model {p.pointer.short}: remote {remote_url} lacks its {what}")
        for p, what in pointer_report.missing_remote
    ]
    return problems
