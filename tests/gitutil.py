"""Running the real `git` and `git-model` binaries from tests.

Import these with `from gitutil import git, gm`: several test folders have a conftest.py of
their own, so importing these from `conftest` would be ambiguous.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
