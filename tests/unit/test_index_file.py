"""Index file parsing and serialising, checked against indexes written by the real `git`."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from git_model.errors import FormatError
from git_model.git.index_file import IndexFile, StatData, parse_index, serialise_index

LONG_PATH = "/".join(["d" * 200] * 25) + "/long.txt"  # > 4095 bytes: name length field saturates


def git(cwd: Path, *args: str) -> bytes:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr.decode()}"
    return proc.stdout


def make_repo(tmp_path: Path, *init_args: str, long_path: bool = True) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", *init_args)
    for name in ("a.txt", "b.bin", "sub/c.txt", "sub/deeper/d.txt", "sub/deeper/e.txt", "z.txt"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(f"content of {name}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "initial")
    if long_path:  # staged only: no file system allows creating it
        blob = git(repo, "hash-object", "-w", "a.txt").decode().strip()
        git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{LONG_PATH}")
    return repo


def load(repo: Path) -> IndexFile:
    hash_name = git(repo, "rev-parse", "--show-object-format").decode().strip()
    path = repo / ".git" / "index"
    return parse_index(path.read_bytes(), hash_name, path)


def ls_files(repo: Path) -> list[tuple[int, str, int, bytes]]:
    """(mode, oid, stage, path) of every entry, as git itself reads the index."""
    rows = []
    for record in filter(None, git(repo, "ls-files", "-s", "-z").split(b"\0")):
        meta, _, path = record.partition(b"\t")
        mode, oid, stage = meta.split()
        rows.append((int(mode, 8), oid.decode(), int(stage), path))
    return rows


def assert_round_trip(repo: Path, split: bool = False) -> IndexFile:
    index = load(repo)
    entries = list(index.entries())
    if not split:  # a split index holds only the entries changed since the shared index
        assert [(e.mode, e.oid.hex(), e.stage, e.path) for e in entries] == ls_files(repo)
    assert serialise_index(index, {}) == index.data
    # re-packing every entry's own stat words must reproduce the file byte for byte
    assert serialise_index(index, {e.offset: e.stat for e in entries}) == index.data
    return index


def test_v2_round_trip(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    git(repo, "update-index", "--index-version", "2")
    index = assert_round_trip(repo)
    assert index.version == 2
    assert any(len(e.path) > 0xFFF for e in index.entries())
    assert [ext.signature for ext in index.extensions] == [b"TREE"]


def test_v3_round_trip_with_extended_flags(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "new.txt").write_text("intent to add\n")
    git(repo, "add", "-N", "new.txt")
    git(repo, "update-index", "--skip-worktree", "sub/c.txt")
    git(repo, "update-index", "--index-version", "3")
    index = assert_round_trip(repo)
    assert index.version == 3
    by_path = {e.path: e for e in index.entries()}
    assert by_path[b"new.txt"].intent_to_add and not by_path[b"new.txt"].skip_worktree
    assert by_path[b"sub/c.txt"].skip_worktree and not by_path[b"sub/c.txt"].intent_to_add
    assert by_path[b"a.txt"].extended_flags == 0


def test_v4_round_trip_with_prefix_compression(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    git(repo, "update-index", "--skip-worktree", "sub/deeper/d.txt")
    git(repo, "update-index", "--index-version", "4")
    index = assert_round_trip(repo)
    assert index.version == 4
    assert b"sub/deeper/e.txt" not in index.data  # stored as a suffix of sub/deeper/d.txt


def test_sha256_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "--object-format=sha256")
    index = assert_round_trip(repo)
    assert index.hash_name == "sha256" and index.hash_size == 32
    assert all(len(e.oid) == 32 for e in index.entries())
    assert index.checksum == hashlib.sha256(index.data[:-32]).digest()
    git(repo, "update-index", "--index-version", "4")
    assert_round_trip(repo)


def test_extensions_are_kept_byte_for_byte(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, long_path=False)
    git(repo, "checkout", "-qb", "other")
    (repo / "a.txt").write_text("other side\n")
    git(repo, "commit", "-qam", "other")
    git(repo, "checkout", "-q", "-")
    (repo / "a.txt").write_text("this side\n")
    git(repo, "commit", "-qam", "this")
    subprocess.run(["git", "merge", "-q", "other"], cwd=repo, capture_output=True, check=False)
    (repo / "a.txt").write_text("resolved\n")
    git(repo, "add", "a.txt")  # leaves a REUC record
    monitor = tmp_path / "fsmonitor.sh"
    monitor.write_text('#!/bin/sh\nprintf "token\\0/\\0"\n')
    monitor.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(monitor))
    git(repo, "update-index", "--untracked-cache")
    (repo / "untracked.txt").write_text("?\n")
    options = ["-c", "index.recordEndOfIndexEntries=true", "-c", "index.recordOffsetTable=true", "-c", "index.threads=2"]
    git(repo, *options, "status", "--porcelain")
    git(repo, *options, "update-index", "--force-write-index")
    index = assert_round_trip(repo)
    signatures = {ext.signature for ext in index.extensions}
    assert {b"TREE", b"REUC", b"UNTR", b"FSMN", b"EOIE", b"IEOT"} <= signatures
    assert index.needs_git() == ()
    entry = next(e for e in index.entries() if e.path == b"z.txt")
    new = StatData(1, 2, 3, 4, 5, 6, 7, 8, 9)
    changed = serialise_index(index, {entry.offset: new})
    assert changed[index.entries_end : -20] == index.data[index.entries_end : -20]
    assert changed[: entry.offset] == index.data[: entry.offset]
    assert changed[entry.offset + 40 : -20] == index.data[entry.offset + 40 : -20]
    assert changed[entry.offset + 24 : entry.offset + 28] == index.data[entry.offset + 24 : entry.offset + 28]  # mode
    reparsed = parse_index(changed, "sha1", index.source)
    assert next(e for e in reparsed.entries() if e.path == b"z.txt").stat == new
    git_dir = repo / ".git"
    (git_dir / "index").write_bytes(changed)
    assert git(repo, "ls-files", "--debug", "z.txt").count(b"size: 9") == 1  # git accepts our file


def test_mandatory_extensions_are_reported(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    git(repo, "update-index", "--split-index")
    (repo / "a.txt").write_text("changed after the split\n")
    git(repo, "add", "a.txt")
    index = assert_round_trip(repo, split=True)
    assert index.needs_git() == (b"link",)


def test_stat_data_is_truncated_to_32_bits_like_git() -> None:
    big = SimpleNamespace(
        st_ino=2**40 + 7, st_dev=2**33 + 1, st_uid=2**32 + 5, st_gid=2**32 + 6, st_size=2**32 + 9,
        st_mtime_ns=(2**32 + 3) * 10**9 + 42, st_ctime_ns=-1,  # before 1970: tv_nsec stays positive
    )
    sd = StatData.from_stat(big)  # type: ignore[arg-type]
    assert (sd.ino, sd.dev, sd.uid, sd.gid, sd.size) == (7, 1, 5, 6, 9)
    assert (sd.mtime_s, sd.mtime_ns, sd.ctime_s, sd.ctime_ns) == (3, 42, 0xFFFFFFFF, 999_999_999)
    st = os.stat(__file__)
    sd = StatData.from_stat(st)
    assert sd.mtime_s == (st.st_mtime_ns // 10**9) & 0xFFFFFFFF and sd.mtime_ns == st.st_mtime_ns % 10**9


def test_skip_hash_index_keeps_a_zero_checksum(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    data = (repo / ".git" / "index").read_bytes()
    zeroed = data[:-20] + bytes(20)
    index = parse_index(zeroed, "sha1", Path("index"))
    assert index.skip_hash
    entry = next(index.entries())
    out = serialise_index(index, {entry.offset: StatData(1, 2, 3, 4, 5, 6, 7, 8, 9)})
    assert out[-20:] == bytes(20) and out[:12] == data[:12]


def with_checksum(body: bytes) -> bytes:
    return body + hashlib.sha1(body).digest()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: with_checksum(b"XIRC" + d[4:-20]), "bad signature"),
        (lambda d: with_checksum(d[:4] + (5).to_bytes(4, "big") + d[8:-20]), "unsupported index version 5"),
        (lambda d: d[:40] + bytes([d[40] ^ 1]) + d[41:], "checksum mismatch"),
        (lambda d: with_checksum(d[:8] + (999).to_bytes(4, "big") + d[12:-20]), "truncated index entry"),
        (lambda d: with_checksum(d[:100]), "truncated index entry"),
        (lambda d: with_checksum(d[:-20] + b"TREE" + (500).to_bytes(4, "big")), "truncated index extension"),
        (lambda d: d[:10], "too short"),
    ],
)
def test_damaged_index_is_a_format_error(tmp_path: Path, damage, message: str) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo(tmp_path)
    data = damage((repo / ".git" / "index").read_bytes())
    with pytest.raises(FormatError, match=message) as err:
        parse_index(data, "sha1", Path("/x/index"))
    assert "/x/index" in str(err.value)
