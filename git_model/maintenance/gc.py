"""`git model gc`: drop local model versions nothing needs, and compact packs.

A version is dropped only when no kept place needs it (see `liveness`) AND the remote store
confirms it holds that version (its manifest, which promises its chunks), unless forced. Packs
whose chunks are all dead are deleted; packs with at least `REPACK_DEAD_SHARE` dead bytes are
rewritten with their live chunks (copied still compressed, each verified). The whole run holds
the store lock exclusively, so no add or fetch runs meanwhile.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from git_model.store import manifest as manifest_mod
from git_model.store.atomic import TEMP_PREFIX
from git_model.store.index import Location, decode_idx
from git_model.store.lock import store_lock
from git_model.store.pack import PackWriter
from git_model.store.store import LocalStore

REPACK_DEAD_SHARE = 0.10


@dataclass
class GcPlan:
    drop_manifests: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)  # unneeded, but the remote lacks them
    drop_packs: list[str] = field(default_factory=list)
    repack_packs: list[str] = field(default_factory=list)
    dead_chunks: int = 0
    freed_bytes: int = 0
    temp_files: list[Path] = field(default_factory=list)
    live_chunks: set[bytes] = field(default_factory=set, repr=False)


def local_manifest_oids(store: LocalStore) -> list[str]:
    if not store.manifest_dir.is_dir():
        return []
    return [
        p.parent.name + p.name
        for p in store.manifest_dir.glob("*/*")
        if p.is_file() and not p.name.startswith(TEMP_PREFIX)
    ]


def plan_gc(
    store: LocalStore, live: set[str], confirmed_on_remote: Callable[[str], bool] | None, force: bool
) -> GcPlan:
    plan = GcPlan()
    candidates = [oid for oid in local_manifest_oids(store) if oid not in live]
    if force:
        plan.drop_manifests = candidates
    elif confirmed_on_remote is not None and candidates:
        with ThreadPoolExecutor(8) as pool:
            present = list(pool.map(confirmed_on_remote, candidates))
        plan.drop_manifests = [oid for oid, ok in zip(candidates, present) if ok]
        plan.unconfirmed = [oid for oid, ok in zip(candidates, present) if not ok]
    else:
        plan.unconfirmed = candidates
    dropped = set(plan.drop_manifests)
    live_chunks: set[bytes] = set()
    for oid in local_manifest_oids(store):
        if oid not in dropped:
            path = manifest_mod.manifest_path(store.manifest_dir, oid)
            live_chunks.update(cid for cid, _ in manifest_mod.iter_entries(path))
    for idx_path in sorted(store.pack_dir.glob("*.idx")) if store.pack_dir.is_dir() else []:
        entries = decode_idx(idx_path.read_bytes(), str(idx_path))
        dead = [e for e in entries if bytes(e["id"]).ljust(16, b"\0") not in live_chunks]
        if not dead:
            continue
        dead_bytes = int(sum(int(e["stored"]) for e in dead))
        pack_bytes = idx_path.with_suffix(".pack").stat().st_size
        if len(dead) == len(entries):
            plan.drop_packs.append(idx_path.stem)
            plan.freed_bytes += pack_bytes
        elif dead_bytes >= REPACK_DEAD_SHARE * pack_bytes:
            plan.repack_packs.append(idx_path.stem)
            plan.freed_bytes += dead_bytes
        else:
            continue
        plan.dead_chunks += len(dead)
    for directory in (store.pack_dir, store.manifest_dir, store.root / "tmp-upload"):
        if directory.is_dir():
            plan.temp_files.extend(directory.rglob(f"{TEMP_PREFIX}*"))
    plan.live_chunks = live_chunks
    return plan


def run_gc(store: LocalStore, plan_fn: Callable[[], GcPlan], dry_run: bool) -> GcPlan:
    """Plan and (unless ``dry_run``) execute under the exclusive store lock."""
    with store_lock(store.root, exclusive=True):
        store.reload()
        plan = plan_fn()
        if dry_run:
            return plan
        for oid in plan.drop_manifests:
            manifest_mod.manifest_path(store.manifest_dir, oid).unlink(missing_ok=True)
        for pack_id in plan.repack_packs:
            _repack(store, pack_id, plan.live_chunks)
        for pack_id in plan.drop_packs:
            _remove_pack(store, pack_id)
        for temp in plan.temp_files:
            temp.unlink(missing_ok=True)
        shutil.rmtree(store.root / "tmp-upload", ignore_errors=True)
        if plan.repack_packs or plan.drop_packs:
            store.bump_gc_generation()
        store.reload()
        return plan


def _remove_pack(store: LocalStore, pack_id: str) -> None:
    """Index first (the pack stops being visible), then the pack."""
    (store.pack_dir / f"{pack_id}.idx").unlink(missing_ok=True)
    (store.pack_dir / f"{pack_id}.pack").unlink(missing_ok=True)


def _repack(store: LocalStore, pack_id: str, live_chunks: set[bytes]) -> None:
    """Copy a pack's live chunks into a new pack, then remove the old one."""
    entries = decode_idx((store.pack_dir / f"{pack_id}.idx").read_bytes(), pack_id)
    writer = PackWriter(store.pack_dir)
    try:
        for entry in entries:
            cid = bytes(entry["id"]).ljust(16, b"\0")
            if cid not in live_chunks:
                continue
            location = Location(pack_id, int(entry["offset"]), int(entry["stored"]), int(entry["raw"]), int(entry["codec"]))
            stored, _ = store.read_stored(cid, location, f"gc of pack {pack_id}")
            writer.add(cid, location.codec, stored, location.raw_len)
        if writer.entries:
            store.seal_pack(writer)
        else:
            writer.abort()
    except BaseException:
        writer.abort()
        raise
    store.close()
    _remove_pack(store, pack_id)

