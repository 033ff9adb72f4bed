"""Verifying the local store: every pack, index and manifest, and that manifests are complete.

Reports problems precisely (file and object) instead of stopping at the first one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from git_model.errors import FormatError
from git_model.store import manifest as manifest_mod
from git_model.store.atomic import TEMP_PREFIX
from git_model.store.codec import Codec
from git_model.store.index import ChunkIndex, decode_idx
from git_model.store.pack import iter_stored, pack_digest, read_table
from git_model.store.store import LocalStore, chunk_id


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class FsckReport:
    packs: int
    chunks: int
    manifests: int
    problems: tuple[Problem, ...]
    orphans: tuple[Path, ...]  # temp files left by killed writers


def check_pack(path: Path, codec: Codec) -> Iterator[Problem]:
    pack_id = path.stem
    if pack_digest(path) != pack_id:
        yield Problem(path, "content does not match its name (damaged pack)")
    try:
        entries = read_table(path)
    except FormatError as err:
        yield Problem(path, err.message.split(": ", 1)[-1])
        return
    with open(path, "rb") as handle:
        for entry, stored in iter_stored(handle, entries):
            try:
                data = codec.decode(entry.codec, stored, entry.raw_len)
            except Exception as err:  # zstd raises its own error types on damaged input
                yield Problem(path, f"chunk {entry.chunk_id.hex()} cannot be decoded ({err})")
                continue
            if chunk_id(data) != entry.chunk_id:
                yield Problem(path, f"chunk {entry.chunk_id.hex()} is corrupt")
    idx_path = path.with_suffix(".idx")
    if not idx_path.exists():
        yield Problem(idx_path, "index missing (pack is not visible)")
        return
    try:
        idx = decode_idx(idx_path.read_bytes(), str(idx_path))
    except FormatError as err:
        yield Problem(idx_path, err.message.split(": ", 1)[-1])
        return
    if sorted(bytes(e.chunk_id) for e in entries) != sorted(bytes(i).ljust(16, b"\0") for i in idx["id"]):
        yield Problem(idx_path, "index does not list the pack's chunks")


def fsck_store(store: LocalStore) -> FsckReport:
    codec = Codec()
    problems: list[Problem] = []
    orphans: list[Path] = []
    packs = sorted(store.pack_dir.glob("*.pack")) if store.pack_dir.is_dir() else []
    for pack in packs:
        if not pack.with_suffix(".idx").exists():
            # sealed but never indexed (a writer killed between the two renames): invisible to
            # readers, its chunks unreferenced or still in the pack it replaces; an orphan
            orphans.append(pack)
            continue
        problems.extend(check_pack(pack, codec))
    index = ChunkIndex.load(store.pack_dir) if not problems else _load_tolerant(store.pack_dir, problems)
    manifests = 0
    if store.manifest_dir.is_dir():
        for path in sorted(p for p in store.manifest_dir.glob("*/*") if p.is_file()):
            if path.name.startswith(TEMP_PREFIX):
                orphans.append(path)
                continue
            manifests += 1
            try:
                info = manifest_mod.read_info(path)
            except FormatError as err:
                problems.append(Problem(path, err.message.split(": ", 1)[-1]))
                continue
            if path.parent.name + path.name != info.sha256.hex():
                problems.append(Problem(path, "manifest is stored under the wrong name"))
            missing = sum(1 for cid, _ in manifest_mod.iter_entries(path) if cid not in index)
            if missing:
                problems.append(Problem(path, f"{missing} chunk(s) of model {info.sha256.hex()[:12]} are missing"))
    for directory in (store.pack_dir, store.manifest_dir):
        if directory.is_dir():
            orphans.extend(p for p in directory.glob(f"{TEMP_PREFIX}*"))
    return FsckReport(len(packs), len(index), manifests, tuple(problems), tuple(orphans))


def _load_tolerant(pack_dir: Path, problems: list[Problem]) -> ChunkIndex:
    """Index over the packs whose index reads, so manifest checks still run after damage."""
    index = ChunkIndex()
    damaged = {p.path.stem for p in problems}
    for idx_path in sorted(pack_dir.glob("*.idx")):
        if idx_path.stem in damaged or not idx_path.with_suffix(".pack").exists():
            continue
        try:
            table = read_table(idx_path.with_suffix(".pack"))
        except FormatError:
            continue
        index.add_pack(idx_path.stem, table)
    return index
