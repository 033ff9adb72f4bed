"""Shared fixtures: an isolated Git environment (no user or system config leaks in) and helpers
that drive the real `git` binary and the real `git-model` command."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest_plugins = ["s3server", "lfs_server"]

from gitutil import git, gm, isolate_git  # noqa: E402  (helpers live there: see its docstring)


@pytest.fixture(autouse=True)
def git_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    isolate_git(monkeypatch, home)
    return home


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh repository with git-model installed and *.safetensors / *.onnx tracked."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    gm(path, "install")
    gm(path, "track", "*.safetensors", "*.onnx", "*.bin")
    git(path, "add", ".gitattributes")
    git(path, "commit", "-qm", "track models")
    return path
