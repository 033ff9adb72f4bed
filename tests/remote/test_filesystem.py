"""Filesystem-backend details beyond the shared contract: atomic visibility, fault cleanup."""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from git_model.errors import RemotePermanentError, RemoteTransientError
from git_model.remote import filesystem
from git_model.remote.filesystem import FilesystemBackend
from git_model.store import atomic


class _FaultyOs:
    """``os`` for the backend module, with one call failing with ``err`` after ``after`` calls."""

    def __init__(self, name: str, err: int, after: int = 0) -> None:
        self.name, self.err, self.after = name, err, after

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name != self.name:
            return real

        def faulty(*args: Any, **kwargs: Any) -> Any:
            if self.after <= 0:
                raise OSError(self.err, os.strerror(self.err))
            self.after -= 1
            return real(*args, **kwargs)

        return faulty


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob(".*"))


def test_root_and_directories_are_created_on_first_upload(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b" / "remote"
    backend = FilesystemBackend(root)
    assert not root.exists()
    assert list(backend.list("")) == []
    backend.upload_bytes("packs/ab/cd.pack", b"x")
    assert (root / "packs" / "ab" / "cd.pack").read_bytes() == b"x"
    assert backend.url == root.as_uri()


def test_relative_root_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    backend = FilesystemBackend(Path("remote"))
    assert backend.root == tmp_path / "remote"


def test_object_is_invisible_until_upload_completes(tmp_path: Path) -> None:
    """Upload from a pipe we feed by hand: half-way through, the key must not exist."""
    backend = FilesystemBackend(tmp_path / "remote")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            backend.upload("packs/p.pack", fifo)
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    thread = threading.Thread(target=upload)
    thread.start()
    with open(fifo, "wb") as feed:
        feed.write(os.urandom(3 << 20))
        feed.flush()
        for _ in range(200):  # wait until the backend has written its temp file
            if leftovers(tmp_path / "remote"):
                break
            threading.Event().wait(0.01)
        assert leftovers(tmp_path / "remote"), "upload never started"
        assert backend.exists("packs/p.pack") is False
        assert list(backend.list("")) == []
        feed.write(b"tail")
    thread.join(10)
    assert not errors
    assert backend.size("packs/p.pack") == (3 << 20) + 4
    assert leftovers(tmp_path / "remote") == []


@pytest.mark.parametrize(("call", "after"), [("write", 1), ("copy_file_range", 0)])
def test_full_disk_fails_permanently_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, after: int
) -> None:
    backend = FilesystemBackend(tmp_path / "remote")
    backend.upload_bytes("packs/p.pack", b"old content")
    source = tmp_path / "src"
    source.write_bytes(os.urandom(3 << 20))
    if call == "write":  # the block copy (kernel copy unavailable), whose writes live in atomic.py
        monkeypatch.setattr(filesystem, "_kernel_copy", lambda src, fd, final: False)
        monkeypatch.setattr(atomic, "os", _FaultyOs("write", errno.ENOSPC, after=after))
    else:
        monkeypatch.setattr(filesystem, "os", _FaultyOs(call, errno.ENOSPC, after=after))
    with pytest.raises(RemotePermanentError) as info:
        backend.upload("packs/p.pack", source)
    monkeypatch.undo()
    message = str(info.value)
    assert "\n" not in message
    assert str(tmp_path / "remote" / "packs" / "p.pack") in message
    assert "No space left on device" in message
    assert backend.read_range("packs/p.pack", 0, 100) == b"old content"
    assert leftovers(tmp_path / "remote") == []


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (errno.EACCES, RemotePermanentError),
        (errno.EROFS, RemotePermanentError),
        (errno.EDQUOT, RemotePermanentError),
        (errno.EIO, RemoteTransientError),
        (errno.ESTALE, RemoteTransientError),
    ],
)
def test_os_errors_are_classified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, err: int, expected: type[Exception]
) -> None:
    backend = FilesystemBackend(tmp_path / "remote")
    backend.upload_bytes("packs/p.pack", b"x")
    monkeypatch.setattr(filesystem, "os", _FaultyOs("open", err))
    with pytest.raises(expected) as info:
        backend.upload_bytes("packs/q.pack", b"y")
    assert os.strerror(err) in str(info.value)
    with pytest.raises(expected):
        backend.read_range("packs/p.pack", 0, 1)


def test_unreadable_object_is_a_permanent_error(tmp_path: Path, permissions_enforced: bool) -> None:
    if not permissions_enforced:
        pytest.skip("file permissions are not enforced for this user (root)")
    backend = FilesystemBackend(tmp_path / "remote")
    backend.upload_bytes("packs/p.pack", b"x")
    (tmp_path / "remote" / "packs" / "p.pack").chmod(0)
    with pytest.raises(RemotePermanentError, match="Permission denied"):
        backend.read_range("packs/p.pack", 0, 1)


def test_listing_skips_temp_and_hidden_files(tmp_path: Path) -> None:
    backend = FilesystemBackend(tmp_path / "remote")
    backend.upload_bytes("packs/p.pack", b"x")
    (tmp_path / "remote" / "packs" / ".p.pack.0123abcd.tmp").write_bytes(b"partial")
    (tmp_path / "remote" / ".DS_Store").write_bytes(b"")
    (tmp_path / "remote" / "empty-dir").mkdir()
    assert list(backend.list("")) == ["packs/p.pack"]


def test_objects_get_umask_permissions_not_private_ones(tmp_path: Path) -> None:
    """A shared directory remote must be readable by the team, as the umask allows."""
    backend = FilesystemBackend(tmp_path / "remote")
    old = os.umask(0o022)
    try:
        backend.upload_bytes("packs/p.pack", b"x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "remote" / "packs" / "p.pack").stat().st_mode)
    assert mode == 0o644
