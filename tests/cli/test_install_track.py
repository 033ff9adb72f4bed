"""`install`, `uninstall`, `track`, `untrack` through click's runner: exit codes and output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitutil import git

from git_model.cli import cli


def run(*args: str) -> "object":
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def plain_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "r"
    path.mkdir()
    git(path, "init", "-q")
    monkeypatch.chdir(path)
    return path


def config(*args: str) -> str:
    return subprocess.run(["git", "config", *args], capture_output=True, text=True).stdout.strip()


def test_install_is_idempotent_and_keeps_other_config(plain_repo: Path) -> None:
    git(plain_repo, "config", "--global", "filter.other.clean", "cat")
    git(plain_repo, "config", "--global", "user.signingkey", "ABC")
    assert run("install").exit_code == 0
    first = Path(os.environ["GIT_CONFIG_GLOBAL"]).read_text()
    assert run("install").exit_code == 0
    assert Path(os.environ["GIT_CONFIG_GLOBAL"]).read_text() == first
    assert "-m git_model filter-process" in config("--global", "filter.model.process")
    assert config("--global", "filter.model.required") == "true"
    assert config("--global", "filter.other.clean") == "cat"
    assert (plain_repo / ".git" / "hooks" / "pre-push").exists()
    assert run("uninstall").exit_code == 0
    assert config("--global", "filter.model.process") == ""
    assert config("--global", "filter.other.clean") == "cat"
    assert config("--global", "user.signingkey") == "ABC"
    assert not (plain_repo / ".git" / "hooks" / "pre-push").exists()


def test_install_local_writes_repo_config_only(plain_repo: Path) -> None:
    assert run("install", "--local").exit_code == 0
    assert config("--local", "filter.model.clean").endswith("clean -- %f")
    assert config("--global", "filter.model.clean") == ""


def test_install_refuses_two_scopes(plain_repo: Path) -> None:
    result = CliRunner().invoke(cli, ["install", "--local", "--system"])
    assert result.exit_code != 0


def test_install_chains_an_existing_hook(plain_repo: Path) -> None:
    hook = plain_repo / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\necho mine >> \"$(git rev-parse --git-dir)/ran\"\n")
    hook.chmod(0o755)
    assert run("install").exit_code == 0
    assert (plain_repo / ".git" / "hooks" / "pre-push.chained").read_text().startswith("#!/bin/sh\necho mine")
    assert "git-model hook" in hook.read_text()
    run("install")  # a second install leaves the chain as it is
    assert "echo mine" in (plain_repo / ".git" / "hooks" / "pre-push.chained").read_text()
    run("uninstall")
    assert hook.read_text().startswith("#!/bin/sh\necho mine")


def test_install_respects_core_hookspath(plain_repo: Path) -> None:
    git(plain_repo, "config", "core.hooksPath", "myhooks")
    assert run("install").exit_code == 0
    assert (plain_repo / "myhooks" / "post-checkout").exists()


def test_track_list_untrack_keep_other_lines(plain_repo: Path) -> None:
    (plain_repo / ".gitattributes").write_text("*.txt text eol=lf\n# comment\n")
    result = run("track", "*.onnx", "my model.bin")
    assert result.exit_code == 0
    text = (plain_repo / ".gitattributes").read_text()
    assert "*.txt text eol=lf\n# comment\n" in text
    assert "*.onnx filter=model diff=model merge=model -text" in text
    assert "my[[:space:]]model.bin filter=model" in text
    assert run("track").output.splitlines() == ["*.onnx", "my model.bin"]
    assert run("track", "*.onnx").exit_code == 0
    assert (plain_repo / ".gitattributes").read_text() == text
    assert run("untrack", "*.onnx").exit_code == 0
    assert run("track").output.splitlines() == ["my model.bin"]
    assert "*.txt text eol=lf" in (plain_repo / ".gitattributes").read_text()


def test_track_warns_about_committed_plain_blobs(plain_repo: Path) -> None:
    (plain_repo / "old.onnx").write_bytes(os.urandom(5000))
    git(plain_repo, "add", "old.onnx")
    git(plain_repo, "commit", "-qm", "plain")
    result = CliRunner().invoke(cli, ["track", "*.onnx"])
    assert result.exit_code == 0
    assert "1 file(s)" in result.output and "old.onnx" in result.output
    assert "git add --renormalize" in result.output


def test_track_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    from git_model.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["track", "*.onnx"])
    assert exit_info.value.code == 3
