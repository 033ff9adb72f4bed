"""Running the real `git` and `git-model` binaries from tests.

Import these with `from gitutil import git, gm`: several test folders have a conftest.py of
their own, so importing these from `conftest` would be ambiguous.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def git(cwd: Path, *args: str, check: bool = True, input: bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, input=input, capture_output=True, env={**os.environ, **(env or {})}
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return proc


def gm(cwd: Path, *args: str, check: bool = True, input: bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real `git-model` command (as `python -m git_model`)."""
    proc = subprocess.run(
        [sys.executable, "-m", "git_model", *args], cwd=cwd, input=input, capture_output=True,
        env={**os.environ, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git-model {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return proc


def isolate_git(mp: pytest.MonkeyPatch, home: Path) -> None:
    """No user or system config leaks in: a fresh HOME and global config, a fixed identity,
    no prompts, no inherited repository variables, and this tree's git_model first on the
    path of every `python -m git_model` that Git starts."""
    home.mkdir(parents=True, exist_ok=True)
    mp.setenv("HOME", str(home))
    mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        mp.setenv(f"GIT_{role}_NAME", "Test")
        mp.setenv(f"GIT_{role}_EMAIL", "test@example.com")
    mp.setenv("GIT_TERMINAL_PROMPT", "0")
    for var in ("GIT_MODEL_SKIP_SMUDGE", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        mp.delenv(var, raising=False)
    pythonpath = os.environ.get("PYTHONPATH", "")
    mp.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{pythonpath}" if pythonpath else str(ROOT))
    subprocess.run(["git", "config", "--global", "init.defaultBranch", "main"], check=True)


def remote_and_clone(tmp_path: Path, *patterns: str, name: str = "alice") -> tuple[Path, Path]:
    """A bare repository ``remote.git`` and a clone of it named ``name`` with git-model
    installed and ``patterns`` tracked: (bare, clone)."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    clone = tmp_path / name
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    gm(clone, "install")
    gm(clone, "track", *patterns)
    return bare, clone
