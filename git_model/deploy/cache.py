"""The cache of `git model get`: one shallow bare repository per repository URL, with its own
model store inside, kept between runs (layout in docs/deploy.md).

    <cache root>/repos/<key>.lock      flock held for the whole of one `get`
    <cache root>/repos/<key>/          bare repository: fetched commits, their trees and pointers
    <cache root>/repos/<key>/model/    LocalStore: chunks stay, so the next revision moves only
                                       the chunks it adds
    <cache root>/repos/<key>/get-state.json   files written last time (see `target.WrittenState`)

``key`` is the first 20 hex digits of the sha256 of the normalized URL. Nothing in a cache is
touched without holding its lock, so whatever lock or temp file a killed run left behind is
known to be stale and is removed when the next run takes the lock. The lock descriptor is
inherited by `git fetch`, so a `git fetch` that outlives a killed `get` keeps the cache locked
until it ends.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import subprocess
from pathlib import Path
from types import TracebackType

from git_model.errors import (
    RemoteError,
    RemotePermanentError,
    RemoteTransientError,
    StoreWriteError,
    UsageError,
)
from git_model.git.repo import Repo
from git_model.remote.resolve import local_path_of
from git_model.remote.retry import with_retries
from git_model.store.atomic import TEMP_PREFIX, describe_os_error
from git_model.store.store import LocalStore

# Blobs of at least this many bytes are left on the server: a pointer is at most 1024 bytes.
BLOB_FILTER = "blob:limit=1025"
# Smaller packs than a working repository's: a killed `get` resumes from its last sealed pack.
CACHE_PACK_SIZE = 16 << 20
PROMISOR = "origin"

_NOT_A_REV = ("couldn't find remote ref", "not our ref", "no such remote ref", "invalid refspec", "bad object")
_HEXISH = re.compile(r"[0-9a-f]{4,39}")
_PERMANENT = (
    "does not appear to be a git repository", "repository not found", "not found", "authentication failed",
    "permission denied", "could not read from remote repository", "access denied", "not a git repository",
)
_TRANSIENT = (
    "could not resolve host", "timed out", "connection refused", "connection reset", "early eof",
    "rpc failed", "remote end hung up", "temporary failure", "http 5", "returned error: 5",
)


def default_cache_root() -> Path:
    """``${XDG_CACHE_HOME:-~/.cache}/git-model``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "git-model"


def normalize_url(url: str) -> str:
    """A local path becomes an absolute ``file://`` URL (so that ``--depth`` is honoured and the
    same repository maps to one cache); network URLs are kept as given."""
    if not url or url != url.strip():
        raise UsageError(f"repository URL {url!r}: empty or padded with whitespace")
    local = local_path_of(url, Path.cwd())
    if local is None:
        return url
    return local.resolve().as_uri()


def cache_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:20]


def _git_env() -> dict[str, str]:
    """The environment minus variables that would point git at another repository."""
    drop = {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_SHALLOW_FILE"}
    return {k: v for k, v in os.environ.items() if k not in drop}


class RepoCache:
    """The cache of one repository URL, locked for as long as the context is open.

    ``with RepoCache(root, url) as cache:`` waits for the lock, removes what killed runs left,
    and creates the bare repository on first use. Not safe to share between threads.
    """

    def __init__(self, cache_root: Path, url: str) -> None:
        self.url = normalize_url(url)
        self.dir = cache_root.absolute() / "repos" / cache_key(self.url)
        self.lock_path = self.dir.with_name(self.dir.name + ".lock")
        self.repo = Repo(worktree=None, git_dir=self.dir, common_dir=self.dir)
        self.store = LocalStore(self.dir / "model", pack_size=CACHE_PACK_SIZE)
        self.state_path = self.dir / "get-state.json"
        self._lock_fd: int | None = None

    # -- lifetime ----------------------------------------------------------------------
    def __enter__(self) -> RepoCache:
        try:
            self.dir.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise StoreWriteError(describe_os_error(self.lock_path, err)) from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._lock_fd = fd
        try:
            self._remove_stale()
            self._init()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock (unless a git child still holds it)
            self._lock_fd = None

    def _init(self) -> None:
        """Create the bare repository, set up as a partial clone of ``url`` (idempotent)."""
        if not (self.dir / "HEAD").is_file() or not (self.dir / "config").is_file():
            self._git("init", "-q", "--bare", str(self.dir), cwd=self.dir.parent)
        config = {
            "core.repositoryformatversion": "1",
            "extensions.partialClone": PROMISOR,
            f"remote.{PROMISOR}.url": self.url,
            f"remote.{PROMISOR}.promisor": "true",
            f"remote.{PROMISOR}.partialclonefilter": BLOB_FILTER,
            "gc.auto": "0",  # only the last fetched commit has a ref: never let git prune the others
        }
        current = self._git("config", "--local", "--list").stdout.decode(errors="replace").splitlines()
        have = dict(line.split("=", 1) for line in current if "=" in line)
        for key, value in config.items():
            if have.get(key.lower()) != value:
                self._git("config", key, value)

    def _remove_stale(self) -> None:
        """Locks and temp files of killed runs: only this lock's holder writes here."""
        if not self.dir.is_dir():
            return
        stale = [*self.dir.glob("*.lock"), *self.dir.glob("refs/**/*.lock"), *self.dir.glob("objects/pack/tmp_*")]
        model = self.store.root
        for pattern in ("packs", "manifests", "manifests/*", "remotes/*", "tmp-upload"):
            stale.extend(model.glob(f"{pattern}/{TEMP_PREFIX}*"))
        for path in stale:
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as err:
                raise StoreWriteError(describe_os_error(path, err)) from err

    # -- git ---------------------------------------------------------------------------
    def _git(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run(["git", *args], cwd=cwd or self.dir, env=_git_env(), capture_output=True, check=False)
        if proc.returncode != 0:
            raise StoreWriteError(f"{self.dir}: git {' '.join(args[:2])}: {_last_line(proc.stderr)}")
        return proc

    def fetch(self, rev: str) -> str:
        """Fetch ``rev`` (branch, tag, full commit id, or HEAD) with depth 1 and, when the server
        supports it, without blobs too large to be pointers; return the commit id.

        An unknown revision is a UsageError; a failing server a RemoteError by behaviour
        (transient failures are retried with backoff)."""
        if not rev or rev.startswith("-") or ":" in rev or any(c.isspace() for c in rev):
            raise UsageError(f"--rev {rev!r}: not a revision name")
        args = ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--depth", "1",
                f"--filter={BLOB_FILTER}", PROMISOR, f"+{rev}:refs/gitmodel/get"]
        with_retries(lambda: self._fetch_once(args, rev), attempts=3)
        proc = self.repo.git("rev-parse", "--verify", "-q", "refs/gitmodel/get^{commit}", check=False)
        if proc.returncode != 0:
            raise UsageError(f"--rev {rev}: does not name a commit in {self.url}")
        return proc.stdout.decode().strip()

    def _fetch_once(self, args: list[str], rev: str) -> None:
        assert self._lock_fd is not None
        proc = subprocess.run(
            ["git", *args], cwd=self.dir, env={**_git_env(), "GIT_TERMINAL_PROMPT": "0"},
            capture_output=True, check=False, pass_fds=(self._lock_fd,),
        )
        if proc.returncode == 0:
            return
        detail = _last_line(proc.stderr)
        lowered = proc.stderr.decode(errors="replace").lower()
        if any(s in lowered for s in _NOT_A_REV):
            hint = " (give a full commit id: servers do not expand abbreviated ones)" if _HEXISH.fullmatch(rev) else ""
            raise UsageError(f"--rev {rev}: not found in {self.url}{hint}")
        where = f"git fetch {self.url}: {detail}"
        if any(s in lowered for s in _TRANSIENT):
            raise RemoteTransientError(where)
        if any(s in lowered for s in _PERMANENT):
            raise RemotePermanentError(where)
        raise RemoteError(where)

    def missing_blobs(self, commit: str) -> set[str]:
        """Blobs of ``commit``'s tree the filter left on the server (too large to be pointers).
        Listed without fetching them: reading one would make git download it."""
        proc = self.repo.git("rev-list", "--objects", "--no-object-names", "--missing=print", commit)
        return {line[1:] for line in proc.stdout.decode().split() if line.startswith("?")}


def _last_line(stderr: bytes) -> str:
    """Git's own message: its first ``fatal:`` line (later lines are hints), else the last."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (fatal or lines or ["failed"])[0 if fatal else -1]
