"""Fixtures of the inspection tests: one history built per session (read-only), copies of it
for tests that change things, and a bare remote.

`git` and `gm` are the root conftest's helpers, re-exported: in a whole-suite run, test
modules collected after this directory that do ``from gitutil import git, gm`` get this
module (pytest imports every conftest.py under the one name ``conftest``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gitutil import isolate_git
from inspect_support import History, build_history, git, gm

__all__ = ["git", "gm"]


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    """Built once, in its own isolated Git environment; tests must not change it."""
    home = tmp_path_factory.mktemp("history-home")
    with pytest.MonkeyPatch.context() as mp:
        isolate_git(mp, home)
        return build_history(tmp_path_factory.mktemp("history") / "repo")


@pytest.fixture
def work(history: History, tmp_path: Path) -> History:
    """A private copy of the history (repository, store and local config) to change."""
    target = tmp_path / "work"
    shutil.copytree(history.path, target, symlinks=True)
    return History(target, history.versions, history.commits)


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    return path
