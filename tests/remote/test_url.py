"""Remote URL parsing: every accepted form, and a one-line ConfigError for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_model.errors import ConfigError
from git_model.remote.filesystem import FilesystemBackend
from git_model.remote.s3 import S3Backend
from git_model.remote.url import open_backend

pytestmark = pytest.mark.usefixtures("aws_env")


def endpoint_of(backend: object) -> str:
    assert isinstance(backend, S3Backend)
    return str(backend._client.meta.endpoint_url)


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://models", "models", ""),
        ("s3://models/", "models", ""),
        ("s3://my.team-models/a/b", "my.team-models", "a/b"),
        ("s3://models/a/b/", "models", "a/b"),
    ],
)
def test_s3_urls(url: str, bucket: str, prefix: str) -> None:
    backend = open_backend(url)
    assert isinstance(backend, S3Backend)
    assert (backend.bucket, backend.prefix) == (bucket, prefix)
    assert backend.url == f"s3://{bucket}/{prefix}".rstrip("/")


def test_s3_endpoint_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1001")
    assert endpoint_of(open_backend("s3://models")) == "http://127.0.0.1:1001"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1002")
    assert endpoint_of(open_backend("s3://models")) == "http://127.0.0.1:1002"
    url = "s3://models/p?endpoint=http://127.0.0.1:1003"
    assert endpoint_of(open_backend(url)) == "http://127.0.0.1:1003"
    explicit = open_backend(url, s3_endpoint="http://127.0.0.1:1004")
    assert endpoint_of(explicit) == "http://127.0.0.1:1004"


def test_filesystem_forms(tmp_path: Path) -> None:
    for url in (str(tmp_path / "r"), (tmp_path / "r").as_uri(), f"file://localhost{tmp_path}/r"):
        backend = open_backend(url)
        assert isinstance(backend, FilesystemBackend) and backend.root == tmp_path / "r"
    relative = open_backend("../remote", base_dir=tmp_path / "repo")
    assert isinstance(relative, FilesystemBackend)
    assert relative.root == tmp_path / "repo" / ".." / "remote"
    home = open_backend("~/models")
    assert isinstance(home, FilesystemBackend) and home.root == Path.home() / "models"
    colon = open_backend("dir:with:colons", base_dir=tmp_path)
    assert isinstance(colon, FilesystemBackend) and colon.root == tmp_path / "dir:with:colons"


def test_percent_escapes_in_file_urls(tmp_path: Path) -> None:
    backend = open_backend((tmp_path / "with space").as_uri())
    assert isinstance(backend, FilesystemBackend) and backend.root == tmp_path / "with space"


@pytest.mark.parametrize(
    "url",
    [
        "",
        " s3://models",
        "gs://models",
        "http://example.com/models",
        "s3://",
        "s3://UPPER",
        "s3://ab",
        "s3://models/a//b",
        "s3://models/../b",
        "s3://models?region=eu",
        "s3://models?endpoint=a&endpoint=b",
        "s3://models?endpoint=ftp://host",
        "s3://models#frag",
        "file://otherhost/path",
        "file://relative",
        "relative/path",
    ],
)
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        open_backend(url)
    message = str(info.value)
    assert message.startswith(f"remote URL {url!r}: ") and "\n" not in message
