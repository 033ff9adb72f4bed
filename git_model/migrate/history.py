"""Which history a migration reads: refs, path selection, and the `git fast-export` process."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from git_model.errors import GitModelError, UsageError
from git_model.git.committed import matches
from git_model.git.repo import Repo

BACKUP_PREFIX = "refs/git-model/migrate-backup/"
BLOB_MODES = (b"100644", b"100755")


@dataclass(frozen=True)
class Selection:
    """Which paths a migration converts: matching an include pattern (all paths when there is
    none) and no exclude pattern. Files named `.gitattributes` are never selected."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def included(self, path: str) -> bool:
        if PurePosixPath(path).name == ".gitattributes":
            return False
        return not self.include or any(matches(p, path) for p in self.include)

    def excluded(self, path: str) -> bool:
        return any(matches(p, path) for p in self.exclude)

    def selects(self, path: str) -> bool:
        return self.included(path) and not self.excluded(path)


def split_patterns(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Repeated options and comma-separated lists (as `git lfs migrate` takes them), in order."""
    out: list[str] = []
    for value in values:
        out.extend(p.strip() for p in value.split(",") if p.strip())
    return tuple(dict.fromkeys(out))


def resolve_refs(repo: Repo, refs: list[str], everything: bool) -> list[str]:
    """Full names of the refs to migrate: the named branches/tags, all local branches and tags
    (``everything``), or the current branch. UsageError for anything else."""
    if everything:
        if refs:
            raise UsageError("migrate: give either REFs or --everything, not both")
        listing = repo.git(
            "for-each-ref", "--format=%(refname) %(objecttype) %(*objecttype)", "refs/heads", "refs/tags"
        ).stdout.decode()
        found = [f[0] for f in (line.split() for line in listing.splitlines()) if "commit" in f[1:]]
        if not found:
            raise UsageError("migrate: the repository has no branches or tags to migrate")
        return found
    if not refs:
        head = repo.git("symbolic-ref", "-q", "HEAD", check=False)
        if head.returncode != 0:
            raise UsageError("migrate: HEAD is detached; name the branches to migrate or use --everything")
        refs = [head.stdout.decode().strip()]
    resolved = []
    for ref in refs:
        full = repo.git("rev-parse", "--symbolic-full-name", ref, check=False).stdout.decode().strip()
        exists = repo.git("rev-parse", "-q", "--verify", f"{full or ref}^{{commit}}", check=False).returncode == 0
        if not full.startswith("refs/") or full.startswith(BACKUP_PREFIX) or not exists:
            if ref.startswith("refs/heads/") and not exists:
                raise UsageError(f"migrate: branch {ref[11:]!r} has no commits")
            raise UsageError(f"migrate: {ref!r} is not a branch or tag with commits")
        resolved.append(full)
    return list(dict.fromkeys(resolved))


def ref_values(repo: Repo, refs: list[str]) -> dict[str, str]:
    """Ref → object id, for those of ``refs`` that exist."""
    listing = repo.git("for-each-ref", "--format=%(refname) %(objectname)", *refs).stdout.decode()
    values = dict(line.split(" ", 1) for line in listing.splitlines())
    return {ref: values[ref] for ref in refs if ref in values}


def current_branch(repo: Repo) -> str | None:
    head = repo.git("symbolic-ref", "-q", "HEAD", check=False)
    return head.stdout.decode().strip() if head.returncode == 0 else None


def fast_export_argv(refs: list[str]) -> list[str]:
    """The fast-export we parse: no blob data (blobs are read on demand by id), original ids,
    signed tags stripped (a rewritten tag's signature would not verify), messages kept as they are."""
    return [
        "git", "fast-export", "--no-data", "--show-original-ids", "--signed-tags=strip",
        "--tag-of-filtered-object=rewrite", "--reencode=no", "--use-done-feature", *refs,
    ]


@contextmanager
def open_fast_export(repo: Repo, refs: list[str]) -> Iterator[BinaryIO]:
    """The stream of `git fast-export` over ``refs``. Leaving the block normally waits for the
    process and raises GitModelError with its message when it failed; leaving by an exception
    kills it."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            fast_export_argv(refs), cwd=repo.worktree or repo.git_dir, stdout=subprocess.PIPE, stderr=err
        )
        assert proc.stdout is not None
        try:
            yield proc.stdout  # type: ignore[misc]
        except BaseException:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            raise
        while proc.stdout.read(1 << 16):
            pass  # whatever followed `done` (nothing, from git)
        proc.stdout.close()
        if proc.wait() != 0:
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines()
            raise GitModelError(f"git fast-export: {lines[-1] if lines else f'exit status {proc.returncode}'}")
