"""The pointer file Git stores in place of a model (spec: docs/pointer-spec.md).

Exactly three LF-terminated lines, in this order, nothing else:

    version https://git-model.dev/spec/pointer/v1
    oid sha256:<64 lowercase hex>
    size <decimal bytes>

Parsing is strict: anything else is not a pointer. `Pointer.encode()` is canonical, so a pointer
cleaned again comes back byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from git_model.errors import FormatError

VERSION_URL = "https://git-model.dev/spec/pointer/v1"
LFS_VERSION_URL = "https://git-lfs.github.com/spec/v1"
MAX_POINTER_SIZE = 1024

_POINTER_RE = re.compile(
    rb"version (?P<version>\S+)\noid sha256:(?P<oid>[0-9a-f]{64})\nsize (?P<size>0|[1-9][0-9]{0,19})\n"
)


@dataclass(frozen=True)
class Pointer:
    oid: str  # sha256 of the whole file, lowercase hex
    size: int

    def encode(self) -> bytes:
        return f"version {VERSION_URL}\noid sha256:{self.oid}\nsize {self.size}\n".encode()

    @property
    def short(self) -> str:
        return self.oid[:12]


def parse(data: bytes, source: str = "<pointer>") -> Pointer:
    """Parse a pointer strictly; raise FormatError naming ``source`` and the problem."""
    if len(data) > MAX_POINTER_SIZE:
        raise FormatError(f"{source}: pointer is {len(data)} bytes, larger than {MAX_POINTER_SIZE}")
    match = _POINTER_RE.fullmatch(data)
    if match is None:
        raise FormatError(f"{source}: not a git-model pointer (expected version, oid sha256:…, size lines)")
    version = match["version"].decode()
    if version != VERSION_URL:
        raise FormatError(f"{source}: unsupported pointer version {version!r}")
    return Pointer(match["oid"].decode(), int(match["size"]))


def try_parse(data: bytes) -> Pointer | None:
    """The pointer in ``data``, or None when ``data`` is not exactly a valid pointer.

    This is the one place where "not a pointer" is a normal answer: the clean filter passes
    non-pointer content on to the store, and the smudge filter passes it through unchanged.
    """
    if len(data) > MAX_POINTER_SIZE or not data.startswith(b"version "):
        return None
    try:
        return parse(data)
    except FormatError:
        return None


def looks_like_pointer(data: bytes) -> bool:
    """True for anything that starts like a pointer (ours or Git LFS's), valid or not."""
    return data.startswith(b"version https://git-model.dev/spec/") or data.startswith(
        f"version {LFS_VERSION_URL}".encode()
    )
