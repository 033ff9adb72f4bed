"""Naming versions the way Git does: revisions, ``REV:PATH``, ranges, and paths typed
relative to the caller's directory.

Unknown revisions and paths that are not tracked models are `UsageError`s (exit 2) with a
one-line message; nothing here prints or exits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from git_model import pointer as pointer_mod
from git_model.errors import UsageError
from git_model.git.repo import Repo
from git_model.pointer import MAX_POINTER_SIZE, Pointer

REGULAR_MODES = ("100644", "100755")


@dataclass(frozen=True)
class ModelRef:
    """A stored model version named by ``rev`` (a commit, or ``""`` for the index) and ``path``."""

    rev: str
    path: str
    blob: str
    pointer: Pointer

    @property
    def label(self) -> str:
        return f"{self.rev}:{self.path}"


def is_null_oid(oid: str) -> bool:
    return set(oid) <= {"0"}


def verify_commit(repo: Repo, rev: str) -> str:
    """The commit id ``rev`` names; UsageError when it names none."""
    if rev.startswith("-"):
        raise UsageError(f"unknown revision '{rev}'")
    proc = repo.git("rev-parse", "--verify", "-q", f"{rev}^{{commit}}", check=False)
    oid = proc.stdout.decode().strip()
    if proc.returncode != 0 or not oid:
        raise UsageError(f"unknown revision '{rev}'")
    return oid


def revision_endpoints(arg: str) -> list[str] | None:
    """The revisions inside a range argument (``A..B``, ``A...B``, ``^A``; an empty end means
    HEAD), or None when ``arg`` is not written as a range."""
    if arg.startswith("^"):
        return [arg[1:]]
    for sep in ("...", ".."):
        if sep in arg:
            return [end or "HEAD" for end in arg.split(sep, 1)]
    return None


def is_revision(repo: Repo, arg: str) -> bool:
    """True when ``arg`` names a commit or a range of commits. A range with an unknown end is
    a UsageError: it cannot be meant as a path."""
    ends = revision_endpoints(arg)
    if ends is not None:
        for end in ends:
            verify_commit(repo, end)
        return True
    try:
        verify_commit(repo, arg)
    except UsageError:
        return False
    return True


def repo_path(repo: Repo, path: str, cwd: Path | None = None) -> str:
    """``path`` (relative to ``cwd``, default the process's directory) as Git names it:
    relative to the top of the working tree, with ``/``. UsageError outside the tree."""
    if repo.worktree is None:
        return path.strip("/")
    base = os.path.realpath(cwd or Path.cwd())
    top = os.path.realpath(repo.worktree)
    full = os.path.normpath(os.path.join(base, path))
    rel = os.path.relpath(full, top)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        raise UsageError(f"'{path}' is outside the repository at {top}")
    return "" if rel == os.curdir else rel.replace(os.sep, "/")


def split_spec(spec: str, cwd: Path | None, repo: Repo) -> tuple[str, str]:
    """``REV:PATH`` → (rev, repo path). As in Git, PATH is relative to the top of the working
    tree unless it starts with ``./`` or ``../``; an empty REV (``:PATH``) means the index."""
    rev, sep, path = spec.partition(":")
    if not sep or not path:
        raise UsageError(f"'{spec}': expected REV:PATH (for example HEAD~1:model.safetensors)")
    if path.startswith(("./", "../")) or path in (".", ".."):
        path = repo_path(repo, path, cwd)
    return rev, path.strip("/")


def resolve_model(repo: Repo, rev: str, path: str) -> ModelRef:
    """The model version at ``rev:path`` (``rev`` ``""``: the index). UsageError when the
    revision is unknown, the path is absent there, or its blob is not a git-model pointer."""
    if rev:
        commit = verify_commit(repo, rev)
        name, where = f"{commit}:{path}", f"'{rev}'"
    else:
        name, where = f":{path}", "the index"
    check = repo.git("cat-file", "--batch-check", input=name.encode() + b"\n").stdout.decode().split()
    if len(check) != 3:
        raise UsageError(f"'{path}' does not exist in {where}")
    oid, kind, size = check
    if kind != "blob":
        raise UsageError(f"'{path}' is a {kind} in {where}, not a model file")
    parsed = None
    if int(size) <= MAX_POINTER_SIZE:
        parsed = pointer_mod.try_parse(repo.git("cat-file", "blob", oid).stdout)
    if parsed is None:
        raise UsageError(f"'{path}' in {where} is not a tracked model (its blob is not a git-model pointer)")
    return ModelRef(rev, path, oid, parsed)
