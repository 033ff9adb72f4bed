"""`git model migrate import` of a Git LFS repository made with the real git-lfs (configured in the
repository only; HOME and the global config are the test's own)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from gitutil import git, gm
from migrate_helpers import (
    assert_same_checkouts,
    blob_kinds,
    crash_reports,
    lfs_object,
    make_lfs_repo,
    refs,
    write_versions,
)

from git_model.migrate.lfs import parse_lfs
from git_model.pointer import VERSION_URL, parse

POINTER_LINE = f"version {VERSION_URL}".encode()
LFS_LINE = b"version https://git-lfs.github.com/spec/v1"

pytestmark = pytest.mark.skipif(shutil.which("git-lfs") is None, reason="git-lfs is not installed")


@pytest.fixture
def git_lfs_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("GIT_LFS_SKIP_SMUDGE", raising=False)
    return make_lfs_repo(tmp_path)


def lfs_pointers(repo: Path, path: str) -> list:
    return [
        parse_lfs(git(repo, "cat-file", "blob", f"{c}:{path}").stdout, path)
        for c in git(repo, "rev-list", "main", "--", path).stdout.decode().split()
    ]


def test_lfs_history_imports_and_checks_out_without_lfs(git_lfs_repo: Path) -> None:
    contents = write_versions(git_lfs_repo, "model.bin", 5 << 20, 3)
    assert blob_kinds(git_lfs_repo, "main", "model.bin") == [LFS_LINE] * 3
    lfs_oids = [p.oid for p in lfs_pointers(git_lfs_repo, "model.bin")]
    gm(git_lfs_repo, "install")
    info = json.loads(gm(git_lfs_repo, "migrate", "info", "-I", "*.bin", "--json").stdout)
    assert info["groups"] == [
        {"pattern": "*.bin", "files": 1, "versions": 3, "bytes": sum(map(len, contents)), "plain": 0, "lfs": 3, "model": 0, "lfs_missing": 0}
    ]
    result = gm(git_lfs_repo, "migrate", "import", "--include", "*.bin")
    err = result.stderr.decode()
    assert "4 of 4 commit(s) rewritten; 3 blob(s) converted (3 from Git LFS)" in err
    assert "git lfs uninstall --local" in err
    # the git-model pointer names the same sha256 as the LFS pointer did
    new_oids = [parse(git(git_lfs_repo, "cat-file", "blob", f"main~{i}:model.bin").stdout).oid for i in (0, 1, 2)]
    assert new_oids == lfs_oids
    attrs = git(git_lfs_repo, "cat-file", "blob", "main~3:.gitattributes").stdout
    assert attrs == b"*.bin filter=model diff=model merge=model -text\n"
    assert (git_lfs_repo / "model.bin").read_bytes() == contents[-1]
    assert git(git_lfs_repo, "status", "--porcelain").stdout == b""
    # Git LFS is not needed any more
    git(git_lfs_repo, "lfs", "uninstall", "--local")
    assert git(git_lfs_repo, "config", "--get-regexp", "^filter\\.lfs", check=False).stdout == b""
    assert blob_kinds(git_lfs_repo, "main", "model.bin") == [POINTER_LINE] * 3
    assert assert_same_checkouts(git_lfs_repo) == 4


def test_missing_lfs_object_names_it_and_rewrites_nothing(git_lfs_repo: Path) -> None:
    write_versions(git_lfs_repo, "model.bin", 1 << 20, 2)
    gm(git_lfs_repo, "install")
    first = lfs_pointers(git_lfs_repo, "model.bin")[-1]  # the oldest version
    lfs_object(git_lfs_repo, first.oid).unlink()
    before = refs(git_lfs_repo)
    info = gm(git_lfs_repo, "migrate", "info", "-I", "*.bin").stdout.decode()
    assert "(1 LFS object(s) missing)" in info
    result = gm(git_lfs_repo, "migrate", "import", "-I", "*.bin", check=False)
    assert result.returncode == 8
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1
    assert first.oid in lines[0] and "model.bin" in lines[0] and "nothing was rewritten" in lines[0]
    assert refs(git_lfs_repo) == before
    assert crash_reports(git_lfs_repo) == []


def test_corrupt_lfs_object_aborts_the_rewrite(git_lfs_repo: Path) -> None:
    write_versions(git_lfs_repo, "model.bin", 1 << 20, 2)
    gm(git_lfs_repo, "install")
    newest = lfs_pointers(git_lfs_repo, "model.bin")[0]
    path = lfs_object(git_lfs_repo, newest.oid)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, other bytes: found only while converting
    before = refs(git_lfs_repo)
    result = gm(git_lfs_repo, "migrate", "import", "-I", "*.bin", check=False)
    assert result.returncode == 7
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and newest.oid in lines[0] and "corrupt" in lines[0]
    assert refs(git_lfs_repo) == before  # fast-import never got 'done': no ref moved, no backup written
    assert crash_reports(git_lfs_repo) == []
    assert git(git_lfs_repo, "status", "--porcelain").stdout == b""


def test_excluded_lfs_files_stay_in_lfs(git_lfs_repo: Path) -> None:
    (git_lfs_repo / "keep").mkdir()
    (git_lfs_repo / "keep" / "small.bin").write_bytes(b"\x01" * 3000)
    write_versions(git_lfs_repo, "model.bin", 1 << 20, 2)
    gm(git_lfs_repo, "install")
    result = gm(git_lfs_repo, "migrate", "import", "-I", "*.bin", "-X", "keep/*.bin")
    assert "Git LFS still tracks other patterns in refs/heads/main" in result.stderr.decode()
    assert git(git_lfs_repo, "cat-file", "blob", "main:model.bin").stdout.startswith(POINTER_LINE)
    assert git(git_lfs_repo, "cat-file", "blob", "main:keep/small.bin").stdout.startswith(LFS_LINE)
    attrs = git(git_lfs_repo, "cat-file", "blob", "main:.gitattributes").stdout
    assert attrs == (
        b"*.bin filter=model diff=model merge=model -text\nkeep/*.bin filter=lfs diff=lfs merge=lfs -text\n"
    )
    assert (git_lfs_repo / "keep" / "small.bin").read_bytes() == b"\x01" * 3000
    assert git(git_lfs_repo, "status", "--porcelain").stdout == b""
    assert assert_same_checkouts(git_lfs_repo) == 3


def test_nested_lfs_attributes_are_converted(git_lfs_repo: Path) -> None:
    (git_lfs_repo / "models").mkdir()
    git(git_lfs_repo / "models", "lfs", "track", "*.pt")
    git(git_lfs_repo, "add", "-A")
    git(git_lfs_repo, "commit", "-qm", "nested tracking")
    write_versions(git_lfs_repo, "models/net.pt", 1 << 20, 2)
    assert blob_kinds(git_lfs_repo, "main", "models/net.pt") == [LFS_LINE] * 2
    gm(git_lfs_repo, "install")
    gm(git_lfs_repo, "migrate", "import", "-I", "*.pt")
    nested = git(git_lfs_repo, "cat-file", "blob", "main:models/.gitattributes").stdout
    assert nested == b"*.pt filter=model diff=model merge=model -text\n"
    root = git(git_lfs_repo, "cat-file", "blob", "main:.gitattributes").stdout
    assert root == b"*.bin filter=lfs diff=lfs merge=lfs -text\n*.pt filter=model diff=model merge=model -text\n"
    assert blob_kinds(git_lfs_repo, "main", "models/net.pt") == [POINTER_LINE] * 2
    assert assert_same_checkouts(git_lfs_repo) == 4
