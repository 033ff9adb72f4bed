"""The inspection commands through click's runner: argument parsing (revisions, paths,
``--``), JSON on stdout, and the error each bad input raises (mapped to its exit code by
`git_model.cli.main`, which the end-to-end tests exercise)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from inspect_support import ST_V3_CHANGED, History

from git_model.cli import cli
from git_model.errors import FormatError, UsageError


@pytest.fixture
def run(history: History, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(history.path)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, list(args))

    return invoke


@pytest.mark.parametrize("command", ["ls-files", "status", "log", "show", "diff", "diff-textconv", "stats"])
def test_help(run, command: str) -> None:  # type: ignore[no-untyped-def]
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage: cli " + command in result.output


def test_paths_after_dashdash_are_never_revisions(run, history: History) -> None:  # type: ignore[no-untyped-def]
    result = run("diff", "--json", "HEAD~1", "HEAD", "--", "model.safetensors")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [f["path"] for f in report["files"]] == ["model.safetensors"]
    assert sorted(c["name"] for c in report["files"][0]["model"]["changed"]) == sorted(ST_V3_CHANGED)
    result = run("log", "--json", "--", "main")  # a path called "main": there is none
    assert isinstance(result.exception, UsageError) and "'main'" in str(result.exception)


def test_options_after_dashdash_are_paths(run) -> None:  # type: ignore[no-untyped-def]
    result = run("diff", "HEAD~1", "HEAD", "--", "--json")
    assert result.exit_code == 0 and result.output == "no model changes\n"


def test_log_revisions_and_paths_in_any_order(run, history: History) -> None:  # type: ignore[no-untyped-def]
    a = json.loads(run("log", "--json", "model.safetensors", "HEAD~1..HEAD").output)
    b = json.loads(run("log", "--json", "HEAD~1..HEAD", "model.safetensors").output)
    assert a == b and [v["commit"] for v in a["models"][0]["versions"]] == [history.commits["st3"]]


def test_errors_carry_their_exit_codes(run, history: History, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for args in (["show", "nosuch:model.onnx"], ["ls-files", "nosuch"], ["diff", "nosuch"], ["log", "x..y"]):
        result = run(*args)
        assert isinstance(result.exception, UsageError), args
        assert result.exception.exit_code == 2
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x10\0\0\0\0\0\0\0{")
    result = run("diff-textconv", str(broken))
    assert result.exit_code == 0 and "header not readable" in result.output
    assert FormatError.exit_code == 6


def test_show_writes_bytes_to_stdout(run, history: History) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["show", "exp:model.onnx"])
    assert result.exit_code == 0
    assert result.stdout_bytes == history.versions["model.onnx"][1]
