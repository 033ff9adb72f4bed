"""Finding the repository and running the `git` binary.

The side store lives under ``git rev-parse --git-common-dir`` so that every worktree of a
repository shares one store (as they share one object database).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from git_model.errors import GitModelError, NotARepositoryError


def run_git(
    args: Sequence[str],
    cwd: Path | None = None,
    input: bytes | None = None,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git ARGS``; with ``check`` a failure raises GitModelError with git's own message."""
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=input,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    if check and proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        detail = message[-1] if message else f"exit status {proc.returncode}"
        raise GitModelError(f"git {' '.join(args[:2])}: {detail}")
    return proc


def git_text(args: Sequence[str], cwd: Path | None = None) -> str:
    return run_git(args, cwd=cwd).stdout.decode().strip()


@dataclass(frozen=True)
class Repo:
    """A located repository. ``worktree`` is None for a bare repository."""

    worktree: Path | None
    git_dir: Path
    common_dir: Path

    @property
    def model_dir(self) -> Path:
        return self.common_dir / "model"

    @property
    def is_bare(self) -> bool:
        return self.worktree is None

    def git(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        return run_git(args, cwd=self.worktree or self.git_dir, input=input, check=check)

    def config_get(self, key: str, default: str | None = None) -> str | None:
        proc = self.git("config", "--get", key, check=False)
        if proc.returncode == 0:
            return proc.stdout.decode().rstrip("\n")
        return default

    def hooks_dir(self) -> Path:
        """Where Git runs hooks from: core.hooksPath when set, else <common-dir>/hooks."""
        configured = self.config_get("core.hookspath")
        if configured:
            path = Path(os.path.expanduser(configured))
            return path if path.is_absolute() else (self.worktree or self.git_dir) / path
        return self.common_dir / "hooks"


def find_repo(cwd: Path | None = None) -> Repo:
    """The repository containing ``cwd``; NotARepositoryError outside one."""
    proc = run_git(
        ["rev-parse", "--is-bare-repository", "--absolute-git-dir", "--git-common-dir", "--show-toplevel"],
        cwd=cwd,
        check=False,
    )
    lines = proc.stdout.decode().splitlines()
    if proc.returncode != 0 and not lines:
        where = cwd or Path.cwd()
        raise NotARepositoryError(f"{where}: not a git repository (run this inside a repository)")
    bare = lines[0] == "true"
    git_dir = Path(lines[1])
    common = Path(lines[2])
    if not common.is_absolute():
        common = ((cwd or Path.cwd()) / common).resolve()
    worktree = None if bare or len(lines) < 4 else Path(lines[3])
    return Repo(worktree=worktree, git_dir=git_dir, common_dir=common)
