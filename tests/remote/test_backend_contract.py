"""The one contract every remote backend passes (see ``git_model/remote/backend.py``).

Each test runs once per backend kind (``backend`` fixture), or once per way a store can
refuse or be down (``refused_backend``, ``unavailable_backend``). A new backend joins by
adding its cases to ``conftest.py``; it passes when this file passes unchanged. Optional
capabilities (``supports_delete``) select which half of a test applies.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import pytest

from git_model.errors import RemoteNotFound, RemotePermanentError, RemoteTransientError
from git_model.remote.backend import Backend, supports_delete
from git_model.remote.retry import with_retries
from git_model.remote.url import open_backend

MiB = 1 << 20


class RecordingSink(io.RawIOBase):
    """A write-only destination that hashes what it gets and remembers the largest write."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.total = 0
        self.largest = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | memoryview) -> int:  # type: ignore[override]
        size = memoryview(data).nbytes
        self.sha.update(data)
        self.total += size
        self.largest = max(self.largest, size)
        return size


def fetch(backend: Backend, key: str) -> bytes:
    out = io.BytesIO()
    assert backend.download(key, out) == len(out.getvalue())
    return out.getvalue()


def write_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- basic semantics -------------------------------------------------------------------


def test_new_backend_is_empty(backend: Backend) -> None:
    assert list(backend.list("")) == []
    assert backend.exists("packs/a.pack") is False
    assert backend.url.startswith(("file://", "s3://", "lfs+http://", "lfs+https://"))


def test_url_names_the_same_store(backend: Backend, request: pytest.FixtureRequest) -> None:
    backend.upload_bytes("packs/a.pack", b"a")
    s3 = backend.url.startswith("s3://")
    endpoint = request.getfixturevalue("s3_server") if s3 else None
    assert open_backend(backend.url, s3_endpoint=endpoint).exists("packs/a.pack")


def test_upload_bytes_round_trip(backend: Backend) -> None:
    backend.upload_bytes("manifests/m1", b"manifest body")
    assert backend.exists("manifests/m1")
    assert backend.size("manifests/m1") == 13
    assert fetch(backend, "manifests/m1") == b"manifest body"
    assert list(backend.list("")) == ["manifests/m1"]


def test_upload_file_round_trip(backend: Backend, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    backend.upload("packs/ab/abcd.pack", write_file(tmp_path / "src", data))
    assert backend.size("packs/ab/abcd.pack") == len(data)
    assert fetch(backend, "packs/ab/abcd.pack") == data


def test_empty_object(backend: Backend, tmp_path: Path) -> None:
    backend.upload("empty", write_file(tmp_path / "src", b""))
    assert backend.exists("empty")
    assert backend.size("empty") == 0
    assert fetch(backend, "empty") == b""
    assert backend.read_range("empty", 0, 10) == b""


def test_missing_key(backend: Backend) -> None:
    backend.upload_bytes("packs/present", b"x")
    assert backend.exists("packs/absent") is False
    with pytest.raises(RemoteNotFound):
        backend.size("packs/absent")
    with pytest.raises(RemoteNotFound):
        backend.download("packs/absent", io.BytesIO())
    with pytest.raises(RemoteNotFound):
        backend.read_range("packs/absent", 0, 1)
    with pytest.raises(RemoteNotFound):
        backend.read_range("packs/absent", 0, 0)


def test_directory_like_prefix_is_not_an_object(backend: Backend) -> None:
    backend.upload_bytes("packs/ab/x.pack", b"x")
    assert backend.exists("packs/ab") is False
    with pytest.raises(RemoteNotFound):
        backend.size("packs/ab")
    with pytest.raises(RemoteNotFound):
        backend.download("packs", io.BytesIO())
    with pytest.raises(RemoteNotFound):
        backend.read_range("packs/ab", 0, 0)
    if supports_delete(backend):
        backend.delete("packs/ab")  # not a key: nothing to delete
    assert backend.exists("packs/ab/x.pack")


def test_list_by_prefix(backend: Backend) -> None:
    keys = ["packs/aa/1.pack", "packs/ab/2.pack", "packs/b/3.pack", "index/i1", "manifests/m1"]
    for key in keys:
        backend.upload_bytes(key, key.encode())
    assert sorted(backend.list("")) == sorted(keys)
    assert sorted(backend.list("packs/")) == keys[:3]
    assert sorted(backend.list("packs/a")) == keys[:2]
    assert sorted(backend.list("packs/aa/")) == keys[:1]
    assert sorted(backend.list("pack")) == keys[:3]
    assert list(backend.list("packs/aa/1.pack")) == ["packs/aa/1.pack"]
    assert list(backend.list("nothing/")) == []


def test_read_range_behaves_like_pread(backend: Backend) -> None:
    data = bytes(range(256)) * 40
    backend.upload_bytes("packs/p", data)
    assert backend.read_range("packs/p", 0, 10) == data[:10]
    assert backend.read_range("packs/p", 1000, 2000) == data[1000:3000]
    assert backend.read_range("packs/p", len(data) - 4, 100) == data[-4:]
    assert backend.read_range("packs/p", len(data), 10) == b""
    assert backend.read_range("packs/p", len(data) + 50, 10) == b""
    assert backend.read_range("packs/p", 7, 0) == b""
    with pytest.raises(ValueError):
        backend.read_range("packs/p", -1, 5)
    with pytest.raises(ValueError):
        backend.read_range("packs/p", 0, -5)


def test_delete(backend: Backend) -> None:
    if not supports_delete(backend):  # e.g. Git LFS: refused for good, and nothing changes
        backend.upload_bytes("packs/a", b"a")
        with pytest.raises(RemotePermanentError) as info:
            backend.delete("packs/a")
        assert_one_line(str(info.value))
        assert backend.exists("packs/a") and fetch(backend, "packs/a") == b"a"
        return
    backend.upload_bytes("packs/a", b"a")
    backend.upload_bytes("packs/b", b"b")
    backend.delete("packs/a")
    assert backend.exists("packs/a") is False
    assert list(backend.list("")) == ["packs/b"]
    backend.delete("packs/a")  # already gone: not an error
    backend.delete("never/existed")
    with pytest.raises(RemoteNotFound):
        fetch(backend, "packs/a")


@pytest.mark.parametrize(
    "key", ["", "/abs", "a//b", "../x", "a/../b", "a/./b", ".hidden", "a/", "a\\b"]
)
def test_invalid_keys_are_rejected(backend: Backend, key: str) -> None:
    with pytest.raises(ValueError):
        backend.upload_bytes(key, b"x")
    with pytest.raises(ValueError):
        backend.exists(key)


# --- atomicity, streaming, concurrency -------------------------------------------------


def test_overwrite_with_identical_content_is_atomic(backend: Backend, tmp_path: Path) -> None:
    """Readers racing repeated re-uploads of the same object always see all of it."""
    data = os.urandom(2 * MiB + 123)
    source = write_file(tmp_path / "src", data)
    backend.upload("packs/same", source)
    stop = threading.Event()
    seen: list[bytes] = []

    def reader() -> None:
        while not stop.is_set():
            seen.append(hashlib.sha256(fetch(backend, "packs/same")).digest())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(5):
            backend.upload("packs/same", source)
        backend.upload_bytes("packs/same", data)
    finally:
        stop.set()
        thread.join()
    assert seen and set(seen) == {hashlib.sha256(data).digest()}
    assert list(backend.list("")) == ["packs/same"]


def test_large_object_streams_both_ways(backend: Backend, tmp_path: Path) -> None:
    """20 MiB goes up multipart on S3 and comes down in blocks, never in one piece."""
    data = os.urandom(20 * MiB + 17)
    backend.upload("packs/big.pack", write_file(tmp_path / "big", data))
    assert backend.size("packs/big.pack") == len(data)
    sink = RecordingSink()
    assert backend.download("packs/big.pack", sink) == len(data)  # type: ignore[arg-type]
    assert sink.sha.digest() == hashlib.sha256(data).digest()
    assert sink.total == len(data) and 0 < sink.largest <= 4 * MiB
    boundary = 8 * MiB  # an S3 part boundary
    chunk = backend.read_range("packs/big.pack", boundary - 5, 10)
    assert chunk == data[boundary - 5 : boundary + 5]


def test_concurrent_uploads_from_threads(backend: Backend, tmp_path: Path) -> None:
    """Distinct keys, and one key uploaded with the same content by every thread.

    moto 5.2 sometimes answers racing PUTs of one key with a 500 (it closes the replaced
    object's buffer while the other request still reads it); real S3 does not. A 500 is
    transient, and production uploads go through ``with_retries``, so this test does too.
    """
    payloads = {f"packs/{i:02d}.pack": os.urandom(50_000 + i) for i in range(24)}
    shared = os.urandom(100_000)
    shared_src = write_file(tmp_path / "shared", shared)

    def upload_shared() -> None:  # the same key and content, from every thread at once
        backend.upload("index/shared", shared_src)

    def work(item: tuple[str, bytes]) -> None:
        key, data = item
        backend.upload(key, write_file(tmp_path / key.replace("/", "_"), data))
        with_retries(upload_shared, attempts=10, base_delay=0.01)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, payloads.items()))
    assert sorted(backend.list("")) == sorted([*payloads, "index/shared"])
    for key, data in payloads.items():
        assert fetch(backend, key) == data
    assert fetch(backend, "index/shared") == shared


# --- whose error is it -----------------------------------------------------------------


def test_local_source_errors_are_not_remote_errors(backend: Backend, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        backend.upload("packs/x", tmp_path / "does-not-exist")
    assert backend.exists("packs/x") is False


def test_local_destination_errors_are_not_remote_errors(backend: Backend) -> None:
    class FullDisk(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: bytes | memoryview) -> int:  # type: ignore[override]
            raise OSError(28, "No space left on device")

    backend.upload_bytes("packs/x", b"payload")
    with pytest.raises(OSError) as info:
        backend.download("packs/x", FullDisk())  # type: ignore[arg-type]
    assert not isinstance(info.value, RemoteNotFound | RemotePermanentError | RemoteTransientError)


def test_refused_store_is_a_permanent_error(refused_backend: Backend, tmp_path: Path) -> None:
    """Writes fail permanently; reads may say 'not found' but never 'try again'."""
    source = write_file(tmp_path / "src", b"payload")
    for write in (
        lambda: refused_backend.upload("packs/x", source),
        lambda: refused_backend.upload_bytes("manifests/m", b"m"),
    ):
        with pytest.raises(RemotePermanentError) as info:
            write()
        assert_one_line(str(info.value))
    for read in reads(refused_backend):
        try:
            read()
        except (RemotePermanentError, RemoteNotFound) as err:
            assert_one_line(str(err))


def test_unavailable_store_is_a_transient_error(
    unavailable_backend: Backend, tmp_path: Path
) -> None:
    source = write_file(tmp_path / "src", b"payload")
    calls = [
        lambda: unavailable_backend.upload("packs/x", source),
        lambda: unavailable_backend.upload_bytes("manifests/m", b"m"),
        *reads(unavailable_backend),
    ]
    if supports_delete(unavailable_backend):
        calls.append(lambda: unavailable_backend.delete("packs/a.pack"))
    for call in calls:
        with pytest.raises(RemoteTransientError) as info:
            call()
        assert_one_line(str(info.value))


def reads(backend: Backend) -> list[Callable[[], object]]:
    return [
        lambda: backend.exists("packs/a.pack"),
        lambda: backend.size("packs/a.pack"),
        lambda: list(backend.list("")),
        lambda: backend.download("packs/a.pack", io.BytesIO()),
        lambda: backend.read_range("packs/a.pack", 0, 2),
    ]


def assert_one_line(message: str) -> None:
    assert message and "\n" not in message
    assert len(message) < 400
