"""`git model migrate import` of a Git LFS repository made with the real git-lfs (configured in the
repository only; HOME and the global config are the test's own)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git, gm
from migrate_helpers import (  # noqa: F401 - fixtures
    assert_same_checkouts,
    blob_kinds,
    crash_reports,
    lfs_object,
    lfs_repo,
    refs,
    write_versions,
)

from git_model.migrate.lfs import parse_lfs
from git_model.pointer import VERSION_URL, parse

POINTER_LINE = f"version {VERSION_URL}".encode()
LFS_LINE = b"version https://git-lfs.github.com/spec/v1"


def lfs_pointers(repo: Path, path: str) -> list:
    return [
        parse_lfs(git(repo, "cat-file", "blob", f"{c}:{path}").stdout, path)
        for c in git(repo, "rev-list", "main", "--", path).stdout.decode().split()
    ]


def test_lfs_history_imports_and_checks_out_without_lfs(lfs_repo: Path) -> None:
    contents = write_versions(lfs_repo, "model.bin", 5 << 20, 3)
    assert blob_kinds(lfs_repo, "main", "model.bin") == [LFS_LINE] * 3
    lfs_oids = [p.oid for p in lfs_pointers(lfs_repo, "model.bin")]
    gm(lfs_repo, "install")
    info = json.loads(gm(lfs_repo, "migrate", "info", "-I", "*.bin", "--json").stdout)
    assert info["groups"] == [
        {"pattern": "*.bin", "files": 1, "versions": 3, "bytes": sum(map(len, contents)), "plain": 0, "lfs": 3, "model": 0, "lfs_missing": 0}
    ]
    result = gm(lfs_repo, "migrate", "import", "--include", "*.bin")
    err = result.stderr.decode()
    assert "4 of 4 commit(s) rewritten; 3 blob(s) converted (3 from Git LFS)" in err
    assert "git lfs uninstall --local" in err
    # the git-model pointer names the same sha256 as the LFS pointer did
    new_oids = [parse(git(lfs_repo, "cat-file", "blob", f"main~{i}:model.bin").stdout).oid for i in (0, 1, 2)]
    assert new_oids == lfs_oids
    attrs = git(lfs_repo, "cat-file", "blob", "main~3:.gitattributes").stdout
    assert attrs == b"*.bin filter=model diff=model merge=model -text\n"
    assert (lfs_repo / "model.bin").read_bytes() == contents[-1]
    assert git(lfs_repo, "status", "--porcelain").stdout == b""
    # Git LFS is not needed any more
    git(lfs_repo, "lfs", "uninstall", "--local")
    assert git(lfs_repo, "config", "--get-regexp", "^filter\\.lfs", check=False).stdout == b""
    assert blob_kinds(lfs_repo, "main", "model.bin") == [POINTER_LINE] * 3
    assert assert_same_checkouts(lfs_repo) == 4


def test_missing_lfs_object_names_it_and_rewrites_nothing(lfs_repo: Path) -> None:
    write_versions(lfs_repo, "model.bin", 1 << 20, 2)
    gm(lfs_repo, "install")
    first = lfs_pointers(lfs_repo, "model.bin")[-1]  # the oldest version
    lfs_object(lfs_repo, first.oid).unlink()
    before = refs(lfs_repo)
    info = gm(lfs_repo, "migrate", "info", "-I", "*.bin").stdout.decode()
    assert "(1 LFS object(s) missing)" in info
    result = gm(lfs_repo, "migrate", "import", "-I", "*.bin", check=False)
    assert result.returncode == 8
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1
    assert first.oid in lines[0] and "model.bin" in lines[0] and "nothing was rewritten" in lines[0]
    assert refs(lfs_repo) == before
    assert crash_reports(lfs_repo) == []


def test_corrupt_lfs_object_aborts_the_rewrite(lfs_repo: Path) -> None:
    write_versions(lfs_repo, "model.bin", 1 << 20, 2)
    gm(lfs_repo, "install")
    newest = lfs_pointers(lfs_repo, "model.bin")[0]
    path = lfs_object(lfs_repo, newest.oid)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, other bytes: found only while converting
    before = refs(lfs_repo)
    result = gm(lfs_repo, "migrate", "import", "-I", "*.bin", check=False)
    assert result.returncode == 7
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and newest.oid in lines[0] and "corrupt" in lines[0]
    assert refs(lfs_repo) == before  # fast-import never got 'done': no ref moved, no backup written
    assert crash_reports(lfs_repo) == []
    assert git(lfs_repo, "status", "--porcelain").stdout == b""


def test_excluded_lfs_files_stay_in_lfs(lfs_repo: Path) -> None:
    (lfs_repo / "keep").mkdir()
    (lfs_repo / "keep" / "small.bin").write_bytes(b"\x01" * 3000)
    write_versions(lfs_repo, "model.bin", 1 << 20, 2)
    gm(lfs_repo, "install")
    result = gm(lfs_repo, "migrate", "import", "-I", "*.bin", "-X", "keep/*.bin")
    assert "Git LFS still tracks other patterns in refs/heads/main" in result.stderr.decode()
    assert git(lfs_repo, "cat-file", "blob", "main:model.bin").stdout.startswith(POINTER_LINE)
    assert git(lfs_repo, "cat-file", "blob", "main:keep/small.bin").stdout.startswith(LFS_LINE)
    attrs = git(lfs_repo, "cat-file", "blob", "main:.gitattributes").stdout
    assert attrs == (
        b"*.bin filter=model diff=model merge=model -text\nkeep/*.bin filter=lfs diff=lfs merge=lfs -text\n"
    )
    assert (lfs_repo / "keep" / "small.bin").read_bytes() == b"\x01" * 3000
    assert git(lfs_repo, "status", "--porcelain").stdout == b""
    assert assert_same_checkouts(lfs_repo) == 3


def test_nested_lfs_attributes_are_converted(lfs_repo: Path) -> None:
    (lfs_repo / "models").mkdir()
    git(lfs_repo / "models", "lfs", "track", "*.pt")
    git(lfs_repo, "add", "-A")
    git(lfs_repo, "commit", "-qm", "nested tracking")
    write_versions(lfs_repo, "models/net.pt", 1 << 20, 2)
    assert blob_kinds(lfs_repo, "main", "models/net.pt") == [LFS_LINE] * 2
    gm(lfs_repo, "install")
    gm(lfs_repo, "migrate", "import", "-I", "*.pt")
    nested = git(lfs_repo, "cat-file", "blob", "main:models/.gitattributes").stdout
    assert nested == b"*.pt filter=model diff=model merge=model -text\n"
    root = git(lfs_repo, "cat-file", "blob", "main:.gitattributes").stdout
    assert root == b"*.bin filter=lfs diff=lfs merge=lfs -text\n*.pt filter=model diff=model merge=model -text\n"
    assert blob_kinds(lfs_repo, "main", "models/net.pt") == [POINTER_LINE] * 2
    assert assert_same_checkouts(lfs_repo) == 4
