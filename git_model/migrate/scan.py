"""What history holds, read-only: every (path, blob) pair the selected refs ever had at a selected
path, and what each blob is (ordinary content, Git LFS pointer, git-model pointer).

The pairs come from one `git fast-export --no-data` pass: a commit lists the files that differ
from its first parent, and a root commit lists them all, so every (path, blob) of every exported
tree is listed at least once. Blobs are then classified with one `cat-file --batch-check` (sizes)
and one `cat-file --batch` over the small ones (only a blob of at most 1024 bytes can be a
pointer). `info` reports from this; `import` and `export` use it as their pre-flight check, so a
history that cannot be parsed or an LFS object that is missing stops them before anything is
written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from git_model import pointer as pointer_mod
from git_model.git.repo import Repo
from git_model.migrate.catfile import CatFile, batch_check
from git_model.migrate.history import BLOB_MODES, Selection, open_fast_export
from git_model.migrate.lfs import LfsObjects, LfsPointer, try_parse_lfs
from git_model.migrate.stream import Commit, FileModify, StreamReader
from git_model.pointer import MAX_POINTER_SIZE, Pointer

PLAIN, LFS, MODEL = "plain", "lfs", "model"


@dataclass(frozen=True)
class BlobInfo:
    oid: str
    size: int  # the blob's own size in Git
    kind: str  # PLAIN, LFS or MODEL
    lfs: LfsPointer | None = None
    pointer: Pointer | None = None

    @property
    def content_size(self) -> int:
        """The size of the file the blob stands for (the model's size for a pointer)."""
        if self.lfs is not None:
            return self.lfs.size
        if self.pointer is not None:
            return self.pointer.size
        return self.size


@dataclass
class Scan:
    refs: list[str]
    commits: int = 0
    paths: dict[str, set[str]] = field(default_factory=dict)  # selected path → blob ids
    excluded: dict[str, set[str]] = field(default_factory=dict)  # included but excluded path → blob ids
    blobs: dict[str, BlobInfo] = field(default_factory=dict)  # blob id → what it is

    def pairs(self) -> list[tuple[str, BlobInfo]]:
        return [(path, self.blobs[oid]) for path in sorted(self.paths) for oid in sorted(self.paths[path])]

    def first_path(self, oid: str) -> str:
        return next((path for path, oids in sorted(self.paths.items()) if oid in oids), "?")


def scan(repo: Repo, refs: list[str], selection: Selection) -> Scan:
    """Read the history of ``refs``; FormatError for a stream or pointer we cannot parse."""
    result = Scan(refs)
    with open_fast_export(repo, refs) as stream:
        for command in StreamReader(stream):
            if not isinstance(command, Commit):
                continue
            result.commits += 1
            for change in command.changes:
                if not isinstance(change, FileModify) or change.mode not in BLOB_MODES:
                    continue
                path = change.path.decode("utf-8", "surrogateescape")
                oid = change.dataref.decode()
                if selection.selects(path):
                    result.paths.setdefault(path, set()).add(oid)
                elif selection.include and selection.included(path):
                    result.excluded.setdefault(path, set()).add(oid)
    oids = sorted({oid for group in (result.paths, result.excluded) for oids in group.values() for oid in oids})
    sizes = batch_check(repo, oids)
    names = {oid: path for group in (result.excluded, result.paths) for path, ids in group.items() for oid in ids}
    with CatFile(repo) as cat:
        for oid in oids:
            size = sizes[oid][1]
            result.blobs[oid] = _classify(cat, oid, size, names[oid]) if size <= MAX_POINTER_SIZE else BlobInfo(oid, size, PLAIN)
    return result


def _classify(cat: CatFile, oid: str, size: int, path: str) -> BlobInfo:
    content = cat.read(oid)
    found = pointer_mod.try_parse(content)
    if found is not None:
        return BlobInfo(oid, size, MODEL, pointer=found)
    lfs = try_parse_lfs(content, f"{path} (blob {oid[:12]})")
    if lfs is not None:
        return BlobInfo(oid, size, LFS, lfs=lfs)
    return BlobInfo(oid, size, PLAIN)


def lfs_excluded(result: Scan, selection: Selection) -> frozenset[str]:
    """Exclude patterns that match LFS pointers: their `.gitattributes` line keeps Git LFS."""
    found: set[str] = set()
    for path, oids in result.excluded.items():
        if any(result.blobs[oid].kind == LFS for oid in oids):
            found.update(p for p in selection.exclude if Selection((p,)).included(path))
    return frozenset(found)


def missing_lfs_objects(result: Scan, objects: LfsObjects) -> list[tuple[str, str, str]]:
    """(path, oid, problem) for every selected LFS pointer whose object cannot be migrated."""
    out = []
    seen = set()
    for path, info in result.pairs():
        if info.lfs is None or info.oid in seen:
            continue
        seen.add(info.oid)
        problem = objects.problem(info.lfs)
        if problem is not None:
            out.append((path, info.lfs.oid, problem))
    return out


@dataclass(frozen=True)
class Group:
    """One line of `migrate info`."""

    pattern: str
    files: int
    versions: int
    bytes: int  # sum of the distinct versions' content sizes
    plain: int  # versions by kind
    lfs: int
    model: int
    lfs_missing: int  # LFS versions whose object is not in the local LFS directory


def group_key(path: str, include: tuple[str, ...]) -> str:
    """The include pattern a path falls under, or its extension as ``*.ext`` without one."""
    for pattern in include:
        if Selection((pattern,)).included(path):
            return pattern
    name = PurePosixPath(path).name
    suffix = PurePosixPath(name).suffix
    return f"*{suffix}" if suffix and suffix != name else name


def summarize(result: Scan, include: tuple[str, ...], objects: LfsObjects) -> list[Group]:
    """Groups by include pattern (or extension), largest first."""
    paths: dict[str, set[str]] = {}
    versions: dict[str, set[str]] = {}
    for path, oids in result.paths.items():
        key = group_key(path, include)
        paths.setdefault(key, set()).add(path)
        versions.setdefault(key, set()).update(oids)
    groups = []
    for key, oids in versions.items():
        infos = [result.blobs[oid] for oid in oids]
        groups.append(
            Group(
                pattern=key,
                files=len(paths[key]),
                versions=len(infos),
                bytes=sum(i.content_size for i in infos),
                plain=sum(i.kind == PLAIN for i in infos),
                lfs=sum(i.kind == LFS for i in infos),
                model=sum(i.kind == MODEL for i in infos),
                lfs_missing=sum(i.lfs is not None and objects.problem(i.lfs) is not None for i in infos),
            )
        )
    return sorted(groups, key=lambda g: (-g.bytes, g.pattern))
