"""`scan` must read a git-config file exactly as Git does (keys, values, order) and say on
which line each entry starts; the real `git config --list` is the oracle."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitutil import git

from git_model.git.repo import find_repo
from git_model.policy.gitconfig import git_entries, read_entries, scan

CASES = [
    '[policy "*.onnx"]\n\trequire = license\n\trequire = metrics.accuracy\n',
    '[remote]\n\turl = s3://b/p\n[policy "a b"]\n  Require = x ; comment\n# c\n\tmatch = k "^(a|b)\\\\.c$"\n',
    '[policy "m/*.gguf"] allow = x y \\\n  z\n\tflag\n',
    '\ufeff[Policy "X"]\r\n\tMIN = k 0.5\r\n\r\n\tmax = k "1 # not a comment"\n',
    '[policy.legacy]\n\trequire = a\n[policy "q\\"uote"]\n\trequire = b\n',
    '; only a comment\n\n[policy "*"]\n\tallow = k "two  spaces"  # trailing\n',
]


@pytest.mark.parametrize("text", CASES)
def test_scan_agrees_with_git(tmp_path: Path, text: str) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitmodel").write_text(text, newline="")
    repo = find_repo(tmp_path)
    from_git = git_entries(repo, ["--file", ".gitmodel"], ".gitmodel")
    scanned = scan(text)
    assert [(e.key, e.value) for e in scanned] == [(e.key, e.value) for e in from_git]


def test_scan_line_numbers() -> None:
    text = '# head\n[policy "*.onnx"]\n\trequire = a\n\n\tallow = k x \\\n y\n\tmin = k 1\n[remote] url = u\n'
    assert [(e.key, e.line) for e in scan(text)] == [
        ("policy.*.onnx.require", 3),
        ("policy.*.onnx.allow", 5),
        ("policy.*.onnx.min", 7),
        ("remote.url", 8),
    ]


def test_entry_parts() -> None:
    (entry,) = scan('[policy "models/*.onnx"]\nrequire = x\n')
    assert (entry.section, entry.subsection, entry.name) == ("policy", "models/*.onnx", "require")
    (bare,) = scan("[policy]\nrequire = x\n")
    assert bare.subsection is None


@pytest.mark.parametrize("text", ['[policy "x"\n', '[policy "x"]\n\ta = "\\q"\n', "[p]\n\t1a = x\n", '[p "x"]\n\ta = "open\n'])
def test_scan_rejects_what_git_rejects(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError):
        scan(text)
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitmodel").write_text(text)
    assert git(tmp_path, "config", "--file", ".gitmodel", "--list", check=False).returncode != 0


def test_git_error_names_file_and_line(tmp_path: Path) -> None:
    from git_model.errors import ConfigError

    git(tmp_path, "init", "-q")
    text = '[policy "*.onnx"]\n\trequire = license\n\tmatch = x "\\d"\n'
    (tmp_path / ".gitmodel").write_text(text)
    with pytest.raises(ConfigError, match=r"^\.gitmodel: bad config line 3 in file \.gitmodel$"):
        read_entries(find_repo(tmp_path), ["--file", ".gitmodel"], text, ".gitmodel")
