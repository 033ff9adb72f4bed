"""Repository-level sharing: which models a push or fetch concerns, and writing models into
the working tree directly (the path for models larger than memory).

The transfer mechanics live in `git_model.remote.transfer`; this module connects them to Git:
refs, trees, the index and the working tree.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from git_model.errors import GitModelError
from git_model.git.pointers import TrackedPointer, pointers_in_range, pointers_in_tree
from git_model.git.repo import Repo
from git_model.pointer import MAX_POINTER_SIZE, Pointer, try_parse
from git_model.remote.resolve import resolve_remote
from git_model.remote.transfer import RemoteStore, TransferStats, ensure_local, open_remote_store
from git_model.store.atomic import AtomicFile
from git_model.store.store import LocalStore

if TYPE_CHECKING:
    from git_model.remote.crypto import Cipher

ZERO_OID_CHARS = {"0"}
DEFAULT_DIRECT_THRESHOLD = 256 * 1024 * 1024


def remote_store(repo: Repo, store: LocalStore, name: str | None = None, git_url: str | None = None) -> RemoteStore:
    resolved = resolve_remote(repo, name, git_url)
    return open_remote_store(store, resolved.url, repo.worktree or repo.git_dir, cipher=remote_cipher(repo))


def remote_cipher(repo: Repo) -> "Cipher | None":
    """The cipher when `model.encrypt` (git config) or `remote.encrypt` (.gitmodel) is true."""
    from git_model.errors import ConfigError
    from git_model.remote.crypto import KEY_ENV, Cipher, load_key
    from git_model.remote.resolve import GITMODEL_FILE, gitmodel_value

    flag = repo.config_get("model.encrypt") or gitmodel_value(repo, "remote.encrypt") or "false"
    if flag.lower() not in ("true", "yes", "on", "1"):
        return None
    key = load_key(repo.config_get("model.encryptionKeyFile"))
    if key is None:
        raise ConfigError(
            f"the model store is encrypted ({GITMODEL_FILE} or model.encrypt): set ${KEY_ENV} "
            "or 'git config model.encryptionKeyFile PATH'"
        )
    return Cipher(key)


@dataclass(frozen=True)
class RefUpdate:
    """One line of pre-push input."""

    local_ref: str
    local_oid: str
    remote_ref: str
    remote_oid: str

    @property
    def deletes(self) -> bool:
        return set(self.local_oid) <= ZERO_OID_CHARS


def parse_pre_push(lines: Iterable[str]) -> list[RefUpdate]:
    updates = []
    for line in lines:
        fields = line.split()
        if len(fields) == 4:
            updates.append(RefUpdate(*fields))
        elif fields:
            raise GitModelError(f"pre-push: unexpected input line {line!r}")
    return updates


def pointers_to_push(repo: Repo, remote_name: str, updates: list[RefUpdate]) -> list[TrackedPointer]:
    """Pointers in commits being pushed that the remote's refs do not already reach."""
    include = [u.local_oid for u in updates if not u.deletes]
    exclude = []
    for u in updates:
        known = not set(u.remote_oid) <= ZERO_OID_CHARS
        if known and repo.git("cat-file", "-e", f"{u.remote_oid}^{{commit}}", check=False).returncode == 0:
            exclude.append(u.remote_oid)
    if repo.config_get(f"remote.{remote_name}.url"):
        exclude.append(f"--remotes={remote_name}")
    return pointers_in_range(repo, include, exclude)


def push_refs(repo: Repo, store: LocalStore, remote_name: str, git_url: str | None, refs: list[str]) -> TransferStats:
    """`git model push`: every model reachable from ``refs`` that the remote store lacks."""
    pointers = pointers_in_range(repo, refs, [])
    remote = remote_store(repo, store, remote_name, git_url)
    from git_model.remote.transfer import push

    return push(store, remote, [p.pointer for p in pointers])


def blob_oid(repo: Repo, content: bytes) -> str:
    """Git's object id of a blob with ``content`` (sha1 or sha256 repositories)."""
    algorithm = repo.config_get("extensions.objectformat") or "sha1"
    digest = hashlib.new(algorithm)
    digest.update(b"blob %d\0" % len(content))
    digest.update(content)
    return digest.hexdigest()


def worktree_pointers(repo: Repo, paths: list[str] | None = None) -> list[TrackedPointer]:
    """Tracked model files whose working-tree content is still exactly their committed pointer."""
    assert repo.worktree is not None
    listing = repo.git("ls-files", "-s", "-z", "--", *(paths or [])).stdout.split(b"\0")
    staged: dict[str, str] = {}
    for entry in filter(None, listing):
        meta, _, name = entry.partition(b"\t")
        _mode, oid, stage = meta.decode().split()
        if stage == "0":
            staged[name.decode(errors="surrogateescape")] = oid
    if not staged:
        return []
    attrs = repo.git("check-attr", "-z", "--stdin", "filter", input="\0".join(staged).encode() + b"\0").stdout
    fields = attrs.split(b"\0")
    model_paths = [fields[i].decode(errors="surrogateescape") for i in range(0, len(fields) - 2, 3) if fields[i + 2] == b"model"]
    found = []
    for path in model_paths:
        full = repo.worktree / path
        try:
            if full.is_symlink() or full.stat().st_size > MAX_POINTER_SIZE:
                continue
            content = full.read_bytes()
        except FileNotFoundError:
            continue
        parsed = try_parse(content)
        if parsed is not None and blob_oid(repo, content) == staged[path]:
            found.append(TrackedPointer(path, staged[path], parsed))
    return found


def write_model(store: LocalStore, pointer: Pointer, dest: Path, source: str) -> None:
    """Write a model into the working tree atomically: a reader sees the pointer or the whole
    verified file, never a partial one (the temp file is removed on any failure)."""
    mode = dest.stat().st_mode & 0o777 if dest.exists() else 0o644
    with AtomicFile(dest.parent, dest) as out:
        for block in store.read(pointer, source):
            out.write(block)
        os.chmod(out.temp_path, mode)
        out.commit()


def materialize(repo: Repo, store: LocalStore, remote: RemoteStore | None, paths: list[str] | None = None) -> tuple[list[str], TransferStats | None]:
    """Replace working-tree pointers by their models, then record the new files' stat data in
    the index so `git status` is clean without Git reading them again."""
    from git_model.git.index_file import refresh_stat

    assert repo.worktree is not None
    pending = worktree_pointers(repo, paths)
    if not pending:
        return [], None
    stats = ensure_local(store, remote, [p.pointer for p in pending])
    for item in pending:
        write_model(store, item.pointer, repo.worktree / item.path, item.path)
    refresh_stat(repo, {p.path: p.blob for p in pending})
    return [p.path for p in pending], stats


def fetch_tree(repo: Repo, store: LocalStore, remote: RemoteStore, rev: str, include: list[str], exclude: list[str]) -> TransferStats | None:
    pointers = pointers_in_tree(repo, rev, include or None, exclude or None)
    return ensure_local(store, remote, [p.pointer for p in pointers])
