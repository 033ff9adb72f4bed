"""Shared fixtures: an isolated Git environment (no user or system config leaks in) and helpers
that drive the real `git` binary and the real `git-model` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest_plugins = ["s3server", "lfs_server"]

from gitutil import ROOT, git, gm  # noqa: E402  (helpers live there: see its docstring)


@pytest.fixture(autouse=True)
def git_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    monkeypatch.delenv("GIT_MODEL_SKIP_SMUDGE", raising=False)
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    pythonpath = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{pythonpath}" if pythonpath else str(ROOT))
    subprocess.run(["git", "config", "--global", "init.defaultBranch", "main"], check=True)
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
