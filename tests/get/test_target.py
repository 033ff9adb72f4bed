"""Unit tests of `git_model.deploy.target` (writing into the output directory) and of the
small pure parts of `get` and its cache."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from git_model.deploy import target
from git_model.deploy.cache import cache_key, normalize_url
from git_model.deploy.get import normalize_paths
from git_model.deploy.target import WrittenState, holds, remove_orphans, write_file
from git_model.errors import CorruptObjectError, UsageError
from git_model.pointer import Pointer


@pytest.fixture(params=["unnamed", "named"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run each writer test with O_TMPFILE and with the AtomicFile fallback."""
    if request.param == "named":
        monkeypatch.setattr(target, "_open_unnamed", lambda directory, dest: None)
    return str(request.param)


def pointer_of(data: bytes) -> Pointer:
    return Pointer(hashlib.sha256(data).hexdigest(), len(data))


def test_write_creates_directories_and_replaces(tmp_path: Path, mode: str) -> None:
    dest = tmp_path / "out" / "a" / "m.bin"
    write_file(dest, [b"hello ", memoryview(b"world")])
    assert dest.read_bytes() == b"hello world"
    assert dest.stat().st_mode & 0o777 == 0o644
    os.chmod(dest, 0o600)
    write_file(dest, [b"v2"])
    assert dest.read_bytes() == b"v2"
    assert dest.stat().st_mode & 0o777 == 0o600
    assert os.listdir(dest.parent) == ["m.bin"]


def test_failing_source_leaves_the_old_file_and_no_temp(tmp_path: Path, mode: str) -> None:
    dest = tmp_path / "m.bin"
    dest.write_bytes(b"old")

    def blocks():  # type: ignore[no-untyped-def]
        yield b"new data " * 1000
        raise CorruptObjectError("chunk is corrupt")

    with pytest.raises(CorruptObjectError):
        write_file(dest, blocks())
    assert dest.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["m.bin"]


def test_unnamed_file_is_invisible_while_written(tmp_path: Path) -> None:
    seen = []

    def blocks():  # type: ignore[no-untyped-def]
        yield b"x" * 100
        seen.append(sorted(os.listdir(tmp_path)))
        yield b"y" * 100

    write_file(tmp_path / "m.bin", blocks())
    assert seen == [[]]  # nothing named existed half way (O_TMPFILE is available here)
    assert (tmp_path / "m.bin").read_bytes() == b"x" * 100 + b"y" * 100


def test_remove_orphans_only_takes_dead_or_own_temp_files(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    names = {
        f".tmp-{dead_pid}-0123456789ab": True,  # its writer is gone
        f".tmp-{os.getpid()}-0123456789ab": True,  # this process has written nothing yet
        f".tmp-{os.getppid()}-0123456789ab": False,  # a live writer
        ".tmp-notes": False,  # not our naming
        "model.bin": False,
    }
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    removed = {p.name for p in remove_orphans(tmp_path)}
    assert removed == {name for name, gone in names.items() if gone}
    assert remove_orphans(tmp_path / "missing") == []


def test_written_state_round_trip_and_pruning(tmp_path: Path) -> None:
    state_path = tmp_path / "state.json"
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"aaaa")
    b.write_bytes(b"bbbb")
    state = WrittenState()
    state.record(a, os.lstat(a), "oid-a")
    state.record(b, os.lstat(b), "oid-b")
    b.unlink()
    state.save(state_path)
    loaded = WrittenState.load(state_path)
    assert loaded.lookup(os.lstat(a)) == "oid-a"
    assert len(loaded.entries) == 1  # b's entry was dropped with its file
    link = tmp_path / "release2" / "a.bin"
    link.parent.mkdir()
    os.link(a, link)  # a hard link of an earlier release is the same inode
    assert loaded.lookup(os.lstat(link)) == "oid-a"
    os.utime(a, ns=(0, 1))
    assert loaded.lookup(os.lstat(a)) is None  # mtime changed: no longer trusted


@pytest.mark.parametrize("content", [b"", b"not json", b'{"version": 99, "files": []}', b'{"version": 1}', b"[1]"])
def test_unreadable_state_counts_as_empty(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    assert WrittenState.load(path).entries == {}
    assert WrittenState.load(tmp_path / "missing.json").entries == {}


def test_holds_compares_size_then_state_then_content(tmp_path: Path) -> None:
    dest = tmp_path / "m.bin"
    pointer = pointer_of(b"content")
    state = WrittenState()
    assert not holds(dest, pointer, state)  # missing
    dest.write_bytes(b"other")
    assert not holds(dest, pointer, state)  # size differs
    dest.write_bytes(b"CONTENT")
    assert not holds(dest, pointer, state)  # same size, other bytes
    dest.write_bytes(b"content")
    assert holds(dest, pointer, state)  # read and hashed, then recorded
    assert state.lookup(os.lstat(dest)) == pointer.oid
    (tmp_path / "d").mkdir()
    with pytest.raises(UsageError):
        holds(tmp_path / "d", pointer, state)
    os.symlink(dest, tmp_path / "link")
    assert not holds(tmp_path / "link", pointer, state)  # a symlink is replaced by a file


def test_normalize_paths() -> None:
    assert normalize_paths(["./a/b.bin", "a/b.bin", "dir/"]) == ["a/b.bin", "dir"]
    for bad in ["/abs", "../x", "a/../b", "a/./b", "a//b", ".", ""]:
        with pytest.raises(UsageError):
            normalize_paths([bad])
    with pytest.raises(UsageError):
        normalize_paths([])


def test_local_urls_map_to_one_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.git").mkdir()
    url = (tmp_path / "r.git").as_uri()
    assert normalize_url("r.git") == normalize_url(str(tmp_path / "r.git")) == normalize_url(url) == url
    assert normalize_url("https://example.com/r.git") == "https://example.com/r.git"
    assert cache_key(url) != cache_key("https://example.com/r.git")
