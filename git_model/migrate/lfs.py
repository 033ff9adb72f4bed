"""Git LFS pointers and the local LFS object directory, read-only (for `migrate import`).

An LFS pointer (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md) is at most 1024
bytes of ``key value`` lines, ``version`` first and the other keys sorted; we need ``oid
sha256:<hex>`` and ``size``. Pointers with extensions (``ext-*`` keys) hold the output of an
extension program, not the file, and are refused. The object with that oid lives in
``<lfs storage>/objects/<oid[0:2]>/<oid[2:4]>/<oid>``, the storage being ``<git-common-dir>/lfs``
unless ``lfs.storage`` says otherwise (relative to the git directory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from git_model.errors import FormatError
from git_model.git.repo import Repo
from git_model.pointer import LFS_VERSION_URL, MAX_POINTER_SIZE

VERSION_URLS = (LFS_VERSION_URL, "https://hawser.github.com/spec/v1")
_LINE_RE = re.compile(rb"([a-z0-9.-]+) ([^\n]*)")
_OID_RE = re.compile(r"sha256:([0-9a-f]{64})")
_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True)
class LfsPointer:
    oid: str  # sha256 of the file, lowercase hex: also its git-model pointer oid
    size: int


def looks_like_lfs(data: bytes) -> bool:
    return any(data.startswith(f"version {url}\n".encode()) for url in VERSION_URLS)


def parse_lfs(data: bytes, source: str) -> LfsPointer:
    """Parse an LFS pointer strictly; FormatError naming ``source`` otherwise."""
    if len(data) > MAX_POINTER_SIZE or not data.endswith(b"\n"):
        raise FormatError(f"{source}: not a Git LFS pointer")
    values: dict[str, str] = {}
    for i, line in enumerate(data[:-1].split(b"\n")):
        match = _LINE_RE.fullmatch(line)
        if match is None:
            raise FormatError(f"{source}: malformed line {i + 1} in a Git LFS pointer")
        key, value = match[1].decode(), match[2].decode("utf-8", "replace")
        if i == 0 and (key != "version" or value not in VERSION_URLS):
            raise FormatError(f"{source}: not a Git LFS pointer (version line)")
        if key in values:
            raise FormatError(f"{source}: key {key!r} twice in a Git LFS pointer")
        values[key] = value
    if any(key.startswith("ext-") for key in values):
        raise FormatError(f"{source}: Git LFS pointers with extensions are not supported")
    oid = _OID_RE.fullmatch(values.get("oid", ""))
    if oid is None:
        raise FormatError(f"{source}: Git LFS pointer without a valid 'oid sha256:…' line")
    if _SIZE_RE.fullmatch(values.get("size", "")) is None:
        raise FormatError(f"{source}: Git LFS pointer without a valid 'size' line")
    return LfsPointer(oid[1], int(values["size"]))


def try_parse_lfs(data: bytes, source: str) -> LfsPointer | None:
    """The LFS pointer in ``data``; None when it does not start like one. A blob that starts
    like an LFS pointer but is malformed raises: it is not silently taken for a model."""
    if not looks_like_lfs(data):
        return None
    return parse_lfs(data, source)


class LfsObjects:
    """The repository's local LFS object directory."""

    def __init__(self, repo: Repo) -> None:
        storage = repo.config_get("lfs.storage")
        root = Path(storage).expanduser() if storage else repo.common_dir / "lfs"
        if not root.is_absolute():
            root = repo.common_dir / root
        self.objects = root / "objects"

    def path(self, oid: str) -> Path:
        return self.objects / oid[0:2] / oid[2:4] / oid

    def problem(self, pointer: LfsPointer) -> str | None:
        """Why the object cannot be migrated (missing, wrong size), or None when it is there."""
        path = self.path(pointer.oid)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return f"is not in {self.objects}"
        if size != pointer.size:
            return f"in {path} is {size} bytes, its pointer says {pointer.size}"
        return None
