"""Clean and smudge as stream functions, shared by the one-shot and the long-running filter.

Clean: a valid pointer comes back unchanged; anything else goes into the store and its pointer
comes out. Smudge: a pointer becomes the file's verified bytes; anything that is not a pointer
passes through byte for byte; a damaged git-model pointer is an error.
"""

from __future__ import annotations

import os
import tempfile
from typing import BinaryIO, Callable, Iterator, Protocol

from git_model import pointer as pointer_mod
from git_model.errors import FormatError
from git_model.pointer import MAX_POINTER_SIZE, Pointer
from git_model.store.follow import PreviousVersion
from git_model.store.store import AddResult, LocalStore

Write = Callable[[bytes], object]

SKIP_SMUDGE_ENV = "GIT_MODEL_SKIP_SMUDGE"


class ReadableStream(Protocol):
    def read(self, size: int = -1) -> bytes: ...

    def readinto(self, target: memoryview) -> int: ...


class ReplayStream:
    """A stream that first returns ``prefix`` (bytes already peeked) and then ``inner``."""

    def __init__(self, prefix: bytes, inner: ReadableStream) -> None:
        self._prefix = memoryview(prefix)
        self._inner = inner

    def readinto(self, target: memoryview) -> int:
        if self._prefix:
            n = min(len(target), len(self._prefix))
            target[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        return self._inner.readinto(target)

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            n = len(self._prefix) if size < 0 else min(size, len(self._prefix))
            part = bytes(self._prefix[:n])
            self._prefix = self._prefix[n:]
            return part
        return self._inner.read(size)


def read_up_to(stream: ReadableStream, limit: int) -> bytes:
    """Up to ``limit`` bytes; fewer only at the end of the stream."""
    parts, total = [], 0
    while total < limit:
        part = stream.read(limit - total)
        if not part:
            break
        parts.append(part)
        total += len(part)
    return b"".join(parts)


def clean(
    store: LocalStore, stream: ReadableStream, previous: Callable[[], PreviousVersion | None] | None = None
) -> tuple[bytes, AddResult | None]:
    """Return (pointer bytes for git, store result or None when the input was a pointer).
    ``previous`` gives the version this content replaces, if known (a speed-up only)."""
    head = read_up_to(stream, MAX_POINTER_SIZE + 1)
    if len(head) <= MAX_POINTER_SIZE and pointer_mod.try_parse(head) is not None:
        return head, None
    result = store.add(ReplayStream(head, stream), previous)  # type: ignore[arg-type]
    return result.pointer.encode(), result


def skip_smudge() -> bool:
    return os.environ.get(SKIP_SMUDGE_ENV, "") not in ("", "0", "false")


def parse_smudge_input(head: bytes, path: str) -> Pointer | None:
    """The pointer in a smudge input's first bytes; None when it is not a pointer at all.

    Input that starts like a git-model pointer but does not parse is an error: writing the
    damaged pointer text as if it were the model would hide the problem.
    """
    found = pointer_mod.try_parse(head)
    if found is None and head.startswith(b"version https://git-model.dev/spec/"):
        pointer_mod.parse(head, path)  # raises FormatError with the precise cause
        raise FormatError(f"{path}: damaged git-model pointer")
    return found


def smudge_source(
    store: LocalStore, stream: ReadableStream, path: str, ensure_local: Callable[[list[Pointer]], object] | None = None
) -> Iterator[bytes]:
    """The smudged content of ``stream``. The input is consumed entirely before this returns
    (Git does not read our answer until it has written all its input), so a non-pointer input
    is spooled to a temp file rather than echoed while Git is still writing."""
    head = read_up_to(stream, MAX_POINTER_SIZE + 1)
    found = None if skip_smudge() else parse_smudge_input(head, path)
    if found is not None:
        read_up_to(stream, 1)  # a pointer is the whole input; consume the end
        if ensure_local is not None and not store.has_complete(found):
            ensure_local([found])
        return store.read(found, path)
    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    spool.write(head)
    while block := stream.read(1 << 20):
        spool.write(block)
    spool.seek(0)
    return iter(lambda: spool.read(1 << 20), b"")


def smudge(
    store: LocalStore,
    stream: ReadableStream,
    out: BinaryIO,
    path: str,
    ensure_local: Callable[[list[Pointer]], object] | None = None,
) -> None:
    for block in smudge_source(store, stream, path, ensure_local):
        out.write(block)
