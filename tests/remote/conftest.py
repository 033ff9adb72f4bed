"""Fixtures for the remote contract suite: every backend kind, working, refused and down.

The S3 side talks real HTTP to a moto S3 server started here on loopback (one per session),
so request signing, multipart uploads, ranges, streaming and error parsing are exercised the
way a real S3-protocol server would exercise them; boto3 itself is never patched. The Git LFS
side talks to giftless and git http-backend on loopback (tests/lfs_server.py), likewise.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from git_model.remote import filesystem
from git_model.remote.backend import Backend
from git_model.remote.filesystem import FilesystemBackend
from git_model.remote.lfs import LFSBackend
from git_model.remote.lfs_endpoint import parse_store_url
from git_model.remote.s3 import S3Backend

from lfs_server import HostedRepo, Listener  # noqa: E402  (fixtures live in tests/lfs_server.py)
from s3server import raw_s3_client  # noqa: E402  (fixtures live in tests/s3server.py)

KINDS = ["filesystem", "s3", "lfs"]
S3_PREFIX = "team/models"


def s3_backend(endpoint: str, bucket: str, **kwargs: Any) -> S3Backend:
    """An S3Backend with test-sized timeouts and no botocore retries."""
    options: dict[str, Any] = {"connect_timeout": 2.0, "read_timeout": 10.0, "max_attempts": 1}
    options.update(kwargs)
    return S3Backend(bucket, S3_PREFIX, endpoint_url=endpoint, **options)


def lfs_backend(repo: HostedRepo | str, **kwargs: Any) -> LFSBackend:
    """An LFSBackend for a test-server repository (or store URL), with test-sized timeouts."""
    options: dict[str, Any] = {"connect_timeout": 2.0, "read_timeout": 10.0}
    options.update(kwargs)
    url = repo if isinstance(repo, str) else repo.store_url
    return LFSBackend(parse_store_url(url), None, **options)


@pytest.fixture
def make_lfs() -> Callable[..., LFSBackend]:
    """``lfs_backend`` for test modules (conftest helpers are not importable)."""
    return lfs_backend


@pytest.fixture
def make_s3(aws_env: None) -> Callable[..., S3Backend]:
    """``s3_backend`` for test modules (conftest helpers are not importable)."""
    return s3_backend


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """A working, empty backend of each kind."""
    if kind == "filesystem":
        return FilesystemBackend(tmp_path / "remote" / "not-yet-created")
    if kind == "lfs":
        return lfs_backend(request.getfixturevalue("lfs_repo"))
    endpoint = request.getfixturevalue("s3_server")
    return s3_backend(endpoint, request.getfixturevalue("s3_bucket"))


@pytest.fixture(scope="session")
def permissions_enforced(tmp_path_factory: pytest.TempPathFactory) -> bool:
    """False when file modes do not bind us (root, or CAP_DAC_OVERRIDE)."""
    probe = tmp_path_factory.mktemp("probe")
    probe.chmod(0o555)
    try:
        (probe / "file").touch()
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
    return False


@pytest.fixture(
    params=[
        "fs-root-is-a-file", "fs-read-only-dir", "s3-missing-bucket", "s3-wrong-credentials",
        "lfs-read-only", "lfs-no-credentials", "lfs-wrong-credentials", "lfs-no-git-repository",
    ]
)  # fmt: skip
def refused_backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    """A backend whose store refuses writes for good (misconfiguration, no permission)."""
    case = request.param
    if case == "fs-root-is-a-file":
        (tmp_path / "file").write_bytes(b"not a directory")
        yield FilesystemBackend(tmp_path / "file")
    elif case == "fs-read-only-dir":
        if not request.getfixturevalue("permissions_enforced"):
            pytest.skip("file permissions are not enforced for this user (root)")
        root = tmp_path / "ro"
        root.mkdir(mode=0o555)
        yield FilesystemBackend(root)
        root.chmod(0o755)
    elif case == "s3-missing-bucket":
        yield s3_backend(request.getfixturevalue("s3_server"), "gm-no-such-bucket")
    elif case.startswith("lfs-"):
        server = request.getfixturevalue("lfs_server")
        if case == "lfs-read-only":  # anyone may read, nobody may write
            yield lfs_backend(server.new_repo("readonly"))
        elif case == "lfs-no-credentials":  # 401, and no helper or terminal to ask
            yield lfs_backend(server.new_repo("private"))
        elif case == "lfs-wrong-credentials":  # the helper's password is refused
            helper = "!f() { echo username=alice; echo password=wrong; }; f"
            monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
            monkeypatch.setenv("GIT_CONFIG_KEY_0", "credential.helper")
            monkeypatch.setenv("GIT_CONFIG_VALUE_0", helper)
            yield lfs_backend(server.new_repo("private"))
        else:  # the LFS server takes the bytes, but the catalog's Git repository is missing
            yield lfs_backend(server.new_repo("anon", create=False))
    else:
        from moto.core.authorization import enable_iam_authentication

        endpoint = request.getfixturevalue("s3_server")
        bucket = request.getfixturevalue("s3_bucket")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
        with enable_iam_authentication():  # moto now checks keys like AWS does
            yield s3_backend(endpoint, bucket)


class _DeadDiskOs:
    """Stands in for ``os`` inside the filesystem backend: file calls fail with EIO, as on a
    dead NFS server; everything else is the real ``os``."""

    FAILING = {"open", "stat", "scandir", "pread", "readv", "write", "unlink", "replace"}

    def __getattr__(self, name: str) -> Any:
        if name in self.FAILING:

            def fail(*args: Any, **kwargs: Any) -> Any:
                raise OSError(5, "Input/output error")

            return fail
        return getattr(os, name)


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(
    params=["fs-io-error", "s3-unreachable-port", "s3-server-stopped", "lfs-unreachable-port", "lfs-server-stopped"]
)
def unavailable_backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Backend:
    """A backend whose store is down for now: every call should be retried later."""
    case = request.param
    if case == "fs-io-error":
        root = tmp_path / "remote"
        FilesystemBackend(root).upload_bytes("packs/a.pack", b"data")
        monkeypatch.setattr(filesystem, "os", _DeadDiskOs())
        return FilesystemBackend(root)
    if case == "lfs-unreachable-port":
        port = request.getfixturevalue("unused_port")
        return lfs_backend(f"lfs+http://127.0.0.1:{port}/anon/x.git/info/lfs", connect_timeout=0.5)
    if case == "lfs-server-stopped":
        server = request.getfixturevalue("lfs_server")
        listener = Listener(server.app)  # a second port onto the same server
        repo = server.new_repo("anon", base=listener.base)
        lfs_backend(repo).upload_bytes("packs/a.pack", b"data")
        listener.stop()
        return lfs_backend(repo, connect_timeout=0.5)  # fresh: nothing known from the upload
    request.getfixturevalue("aws_env")
    if case == "s3-unreachable-port":
        port = request.getfixturevalue("unused_port")
        return s3_backend(f"http://127.0.0.1:{port}", "gm-bucket", connect_timeout=0.5)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket = f"gm-stopped-{uuid.uuid4().hex[:16]}"
    raw_s3_client(endpoint).create_bucket(Bucket=bucket)
    backend = s3_backend(endpoint, bucket, connect_timeout=0.5)
    backend.upload_bytes("packs/a.pack", b"data")
    server.stop()
    return backend
