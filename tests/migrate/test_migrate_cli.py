"""migrate through the CLI entry point in-process: exit codes and exact output, including a
fast-export stream that cannot be parsed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gitutil import git
from migrate_helpers import crash_reports, make_plain_repo, refs, write_versions

from git_model.cli import main
from git_model.migrate import history


@pytest.fixture
def plain_repo(tmp_path: Path) -> Path:
    return make_plain_repo(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
        sys.exit(0)
    out = capsys.readouterr()
    return int(exit_info.value.code or 0), out.out, out.err


@pytest.fixture
def history_repo(plain_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_versions(plain_repo, "model.bin", 256 << 10, 2)
    monkeypatch.chdir(plain_repo)
    return plain_repo


@pytest.mark.parametrize("command", ["import", "export", "info"])
def test_unparsable_fast_export_stream_is_a_one_line_error(
    history_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    garbage = "feature done\ncommit refs/heads/main\nmark :1\nthis is not fast-export\n"
    monkeypatch.setattr(history, "fast_export_argv", lambda refs: [sys.executable, "-c", f"print({garbage!r}, end='')"])
    before = refs(history_repo)
    code, out, err = run(capsys, "migrate", command, "-I", "*.bin")
    assert code == 6
    assert out == ""
    assert err == "git-model: git fast-export: line 4: unexpected line in a commit header: 'this is not fast-export'\n"
    assert refs(history_repo) == before
    assert crash_reports(history_repo) == []


def test_failing_fast_export_is_reported(history_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(history, "fast_export_argv", lambda refs: ["git", "fast-export", "--no-such-option"])
    before = refs(history_repo)
    code, _, err = run(capsys, "migrate", "import", "-I", "*.bin")
    assert code == 1 and err.startswith("git-model: git fast-export: ") and err.count("\n") == 1
    assert refs(history_repo) == before


def test_info_table(history_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "migrate", "info")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "2 commit(s) in refs/heads/main"
    assert lines[1].split() == ["pattern", "files", "versions", "size", "plain", "lfs", "model"]
    assert lines[2].split()[:3] == ["*.bin", "1", "2"]
    assert lines[3].split() == ["*.txt", "1", "2", "20", "B", "2", "0", "0"]
    code, out, _ = run(capsys, "migrate", "info", "-I", "*.onnx")
    assert out.splitlines()[1] == "no matching files"


def test_nothing_to_migrate(history_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = refs(history_repo)
    code, out, err = run(capsys, "migrate", "import", "-I", "*.onnx")
    assert code == 0 and out == ""
    assert err == (
        "git-model: migrate import: nothing to migrate (no ordinary blob or Git LFS pointer matches in refs/heads/main)\n"
    )
    code, _, err = run(capsys, "migrate", "export", "-I", "*.bin")
    assert "nothing to migrate (no git-model pointer matches" in err
    assert refs(history_repo) == before
    assert git(history_repo, "status", "--porcelain").stdout == b""


def test_everything_and_refs_conflict(history_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "migrate", "import", "-I", "*.bin", "--everything", "main")
    assert code == 2 and err == "git-model: migrate: give either REFs or --everything, not both\n"
