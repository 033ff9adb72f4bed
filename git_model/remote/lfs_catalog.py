"""The catalog of a Git LFS store: which LFS object holds each git-model key.

An LFS server names objects by sha256 and size only, and has no listing, no mutable names and
no delete; git-model names objects by key (``packs/<id>.pack``, ``manifests/aa/…``). The
mapping lives in a Git repository (normally the hosted repository itself) as one ref per key:

    refs/git-model/lfs/<key>/sha256-<oid>-<size>   →   the marker commit

The ref's *name* is the record; every such ref points at the same tiny "marker" commit (an
empty tree, fixed author and date, so every client computes the same id and only the first
push ever sends an object). Listing the catalog is one ``git ls-remote``; recording a key is
one ``git push`` that creates one new ref, so writers never race on a shared ref and no
merge is ever needed. Git's protocol v2 fetches only ``refs/heads`` and ``refs/tags`` by
default, so clones and fetches of the project do not download these refs.

Key components are percent-encoded where Git's ref-name rules need it (``..``, ``.lock``,
``~``, ``%``, a trailing dot, …). A key is recorded after its LFS object is uploaded and
verified, so a listed key always has its bytes on the server. Records are never removed:
keys are write-once, and LFS offers no delete to go with it. If two writers race to record
*different* objects under one key, both refs exist and every reader uses the one whose name
sorts first.

Git runs with the user's configuration (credential helpers, ``url.<base>.insteadOf``,
proxies). Pushes run in a private scratch repository (which only holds the marker commit),
so settings that live in the project's own ``.git/config`` do not apply to them.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import quote, unquote

from git_model.errors import (
    GitModelError,
    RemoteError,
    RemotePermanentError,
    RemoteTransientError,
)
from git_model.remote.credential import redact
from git_model.remote.key import check_key, is_valid_key

REF_PREFIX = "refs/git-model/lfs/"
_LEAF = re.compile(r"^sha256-(?P<oid>[0-9a-f]{64})-(?P<size>0|[1-9][0-9]{0,18})$")
_MARKER_ENV = {
    "GIT_AUTHOR_NAME": "git-model",
    "GIT_AUTHOR_EMAIL": "git-model@localhost",
    "GIT_AUTHOR_DATE": "1700000000 +0000",
    "GIT_COMMITTER_NAME": "git-model",
    "GIT_COMMITTER_EMAIL": "git-model@localhost",
    "GIT_COMMITTER_DATE": "1700000000 +0000",
}
_MARKER_MESSAGE = "git-model LFS catalog marker\n"
_REPO_LOCAL_ENV = (  # `git rev-parse --local-env-vars`: would point git at the user's repository
    "GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_GRAFT_FILE", "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_SHALLOW_FILE", "GIT_IMPLICIT_WORK_TREE",
    "GIT_QUARANTINE_PATH", "GIT_NAMESPACE",
)  # fmt: skip
_TRANSIENT_HINTS = (
    "could not resolve host", "couldn't resolve host", "failed to connect", "couldn't connect",
    "connection refused", "connection reset", "timed out", "the remote end hung up",
    "early eof", "rpc failed", "empty reply from server", "recv failure", "send failure",
    "returned error: 5", "returned error: 429", "returned error: 408", "temporary failure",
    "cannot lock ref", "unable to lock",
)  # fmt: skip
GIT_TIMEOUT = 600.0


@dataclass(frozen=True)
class Entry:
    """The LFS object stored under a key."""

    oid: str  # sha256 of the content, 64 lower-case hex digits
    size: int


def _escape(component: str) -> str:
    text = quote(component, safe="-_.").replace("~", "%7E")
    text = text.replace("..", ".%2E")
    if text.endswith(".lock"):
        text = text[: -len(".lock")] + "%2Elock"
    if text.endswith("."):
        text = text[:-1] + "%2E"
    if _LEAF.match(text):  # never mistakable for a record's leaf
        text = "%73" + text[1:]
    return text


def ref_name(key: str, entry: Entry) -> str:
    """The catalog ref recording ``key`` → ``entry``."""
    components = "/".join(_escape(part) for part in check_key(key).split("/"))
    return f"{REF_PREFIX}{components}/sha256-{entry.oid}-{entry.size}"


def parse_ref(name: str) -> tuple[str, Entry] | None:
    """``(key, entry)`` of a catalog ref, or None for any other name."""
    if not name.startswith(REF_PREFIX):
        return None
    *components, leaf = name[len(REF_PREFIX) :].split("/")
    match = _LEAF.match(leaf)
    if match is None or not components:
        return None
    key = "/".join(unquote(part) for part in components)
    if not is_valid_key(key):
        return None
    return key, Entry(match.group("oid"), int(match.group("size")))


def git_failure(stderr: bytes, where: str, op: str) -> RemoteError:
    """Classify a failed git command by its message: transient for network trouble."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    rejected = [line for line in lines if "rejected]" in line]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    detail = (rejected or fatal or lines or ["git failed"])[-1]
    message = f"{where}: {op} failed: {' '.join(detail.split())}"[:380]
    text = " ".join(lines).lower()
    if any(hint in text for hint in _TRANSIENT_HINTS):
        return RemoteTransientError(message)
    return RemotePermanentError(message)


def clean_env() -> dict[str, str]:
    """The environment without variables that tie git to the user's repository."""
    return {k: v for k, v in os.environ.items() if k not in _REPO_LOCAL_ENV}


class GitRefCatalog:
    """The key → LFS object map of one store, kept as refs in the Git repository ``git_url``.

    ``scratch_dir`` returns a private directory (created on demand) for the scratch
    repository; ``cwd`` is where ``git ls-remote`` runs (the project, so its config applies).
    Records are immutable, so entries once seen are remembered for the object's lifetime;
    a key not seen yet is looked up again on the server every time. Thread-safe.
    """

    def __init__(self, git_url: str, scratch_dir: Callable[[], Path], cwd: Path | None = None) -> None:
        self.git_url = git_url
        self.where = redact(git_url)
        self._scratch_dir = scratch_dir
        self._cwd = cwd if cwd is not None and cwd.is_dir() else None
        self._known: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self._scratch: tuple[Path, str] | None = None  # (git dir, marker commit id)

    def entries(self) -> dict[str, Entry]:
        """Every key on the server now (one ``git ls-remote``)."""
        proc = self._run(["ls-remote", self.git_url, f"{REF_PREFIX}*"], None, "list the catalog")
        found: dict[str, Entry] = {}
        names = sorted(line.split("\t", 1)[-1] for line in proc.stdout.decode(errors="replace").splitlines())
        for name in names:
            parsed = parse_ref(name)
            if parsed is not None:
                found.setdefault(*parsed)  # the first name in sort order wins
        with self._lock:
            self._known.update(found)
        return found

    def lookup(self, key: str) -> Entry | None:
        """The entry of ``key``, or None when the server has none."""
        with self._lock:
            entry = self._known.get(key)
        return entry if entry is not None else self.entries().get(key)

    def record(self, key: str, entry: Entry) -> None:
        """Publish ``key`` → ``entry`` (idempotent). Call only once the LFS object is stored."""
        ref = ref_name(key, entry)
        git_dir, marker = self._ensure_scratch()
        args = ["--git-dir", str(git_dir), "push", "--quiet", "--no-verify", self.git_url, f"{marker}:{ref}"]
        try:
            self._run(args, git_dir, f"record {key} in the catalog", scrub=True)
        except RemoteError:
            try:
                recorded = self.entries().get(key) == entry  # a racing writer made the same ref
            except RemoteError:
                recorded = False
            if not recorded:
                raise
        with self._lock:
            self._known.setdefault(key, entry)

    def _ensure_scratch(self) -> tuple[Path, str]:
        with self._lock:
            if self._scratch is None:
                git_dir = self._scratch_dir() / "catalog.git"
                env = {**clean_env(), **_MARKER_ENV}

                def git(*args: str, stdin: bytes = b"") -> str:
                    proc = subprocess.run(
                        ["git", "--git-dir", str(git_dir), *args], input=stdin, capture_output=True, env=env, check=False
                    )
                    if proc.returncode != 0:
                        detail = proc.stderr.decode(errors="replace").strip().splitlines()
                        raise GitModelError(f"{git_dir}: git {args[0]} failed: {detail[-1] if detail else proc.returncode}")
                    return proc.stdout.decode().strip()

                git("init", "--quiet", "--bare")
                tree = git("mktree")
                self._scratch = (git_dir, git("commit-tree", tree, "-m", _MARKER_MESSAGE))
            return self._scratch

    def _run(self, args: list[str], cwd: Path | None, op: str, scrub: bool = False) -> subprocess.CompletedProcess[bytes]:
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=cwd or self._cwd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=clean_env() if scrub else None,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RemoteTransientError(f"{self.where}: {op} failed: git timed out after {GIT_TIMEOUT:.0f} s") from None
        if proc.returncode != 0:
            raise git_failure(proc.stderr, self.where, op)
        return proc
