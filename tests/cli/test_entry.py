"""The process entry: `filter-process` takes the lean path (no click) and keeps the CLI's
error contract; everything else still goes through the click CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(args: list[str], cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "git_model", *args], cwd=cwd, input=stdin, capture_output=True)


def test_filter_process_rejects_unknown_arguments(tmp_path: Path) -> None:
    proc = run(["filter-process", "--bogus"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == "git-model: filter-process: unexpected arguments --bogus"


def test_filter_process_outside_a_repository_is_one_line_and_nonzero(tmp_path: Path) -> None:
    proc = run(["filter-process"], tmp_path)
    assert proc.returncode != 0
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("git-model: ") and "repository" in lines[0]


def test_filter_process_does_not_load_click(tmp_path: Path) -> None:
    code = (
        "import sys, runpy; sys.argv = ['git_model', 'filter-process', '--bogus']\n"
        "try:\n    runpy.run_module('git_model', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('click' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True)
    assert proc.stdout.decode().strip() == "False"


def test_other_commands_still_go_through_the_cli(tmp_path: Path) -> None:
    proc = run(["--help"], tmp_path)
    assert proc.returncode == 0 and b"filter-process" in proc.stdout
    proc = run(["no-such-command"], tmp_path)
    assert proc.returncode == 2 and b"No such command" in proc.stderr
