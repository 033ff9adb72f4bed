"""A remote in an S3 bucket (AWS, or any S3-protocol server such as MinIO or Ceph).

Key ``k`` is stored as object ``<prefix>/k``. Credentials come from boto3's standard chain
(environment, shared config, SSO, instance roles) and are never stored by git-model. The
endpoint is, in order: the ``endpoint_url`` argument, ``AWS_ENDPOINT_URL_S3``,
``AWS_ENDPOINT_URL``, else AWS; a custom endpoint uses path-style addressing, which every
S3-protocol server understands. boto3 is imported only when a client is built, so importing
this module stays cheap.

botocore tries at most twice (``max_attempts=2``: one retry) with short timeouts; longer
patience is ``git_model.remote.retry``'s job, which sees the classified errors below. A PUT
is atomic in S3, and large files go up as a multipart upload, which also becomes visible
only when complete. On a missing bucket HEAD answers a bare 404, so ``exists`` is False and ``size``
raises ``RemoteNotFound``; every other call reports the missing bucket as permanent.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from git_model.errors import RemoteError, RemoteNotFound, RemotePermanentError, RemoteTransientError
from git_model.remote.key import check_key, check_prefix, is_valid_key

BLOCK = 1 << 20
"""Download block size: memory per download stays at about one block."""
PART_SIZE = 8 << 20
"""Files above this go up as multipart uploads of parts this size (auto-grown past 10,000)."""

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_PERMANENT = {
    "AccessDenied", "403", "Forbidden", "NoSuchBucket", "InvalidAccessKeyId",
    "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
    "AllAccessDisabled", "AccountProblem", "InvalidBucketName", "PermanentRedirect",
    "AuthorizationHeaderMalformed", "RequestTimeTooSkewed", "InvalidObjectState",
}  # fmt: skip
_TRANSIENT = {
    "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded",
    "TooManyRequestsException", "RequestTimeout", "RequestTimeoutException",
    "InternalError", "ServiceUnavailable", "BadDigest", "IncompleteBody",
    "XAmzContentSHA256Mismatch", "OperationAborted",
}  # fmt: skip
_READS = ("head", "download", "read")


READ_TIMEOUT_ENV = "GIT_MODEL_S3_READ_TIMEOUT"


class S3Backend:
    """A ``Backend`` over ``s3://bucket/prefix``; safe to use from several threads.

    ``client`` replaces the boto3 client built from the other arguments (tests, custom
    sessions); the timeouts and ``max_attempts`` (all tries, the first included) only shape a
    client built here.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        client: Any | None = None,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float | None = None,
        max_attempts: int = 2,
    ) -> None:
        if read_timeout is None:  # seconds without a byte before a request counts as stalled
            read_timeout = float(os.environ.get(READ_TIMEOUT_ENV, "60"))
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._base = f"{self.prefix}/" if self.prefix else ""
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")
        if client is None:
            client = make_client(endpoint_url, connect_timeout, read_timeout, max_attempts)
        self._client = client

    def __repr__(self) -> str:
        return f"S3Backend({self.url!r})"

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except RemoteNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def list(self, prefix: str) -> Iterator[str]:
        """Every key starting with ``prefix``; names no key can have are skipped."""
        check_prefix(prefix)
        with self._mapped(self._base + prefix, "list"):
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._base + prefix):
                for obj in page.get("Contents", ()):
                    key = obj["Key"][len(self._base) :]
                    if is_valid_key(key):
                        yield key

    def upload(self, key: str, source: Path) -> None:
        """Upload ``source`` in one PUT, or multipart above PART_SIZE; parts stream from disk."""
        from s3transfer.manager import TransferConfig, TransferManager

        name = self._name(key)
        os.stat(source)  # a missing source is the caller's OSError, not a remote error
        config = TransferConfig(
            multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, max_request_concurrency=4
        )
        with self._mapped(name, "upload"), TransferManager(self._client, config) as manager:
            manager.upload(os.fspath(source), self.bucket, name).result()

    def upload_bytes(self, key: str, data: bytes) -> None:
        name = self._name(key)
        with self._mapped(name, "upload"):
            self._client.put_object(Bucket=self.bucket, Key=name, Body=data)

    def download(self, key: str, dest: BinaryIO) -> int:
        """Stream the body in BLOCK pieces. On a transient error ``dest`` may hold a prefix."""
        name = self._name(key)
        total = 0
        with self._mapped(name, "download"):
            body = self._client.get_object(Bucket=self.bucket, Key=name)["Body"]
            with contextlib.closing(body):
                for block in body.iter_chunks(BLOCK):
                    dest.write(block)
                    total += len(block)
        return total

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """Like ``pread``: fewer than ``length`` bytes only where the object ends."""
        if offset < 0 or length < 0:
            raise ValueError(f"invalid range offset={offset} length={length}")
        if length == 0:
            self._head(key)  # same errors as a real read
            return b""
        name = self._name(key)
        with self._mapped(name, "read"):
            try:
                response = self._client.get_object(
                    Bucket=self.bucket, Key=name, Range=f"bytes={offset}-{offset + length - 1}"
                )
            except Exception as err:
                if _error_code(err) == "InvalidRange":
                    return b""  # offset at or past the end of an existing object
                raise
            with contextlib.closing(response["Body"]) as body:
                if offset and "ContentRange" not in response:
                    raise RemotePermanentError(f"{self._where(name)}: server ignored Range")
                return bytes(body.read(length))

    def delete(self, key: str) -> None:
        name = self._name(key)
        with self._mapped(name, "delete"):
            self._client.delete_object(Bucket=self.bucket, Key=name)

    def _head(self, key: str) -> dict[str, Any]:
        name = self._name(key)
        with self._mapped(name, "head"):
            return dict(self._client.head_object(Bucket=self.bucket, Key=name))

    def _name(self, key: str) -> str:
        return self._base + check_key(key)

    def _where(self, name: str) -> str:
        return f"s3://{self.bucket}/{name}"

    @contextlib.contextmanager
    def _mapped(self, name: str, op: str) -> Iterator[None]:
        """Turn botocore failures inside the block into classified remote errors."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except RemoteError:
            raise
        except (ClientError, BotoCoreError) as err:
            raise classify(err, self._where(name), op) from err


def make_client(
    endpoint_url: str | None, connect_timeout: float, read_timeout: float, max_attempts: int
) -> Any:
    """A boto3 S3 client with our timeouts and retry budget, from a private session."""
    import boto3
    from botocore.config import Config

    endpoint = (
        endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
        or None
    )
    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        s3={"addressing_style": "path"} if endpoint else None,
        max_pool_connections=16,
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)


def classify(err: Exception, where: str, op: str) -> RemoteError:
    """Map a botocore error to not found / permanent / transient with a one-line message."""
    from botocore import exceptions as bce

    code = _error_code(err)
    if code is not None:
        status = _status(err)
        detail = _one_line(getattr(err, "response", {}).get("Error", {}).get("Message") or "")
        message = f"{where}: {op} failed: {code}" + (f" ({detail})" if detail else "")
        if code == "NoSuchBucket":
            return RemotePermanentError(message)
        if op in _READS and (code in _NOT_FOUND or status == 404):
            return RemoteNotFound(f"{where}: not found")
        if code in _TRANSIENT or status == 429 or (status is not None and status >= 500):
            return RemoteTransientError(message)
        return RemotePermanentError(message)
    message = f"{where}: {op} failed: {type(err).__name__}: {_one_line(str(err))}"
    if isinstance(err, bce.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(err):
        return RemotePermanentError(message)
    transient = (
        bce.ConnectionError,  # endpoint unreachable, connect timeout, proxy
        bce.HTTPClientError,  # read timeout, connection closed, broken stream
        bce.IncompleteReadError,
        bce.ChecksumError,
    )
    if isinstance(err, transient):
        return RemoteTransientError(message)
    return RemotePermanentError(message)  # credentials, region, configuration


def _error_code(err: Exception) -> str | None:
    response = getattr(err, "response", None)
    if not isinstance(response, dict) or "Error" not in response:
        return None
    return str(response["Error"].get("Code") or _status(err) or "Unknown")


def _status(err: Exception) -> int | None:
    status = getattr(err, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def _one_line(text: str) -> str:
    return " ".join(text.split())
