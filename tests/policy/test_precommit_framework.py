"""The pre-commit framework, run for real (no network): it reads this repository's
`.pre-commit-hooks.yaml` and runs `git-model meta check` on the model files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gitutil import ROOT, git
from policy_helpers import GOOD, add_policy, onnx_model, set_meta

pytest.importorskip("pre_commit")


@pytest.fixture
def framework_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-cache"))
    # `language: system` runs `git-model` from PATH: the one installed with this Python
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture
def hook_repo(tmp_path: Path) -> Path:
    """A repository holding this project's `.pre-commit-hooks.yaml` as committed (try-repo
    and `repo:` only see committed files)."""
    path = tmp_path / "hooks-repo"
    path.mkdir()
    git(path, "init", "-q")
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", path / ".pre-commit-hooks.yaml")
    git(path, "add", ".pre-commit-hooks.yaml")
    git(path, "commit", "-qm", "hooks")
    return path


def pre_commit(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True, check=False)


def _models(repo: Path) -> None:
    add_policy(repo)
    onnx_model(repo / "good.onnx", GOOD)
    onnx_model(repo / "bad.onnx", seed=1)
    git(repo, "add", "good.onnx", "bad.onnx")
    git(repo, "commit", "-q", "--no-verify", "-m", "models")


def test_try_repo_runs_the_hook(repo: Path, hook_repo: Path, framework_env: None) -> None:
    _models(repo)
    proc = pre_commit(repo, "try-repo", str(hook_repo), "git-model-meta-check", "--all-files")
    out = proc.stdout.decode()
    assert proc.returncode == 1, out
    assert "git-model metadata policy" in out and "Failed" in out
    assert "bad.onnx: license: require: missing" in out
    assert "good.onnx:" not in out
    set_meta(repo, "bad.onnx", "license=MIT", "metrics.accuracy=0.6")
    git(repo, "add", "bad.onnx.meta.toml")
    proc = pre_commit(repo, "try-repo", str(hook_repo), "git-model-meta-check", "--all-files")
    assert proc.returncode == 0, proc.stdout.decode()
    assert "Passed" in proc.stdout.decode()


def test_config_with_the_hook_repository(repo: Path, hook_repo: Path, framework_env: None) -> None:
    _models(repo)
    rev = git(hook_repo, "rev-parse", "HEAD").stdout.decode().strip()
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: git-model-meta-check\n"
    )
    proc = pre_commit(repo, "run", "--all-files")
    assert proc.returncode == 1 and "bad.onnx: license: require: missing" in proc.stdout.decode()


def test_local_repo_config_and_commit_through_the_framework(repo: Path, framework_env: None) -> None:
    add_policy(repo)
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: git-model-meta-check\n"
        "        name: git-model metadata policy\n        entry: git-model meta check\n"
        "        language: system\n        files: '\\.(onnx|safetensors|gguf)(\\.meta\\.toml)?$'\n"
    )
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-qm", "pre-commit config")
    proc = pre_commit(repo, "install")
    assert proc.returncode == 0, proc.stdout.decode()
    assert (repo / ".git" / "hooks" / "pre-commit.legacy").exists()  # git-model's own, still run

    onnx_model(repo / "model.onnx")
    git(repo, "add", "model.onnx")
    proc = git(repo, "commit", "-qm", "model", check=False)
    assert proc.returncode == 1
    assert "model.onnx: license: require: missing" in (proc.stdout + proc.stderr).decode()
    set_meta(repo, "model.onnx", "license=MIT", "metrics.accuracy=0.6")
    git(repo, "add", "model.onnx.meta.toml")
    proc = git(repo, "commit", "-qm", "model", check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr).decode()
