"""Opt-in garbage collection of a remote store (`git model gc --remote`).

Live: every model version reachable from any ref of the remote Git repository (all history,
not just recent). Two phases make it safe against pushes in flight (which upload packs, then
manifests, and only then move refs): a run first *marks* what is unreferenced, in
`gc/pending.json` on the remote with a timestamp; a later run, once the grace period has
passed, deletes only what was marked then AND is still unreferenced now. Manifests go first,
then each dead pack's index, then the pack, so the remote never promises missing chunks.
Packs that still hold some live chunks are kept whole (no repacking on the remote).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from git_model.errors import FormatError, GitModelError, RemoteNotFound
from git_model.git.pointers import pointers_in_range
from git_model.git.repo import Repo
from git_model.remote.backend import supports_delete
from git_model.remote.transfer import RemoteStore, idx_key, pack_key
from git_model.store import manifest as manifest_mod
from git_model.store.index import decode_idx

PENDING_KEY = "gc/pending.json"


@dataclass
class RemoteGcResult:
    marked_manifests: list[str] = field(default_factory=list)
    marked_packs: list[str] = field(default_factory=list)
    deleted_manifests: list[str] = field(default_factory=list)
    deleted_packs: list[str] = field(default_factory=list)
    waiting_seconds: float = 0.0  # until the current marks may be deleted


def remote_tips(repo: Repo, remote_name: str) -> list[str]:
    """Commit ids of every ref of the remote; they must be known locally (fetch first)."""
    lines = repo.git("ls-remote", remote_name).stdout.decode().splitlines()
    tips = sorted({line.split()[0] for line in lines if line and not line.split()[1].endswith("^{}")})
    unknown = [t for t in tips if repo.git("cat-file", "-e", f"{t}^{{commit}}", check=False).returncode != 0]
    if unknown:
        raise GitModelError(f"gc --remote: {len(unknown)} ref(s) of '{remote_name}' are not fetched; run 'git fetch {remote_name}' first")
    return tips


def _live_chunk_ids(remote: RemoteStore, key: str, oid: str) -> list[bytes]:
    """A live manifest's chunk ids; a damaged one stops the gc (its chunks would look dead)."""
    source = f"{remote.backend.url}/{key}"
    try:
        _, entries = manifest_mod.decode(remote.read_manifest(oid), source)
    except FormatError as err:
        raise GitModelError(f"gc --remote: {err}; nothing deleted (run 'git model fsck --remote')") from None
    return [cid for cid, _ in entries]


def dead_sets(repo: Repo, remote_name: str, remote: RemoteStore) -> tuple[set[str], set[str]]:
    """(unreferenced manifest keys, packs none of whose chunks a live manifest lists)."""
    live = {p.pointer.oid for p in pointers_in_range(repo, remote_tips(repo, remote_name), [])}
    live_keys = {remote.manifest_name(oid): oid for oid in live}
    listed = set(remote.call(lambda: list(remote.backend.list("manifests/"))))
    dead_manifests = listed - set(live_keys)
    live_chunks: set[bytes] = set()
    for key in listed & set(live_keys):
        live_chunks.update(_live_chunk_ids(remote, key, live_keys[key]))
    remote.index()  # refreshes the local cache of the remote's pack indexes
    dead_packs = set()
    for cached in remote.cache_dir.glob("*.idx"):
        entries = decode_idx(cached.read_bytes(), str(cached))
        if not any(bytes(e["id"]).ljust(16, b"\0") in live_chunks for e in entries):
            dead_packs.add(cached.stem)
    return dead_manifests, dead_packs


def collect(repo: Repo, remote_name: str, remote: RemoteStore, grace_seconds: float, dry_run: bool) -> RemoteGcResult:
    if not supports_delete(remote.backend):
        raise GitModelError(f"gc --remote: {remote.backend.url} cannot delete objects (a Git LFS server)")
    result = RemoteGcResult()
    dead_manifests, dead_packs = dead_sets(repo, remote_name, remote)
    now = time.time()
    try:
        pending = json.loads(remote.call(remote.read_bytes, PENDING_KEY))
    except RemoteNotFound:
        pending = None
    except ValueError:
        pending = None  # a damaged mark file only delays collection by one round
    if pending is not None and now - float(pending.get("marked_at", now)) >= grace_seconds:
        result.deleted_manifests = sorted(set(pending.get("manifests", [])) & dead_manifests)
        result.deleted_packs = sorted(set(pending.get("packs", [])) & dead_packs)
        if not dry_run:
            for key in result.deleted_manifests:
                remote.call(remote.backend.delete, key)
            for pack_id in result.deleted_packs:
                remote.call(remote.backend.delete, idx_key(pack_id))
                remote.call(remote.backend.delete, pack_key(pack_id))
        dead_manifests -= set(result.deleted_manifests)
        dead_packs -= set(result.deleted_packs)
        pending = None
    if pending is None:
        result.marked_manifests, result.marked_packs = sorted(dead_manifests), sorted(dead_packs)
        marks = {"marked_at": now, "manifests": result.marked_manifests, "packs": result.marked_packs}
        if not dry_run:
            remote.call(remote.backend.upload_bytes, PENDING_KEY, json.dumps(marks).encode())
        result.waiting_seconds = grace_seconds
    else:
        result.marked_manifests = sorted(set(pending.get("manifests", [])))
        result.marked_packs = sorted(set(pending.get("packs", [])))
        result.waiting_seconds = grace_seconds - (now - float(pending["marked_at"]))
    return result
