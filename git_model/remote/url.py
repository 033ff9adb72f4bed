"""Turning a configured remote URL into a backend.

Accepted forms, parsed strictly (anything else is a ``ConfigError`` naming the URL):

* ``s3://bucket`` or ``s3://bucket/prefix``, optionally ``?endpoint=http://host:port``;
* ``file:///absolute/path`` (or ``file://localhost/...``);
* ``lfs+https://host/path`` (or ``lfs+http://``), a Git LFS endpoint, optionally
  ``?git=GIT-URL`` for the repository holding its catalog (``git_model.remote.lfs_endpoint``);
* a plain absolute path (``~`` expanded), or a path relative to ``base_dir`` (the
  repository root).

A ``host:path`` form without ``//`` is a relative path, not a URL, so directory names with
a colon still work. The S3 endpoint is, in order: the ``s3_endpoint`` argument, the URL's
``endpoint`` query, ``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL``, else AWS.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from git_model.errors import ConfigError
from git_model.remote.backend import Backend

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def open_backend(
    url: str, base_dir: Path | None = None, *, s3_endpoint: str | None = None
) -> Backend:
    """The backend ``url`` names; builds no connection until the first call."""
    if not url or url != url.strip() or "\n" in url:
        raise ConfigError(f"remote URL {url!r}: empty, padded with whitespace or multi-line")
    match = _SCHEME.match(url)
    if match is None:
        return _filesystem(Path(url).expanduser(), url, base_dir)
    scheme = match.group(1).lower()
    if scheme == "s3":
        return _s3(url, s3_endpoint)
    if scheme == "file":
        return _file(url)
    if scheme in ("lfs+http", "lfs+https"):
        return _lfs(url, base_dir)
    raise ConfigError(
        f"remote URL {url!r}: unsupported scheme {scheme!r} (use s3://, file://, lfs+https:// or a path)"
    )


def _filesystem(path: Path, url: str, base_dir: Path | None) -> Backend:
    from git_model.remote.filesystem import FilesystemBackend

    if not path.is_absolute():
        if base_dir is None:
            raise ConfigError(f"remote URL {url!r}: relative path needs a base directory")
        path = base_dir / path
    return FilesystemBackend(path)


def _file(url: str) -> Backend:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise ConfigError(f"remote URL {url!r}: use file:///absolute/path")
    path = Path(unquote(parts.path))
    if not path.is_absolute():
        raise ConfigError(f"remote URL {url!r}: use file:///absolute/path")
    return _filesystem(path, url, None)


def _lfs(url: str, base_dir: Path | None) -> Backend:
    from git_model.remote.lfs import LFSBackend
    from git_model.remote.lfs_endpoint import parse_store_url

    return LFSBackend(parse_store_url(url, base_dir), base_dir)


def _s3(url: str, s3_endpoint: str | None) -> Backend:
    from git_model.remote.s3 import S3Backend

    parts = urlsplit(url)
    bucket = parts.netloc
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise ConfigError(f"remote URL {url!r}: invalid bucket name {bucket!r}")
    if parts.fragment:
        raise ConfigError(f"remote URL {url!r}: fragments are not allowed")
    prefix = unquote(parts.path).strip("/")
    if "//" in prefix or any(p in (".", "..") for p in prefix.split("/")):
        raise ConfigError(f"remote URL {url!r}: invalid prefix {prefix!r}")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ConfigError(f"remote URL {url!r}: malformed query {parts.query!r}") from None
    unknown = sorted(set(query) - {"endpoint"})
    if unknown or any(len(v) != 1 for v in query.values()):
        what = ", ".join(unknown) or "endpoint"
        raise ConfigError(f"remote URL {url!r}: unknown or repeated query option {what}")
    endpoint = s3_endpoint or (query["endpoint"][0] if "endpoint" in query else None)
    if endpoint is not None and not re.match(r"^https?://[^/?#\s]+/?$", endpoint):
        raise ConfigError(
            f"remote URL {url!r}: S3 endpoint {endpoint!r} is not http(s)://host[:port]"
        )
    return S3Backend(bucket, prefix, endpoint_url=endpoint)
