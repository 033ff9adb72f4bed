"""A real S3-protocol server for the tests: moto's server mode on loopback, over real HTTP.

Loaded as a pytest plugin by tests/conftest.py, so every test folder can use `s3_server`,
`aws_env`, `s3_admin` and `s3_bucket`; boto3 is never patched.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """Endpoint URL of a moto S3 server on 127.0.0.1 at a free port."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on stderr
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials, and nothing from the host's AWS config can leak in."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def raw_s3_client(endpoint: str) -> Any:
    """A plain boto3 client, for setting up and inspecting buckets behind a backend's back."""
    import boto3

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def s3_admin(s3_server: str) -> Any:
    """One raw client for the session's server (building clients costs ~0.15 s each)."""
    return raw_s3_client(s3_server)


@pytest.fixture
def s3_bucket(s3_admin: Any, aws_env: None) -> str:
    """A fresh, empty bucket for one test."""
    bucket = f"gm-test-{uuid.uuid4().hex[:16]}"
    s3_admin.create_bucket(Bucket=bucket)
    return bucket


