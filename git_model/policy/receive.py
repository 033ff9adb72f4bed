"""The server side: checking the model versions a push brings (the pre-receive hook).

For every ref update ``OLD NEW REF`` read from stdin, the models checked are those in NEW's
tree that the push brings: their pointer blob, or their sidecar, is in a commit reachable from
NEW and from no existing ref (``git rev-list --objects NEW --not --all``). A model version that
was added and replaced again within the same push is not checked: what is checked is what the
ref will hold. Policy and sidecars come from NEW's tree; the models' headers from this
repository's own store, where the pre-push hook of a client has already put them (a local
or ``file://`` remote stores models in ``<bare>/model``). A model missing there is fetched from
the store that this repository's ``git config model.url`` names, else the ``remote.url`` of the
``.gitmodel`` its HEAD already holds: never from a URL in the pushed commit, which the pusher
controls. When that is impossible only its sidecar is checked, and the hook says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from git_model.errors import GitModelError
from git_model.git.repo import Repo
from git_model.pointer import Pointer
from git_model.policy.check import CheckReport, check_paths, gitmodel_entries, select
from git_model.policy.metadata import ModelAccess
from git_model.policy.policy import parse_policy
from git_model.policy.sidecar import sidecar_path
from git_model.policy.sources import GITMODEL, BlobSnapshot, rev_snapshot
from git_model.store.store import LocalStore


@dataclass(frozen=True)
class RefUpdate:
    """One line of pre-receive input."""

    old: str
    new: str
    ref: str

    @property
    def deletes(self) -> bool:
        return set(self.new) <= {"0"}


def parse_updates(lines: Iterable[str]) -> list[RefUpdate]:
    updates = []
    for line in lines:
        fields = line.split()
        if len(fields) == 3:
            updates.append(RefUpdate(*fields))
        elif fields:
            raise GitModelError(f"pre-receive: unexpected input line {line!r}")
    return updates


def new_objects(repo: Repo, new: str) -> set[str]:
    """Objects reachable from ``new`` and from no existing ref (the push's new objects)."""
    out = repo.git("rev-list", "--objects", new, "--not", "--all").stdout.decode(errors="surrogateescape")
    return {line.split(" ", 1)[0] for line in out.splitlines() if line}


def _store_fetcher(repo: Repo, store: LocalStore) -> Callable[[list[Pointer]], object] | None:
    """A fetch from the configured model store, unless that is this repository's own."""
    from git_model.remote.resolve import gitmodel_value, local_path_of
    from git_model.remote.transfer import ensure_local, open_remote_store

    url = repo.config_get("model.url") or gitmodel_value(repo, "remote.url")
    if not url:
        return None
    base = repo.worktree or repo.git_dir
    local = local_path_of(url, base)
    if local is not None and Path(local).resolve() == store.root.resolve():
        return None
    remote = open_remote_store(store, url, base)
    return lambda pointers: ensure_local(store, remote, pointers)


def _failing(err: GitModelError) -> Callable[[list[Pointer]], object]:
    def fetch(pointers: list[Pointer]) -> object:
        raise err

    return fetch


def check_update(repo: Repo, store: LocalStore, update: RefUpdate) -> CheckReport | None:
    """The report for one ref update; None when it brings nothing the policy covers."""
    if update.deletes:
        return None
    if repo.git("rev-parse", "--verify", "-q", f"{update.new}^{{commit}}", check=False).returncode != 0:
        return None  # a tag of a tree or blob: no models to speak of
    snapshot: BlobSnapshot = rev_snapshot(repo, update.new, label=update.new[:12])
    entries = gitmodel_entries(repo, snapshot)
    policy = parse_policy(entries, snapshot.describe(GITMODEL))
    if policy.empty:
        return None
    fresh = new_objects(repo, update.new)
    models = [
        path for path in select(snapshot, policy)
        if snapshot.oid(path) in fresh or snapshot.oid(sidecar_path(path)) in fresh
    ]
    if not models:
        return None
    try:
        fetcher = _store_fetcher(repo, store)
    except GitModelError as err:
        fetcher = _failing(err)
    access = ModelAccess(store, fetcher, missing_ok=True)
    return check_paths(snapshot, policy, models, access)
