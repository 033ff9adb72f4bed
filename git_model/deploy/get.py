"""`git model get`: fetch named model files of one revision of a remote repository into a
directory, without a working copy or history (docs/deploy.md).

1. The repository's cache (`cache.RepoCache`) fetches the revision with depth 1.
2. The PATHs are looked up in that commit's tree; each must be a model pointer, or a
   directory holding some (else UsageError).
3. Files already identical in the output directory are left alone (`target.holds`).
4. The model store is resolved from the commit's ``.gitmodel``, else the embedded default of a
   local repository (`remote.resolve.resolve_at_commit`), unless given explicitly.
5. Only the chunks the cache's store lacks are fetched (`remote.transfer.ensure_local`).
6. Each file is rebuilt from the cache's store, every chunk and the whole sha256 verified,
   and written with `target.write_file`: nothing partial is ever visible.
"""

from __future__ import annotations

import glob
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator

from git_model.deploy.cache import RepoCache, default_cache_root
from git_model.deploy.target import WrittenState, holds, remove_orphans, write_file
from git_model.errors import (
    ConfigError,
    RemotePermanentError,
    StoreWriteError,
    UsageError,
)
from git_model.git.pointers import TrackedPointer, pointers_in_tree
from git_model.remote.backend import Backend
from git_model.remote.resolve import (
    ModelRemote,
    gitmodel_value_at,
    local_path_of,
    resolve_at_commit,
)
from git_model.remote.transfer import RemoteStore, cache_dir_for, ensure_local

if TYPE_CHECKING:
    from git_model.remote.crypto import Cipher

JSON_VERSION = 1
WRITTEN, UNCHANGED = "written", "unchanged"


@dataclass(frozen=True)
class FileResult:
    path: str  # path in the repository
    dest: Path  # where it is in the output directory
    oid: str  # sha256 of the content
    size: int
    action: str  # WRITTEN or UNCHANGED


@dataclass(frozen=True)
class GetResult:
    repository: str  # the normalized repository URL
    rev: str
    commit: str
    store: str  # model store URL
    store_source: str  # where the store URL came from
    output: Path
    files: tuple[FileResult, ...]
    bytes_moved: int  # read from the model store: pack ranges, manifests, pack indexes
    chunks_fetched: int

    @property
    def file_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def written_bytes(self) -> int:
        return sum(f.size for f in self.files if f.action == WRITTEN)

    def as_json(self) -> dict[str, object]:
        """The `--json` document (schema in docs/deploy.md)."""
        return {
            "version": JSON_VERSION,
            "repository": self.repository,
            "rev": self.rev,
            "commit": self.commit,
            "store": self.store,
            "output": str(self.output),
            "files": [
                {"path": f.path, "dest": str(f.dest), "oid": f.oid, "size": f.size, "action": f.action}
                for f in self.files
            ],
            "file_bytes": self.file_bytes,
            "written_bytes": self.written_bytes,
            "bytes_moved": self.bytes_moved,
            "chunks_fetched": self.chunks_fetched,
        }


class MeteredBackend:
    """A backend that counts the bytes read through it (thread-safe); delegates everything."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.url = inner.url
        self.bytes_read = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> object:  # whatever else a backend offers
        return getattr(self.inner, name)

    def _count(self, n: int) -> None:
        with self._lock:
            self.bytes_read += n

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def size(self, key: str) -> int:
        return self.inner.size(key)

    def list(self, prefix: str) -> Iterator[str]:
        return self.inner.list(prefix)

    def upload(self, key: str, source: Path) -> None:
        self.inner.upload(key, source)

    def upload_bytes(self, key: str, data: bytes) -> None:
        self.inner.upload_bytes(key, data)

    def download(self, key: str, dest: BinaryIO) -> int:
        n = self.inner.download(key, dest)
        self._count(n)
        return n

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        data = self.inner.read_range(key, offset, length)
        self._count(len(data))
        return data

    def delete(self, key: str) -> None:
        self.inner.delete(key)


def normalize_paths(paths: list[str]) -> list[str]:
    """Repository paths as given on the command line: '/'-separated, relative, no '..'."""
    if not paths:
        raise UsageError("name at least one model file (PATH) to get")
    out: list[str] = []
    for raw in paths:
        path = raw.strip()
        while path.startswith("./"):
            path = path[2:]
        path = path.rstrip("/")
        parts = path.split("/")
        if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in path:
            raise UsageError(f"PATH {raw!r}: give a path relative to the repository's top directory")
        if path not in out:
            out.append(path)
    return out


def select(cache: RepoCache, commit: str, rev: str, paths: list[str]) -> list[TrackedPointer]:
    """The models named by ``paths`` in ``commit``: a file must be a pointer; a directory
    selects every pointer under it and must hold at least one."""
    repo = cache.repo
    listing = repo.git("ls-tree", "-r", "-t", "-z", commit).stdout.split(b"\0")
    kinds: dict[str, tuple[str, str]] = {}
    for entry in filter(None, listing):
        meta, _, name = entry.partition(b"\t")
        _mode, kind, oid = meta.decode().split()
        kinds[name.decode(errors="surrogateescape")] = (kind, oid)
    where = f"{rev} ({commit[:12]}) of {cache.url}"
    include: list[str] = []
    for path in paths:
        kind = kinds.get(path, ("", ""))[0]
        if kind == "blob":
            include.append("/" + glob.escape(path))
        elif kind == "tree":
            include.append("/" + glob.escape(path) + "/*")
        elif kind == "commit":
            raise UsageError(f"{path}: is a submodule in {where}, not a model file")
        else:
            raise UsageError(f"{path}: no such file in {where}")
    # blobs the fetch filter left on the server are too large to be pointers: never read them
    missing = cache.missing_blobs(commit)
    exclude = ["/" + glob.escape(p) for p, (kind, oid) in kinds.items() if kind == "blob" and oid in missing]
    found = {tp.path: tp for tp in pointers_in_tree(repo, commit, include, exclude)}
    selected: dict[str, TrackedPointer] = {}
    for path in paths:
        if kinds[path][0] == "blob":
            if path not in found:
                raise UsageError(f"{path}: not a tracked model in {where} (not a git-model pointer)")
            selected.setdefault(path, found[path])
            continue
        under = [tp for p, tp in found.items() if p.startswith(path + "/")]
        if not under:
            raise UsageError(f"{path}/: holds no tracked model in {where}")
        for tp in under:
            selected.setdefault(tp.path, tp)
    return list(selected.values())


def _cipher_at(cache: RepoCache, commit: str) -> Cipher | None:
    """The cipher when the store is encrypted: ``model.encrypt`` (git config) or
    ``remote.encrypt`` in the commit's ``.gitmodel``; the key as for every other command."""
    from git_model.remote.crypto import KEY_ENV, Cipher, load_key

    repo = cache.repo
    flag = repo.config_get("model.encrypt") or gitmodel_value_at(repo, commit, "remote.encrypt") or "false"
    if flag.lower() not in ("true", "yes", "on", "1"):
        return None
    key = load_key(repo.config_get("model.encryptionKeyFile"))
    if key is None:
        raise ConfigError(f"the model store of {cache.url} is encrypted: set ${KEY_ENV} or model.encryptionKeyFile")
    return Cipher(key)


def _store_of(cache: RepoCache, commit: str, store_url: str | None) -> tuple[ModelRemote, Path | None]:
    """The model store and the directory a relative store path is relative to."""
    if store_url:
        return ModelRemote(cache.url, store_url, "--store"), Path.cwd()
    resolved = resolve_at_commit(cache.repo, commit, cache.url)
    return resolved, local_path_of(cache.url, Path.cwd())


def get(
    url: str,
    paths: list[str],
    output: Path,
    rev: str = "HEAD",
    cache_root: Path | None = None,
    store_url: str | None = None,
    report: Callable[[str], None] | None = None,
) -> GetResult:
    """Write the models ``paths`` of ``rev`` of the repository at ``url`` under ``output``
    (each at its repository path). Idempotent: identical files are not rewritten. Raises the
    errors of git_model.errors (docs/deploy.md lists their exit codes); files written before a
    failure are complete, the others untouched. ``report`` receives one line per file."""
    wanted = normalize_paths(paths)
    output = output.absolute()
    if output.exists() and not output.is_dir():
        raise UsageError(f"-o {output}: exists and is not a directory")
    say = report or (lambda _line: None)
    local = local_path_of(url, Path.cwd())
    if local is not None and not local.is_dir():
        raise RemotePermanentError(f"{url}: no such repository ({local} is not a directory)")
    with RepoCache(cache_root or default_cache_root(), url) as cache:
        commit = cache.fetch(rev)
        selected = select(cache, commit, rev, wanted)
        store_remote, base_dir = _store_of(cache, commit, store_url)
        state = WrittenState.load(cache.state_path)
        failed = True
        try:
            for directory in dict.fromkeys((output / tp.path).parent for tp in selected):
                remove_orphans(directory)
            pending = [tp for tp in selected if not holds(output / tp.path, tp.pointer, state)]
            bytes_moved = chunks = 0
            if pending:
                from git_model.remote.url import open_backend

                backend = MeteredBackend(open_backend(store_remote.url, base_dir))
                cipher = _cipher_at(cache, commit)
                remote = RemoteStore(backend, cache_dir_for(cache.store, store_remote.url), cipher=cipher)
                stats = ensure_local(cache.store, remote, [tp.pointer for tp in pending])
                bytes_moved = backend.bytes_read
                chunks = stats.chunks if stats is not None else 0
            results = []
            for tp in selected:
                dest = output / tp.path
                if tp not in pending:
                    results.append(FileResult(tp.path, dest, tp.pointer.oid, tp.pointer.size, UNCHANGED))
                    say(f"unchanged {tp.path}")
                    continue
                write_file(dest, cache.store.read(tp.pointer, f"{cache.url} {commit[:12]}:{tp.path}"))
                state.record(dest, os.lstat(dest), tp.pointer.oid)
                results.append(FileResult(tp.path, dest, tp.pointer.oid, tp.pointer.size, WRITTEN))
                say(f"wrote {tp.path} ({tp.pointer.size / 1e6:.1f} MB)")
            failed = False
        finally:
            try:
                state.save(cache.state_path)
            except StoreWriteError:
                if not failed:
                    raise  # else the first error is the one to report; the state is only a cache
    return GetResult(
        cache.url, rev, commit, store_remote.url, store_remote.source, output, tuple(results), bytes_moved, chunks,
    )
