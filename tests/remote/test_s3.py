"""S3-backend details beyond the shared contract: credentials, timeouts, layout, endpoints."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from git_model.errors import RemoteNotFound, RemotePermanentError, RemoteTransientError
from git_model.remote.s3 import S3Backend, classify

S3_PREFIX = "team/models"  # what conftest's backends use

pytestmark = pytest.mark.usefixtures("aws_env")
MakeS3 = Callable[..., S3Backend]


def test_objects_live_under_the_prefix(
    make_s3: MakeS3, s3_server: str, s3_bucket: str, s3_admin: Any
) -> None:
    backend = make_s3(s3_server, s3_bucket)
    backend.upload_bytes("packs/p.pack", b"x")
    listed = s3_admin.list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"{S3_PREFIX}/packs/p.pack"]
    assert backend.url == f"s3://{s3_bucket}/{S3_PREFIX}"


def test_listing_skips_names_no_key_can_have(
    make_s3: MakeS3, s3_server: str, s3_bucket: str, s3_admin: Any
) -> None:
    backend = make_s3(s3_server, s3_bucket)
    backend.upload_bytes("packs/p.pack", b"x")
    for name in ("packs/", "packs/.hidden", "packs//double", "elsewhere"):
        s3_admin.put_object(Bucket=s3_bucket, Key=f"{S3_PREFIX}/{name}", Body=b"")
    s3_admin.put_object(Bucket=s3_bucket, Key="team/modelsX/packs/q.pack", Body=b"")
    assert sorted(backend.list("")) == ["elsewhere", "packs/p.pack"]


def test_large_upload_is_multipart(
    make_s3: MakeS3, s3_server: str, s3_bucket: str, s3_admin: Any, tmp_path: Path
) -> None:
    source = tmp_path / "big"
    source.write_bytes(os.urandom(17 << 20))
    make_s3(s3_server, s3_bucket).upload("packs/big.pack", source)
    head = s3_admin.head_object(Bucket=s3_bucket, Key=f"{S3_PREFIX}/packs/big.pack")
    assert head["ETag"].strip('"').endswith("-3")  # three 8 MiB parts


def test_wrong_credentials_are_permanent_everywhere(
    refused_s3_wrong_credentials: S3Backend, tmp_path: Path
) -> None:
    backend = refused_s3_wrong_credentials
    source = tmp_path / "src"
    source.write_bytes(b"x")
    calls = [
        lambda: backend.exists("packs/p.pack"),
        lambda: backend.size("packs/p.pack"),
        lambda: list(backend.list("")),
        lambda: backend.upload("packs/p.pack", source),
        lambda: backend.upload_bytes("packs/p.pack", b"x"),
        lambda: backend.download("packs/p.pack", io.BytesIO()),
        lambda: backend.read_range("packs/p.pack", 0, 1),
        lambda: backend.delete("packs/p.pack"),
    ]
    for call in calls:
        with pytest.raises(RemotePermanentError) as info:
            call()
        assert str(info.value).startswith(f"s3://{backend.bucket}/{S3_PREFIX}/")


@pytest.fixture
def refused_s3_wrong_credentials(
    make_s3: MakeS3, s3_server: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[S3Backend]:
    from moto.core.authorization import enable_iam_authentication

    make_s3(s3_server, s3_bucket).upload_bytes("packs/p.pack", b"x")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
    with enable_iam_authentication():
        yield make_s3(s3_server, s3_bucket)


def test_missing_bucket_message(make_s3: MakeS3, s3_server: str) -> None:
    backend = make_s3(s3_server, "gm-no-such-bucket")
    with pytest.raises(RemotePermanentError) as info:
        backend.upload_bytes("packs/p.pack", b"x")
    assert str(info.value) == (
        f"s3://gm-no-such-bucket/{S3_PREFIX}/packs/p.pack: upload failed: "
        "NoSuchBucket (The specified bucket does not exist)"
    )


def test_no_credentials_is_permanent(
    make_s3: MakeS3, s3_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(RemotePermanentError, match="NoCredentialsError"):
        make_s3(s3_server, "gm-any-bucket").exists("packs/p.pack")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """An endpoint that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_read_timeout_is_transient(make_s3: MakeS3, silent_server: str) -> None:
    backend = make_s3(silent_server, "gm-slow-bucket", read_timeout=0.3)
    with pytest.raises(RemoteTransientError, match="ReadTimeoutError"):
        backend.read_range("packs/p.pack", 0, 1)
    with pytest.raises(RemoteTransientError):
        backend.upload_bytes("packs/p.pack", b"x")


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])
def test_endpoint_comes_from_the_environment(
    make_s3: MakeS3, s3_server: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    make_s3(s3_server, s3_bucket).upload_bytes("packs/p.pack", b"x")
    monkeypatch.setenv(variable, s3_server)
    assert S3Backend(s3_bucket, S3_PREFIX).exists("packs/p.pack")


def test_explicit_endpoint_beats_the_environment(
    make_s3: MakeS3, s3_server: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    make_s3(s3_server, s3_bucket).upload_bytes("packs/p.pack", b"x")
    assert S3Backend(s3_bucket, S3_PREFIX, endpoint_url=s3_server).exists("packs/p.pack")


def test_importing_the_backend_does_not_import_boto3() -> None:
    code = "import sys, git_model.remote.s3, git_model.remote.url; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def client_error(code: str, status: int, message: str = "detail") -> Exception:
    from botocore.exceptions import ClientError

    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "PutObject")


@pytest.mark.parametrize(
    ("code", "status", "op", "expected"),
    [
        ("NoSuchKey", 404, "download", RemoteNotFound),
        ("404", 404, "head", RemoteNotFound),
        ("404", 404, "upload", RemotePermanentError),
        ("NoSuchBucket", 404, "download", RemotePermanentError),
        ("AccessDenied", 403, "upload", RemotePermanentError),
        ("403", 403, "head", RemotePermanentError),
        ("InvalidAccessKeyId", 403, "list", RemotePermanentError),
        ("ExpiredToken", 400, "upload", RemotePermanentError),
        ("SlowDown", 503, "upload", RemoteTransientError),
        ("InternalError", 500, "download", RemoteTransientError),
        ("502", 502, "head", RemoteTransientError),
        ("RequestTimeout", 400, "upload", RemoteTransientError),
        ("TooManyRequests", 429, "list", RemoteTransientError),
        ("SomethingNew", 400, "upload", RemotePermanentError),
    ],
)
def test_client_errors_are_classified(code: str, status: int, op: str, expected: type) -> None:
    err = classify(client_error(code, status, "line one\nline two"), "s3://b/k", op)
    assert type(err) is expected
    assert "\n" not in str(err) and str(err).startswith("s3://b/k: ")


def test_transport_errors_are_classified() -> None:
    from botocore import exceptions as bce

    transient = [
        bce.EndpointConnectionError(endpoint_url="http://x"),
        bce.ConnectTimeoutError(endpoint_url="http://x"),
        bce.ReadTimeoutError(endpoint_url="http://x"),
        bce.ConnectionClosedError(endpoint_url="http://x"),
        bce.ResponseStreamingError(error="reset"),
        bce.IncompleteReadError(actual_bytes=1, expected_bytes=2),
    ]
    permanent = [
        bce.NoCredentialsError(),
        bce.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
        bce.SSLError(endpoint_url="https://x", error="CERTIFICATE_VERIFY_FAILED"),
    ]
    assert all(type(classify(e, "s3://b/k", "head")) is RemoteTransientError for e in transient)
    assert all(type(classify(e, "s3://b/k", "head")) is RemotePermanentError for e in permanent)
