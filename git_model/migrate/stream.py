"""The `git fast-export` stream: a strict, incremental parser and the writer for `git fast-import`.

The parser reads the subset of the fast-import language that `git fast-export` writes (see
docs/migrate.md): `blob`, `commit` with `M`/`D`/`deleteall`/`N` changes, `tag`, `reset`,
`feature`/`option`/`progress`/`checkpoint` directives and `done`. Payloads use the exact-count
form `data <n>`; the delimited form, `inline` data, copy/rename entries and any unknown line are
a FormatError naming the line, never skipped.

Commit and tag messages are read into memory (they are small); a blob's payload is not: a
`Blob` carries a `BoundedReader` over exactly its bytes, owned by the parser and valid only until
the next command is requested (whatever the consumer did not read is skipped then).

Paths are kept twice: ``raw_path`` exactly as the stream wrote it (C-quoted or not), so a change
can be written back unaltered, and ``path``, the unquoted bytes used for pattern matching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from git_model.errors import FormatError

Write = Callable[[bytes], object]

_DATA_RE = re.compile(rb"data (0|[1-9][0-9]{0,18})")
_MODE_RE = re.compile(rb"[0-7]{3,6}")
_DATAREF_RE = re.compile(rb":[1-9][0-9]*|[0-9a-f]{40}|[0-9a-f]{64}")
_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12, ord("r"): 13,
            ord('"'): 34, ord("\\"): 92}
_BLOCK = 1 << 20


class BoundedReader:
    """Exactly ``size`` bytes of ``inner`` (a payload inside a larger stream).

    Reads never go past the payload's end; ``inner`` ending before it is a FormatError naming
    ``source``. The reader does not own ``inner`` and never closes it.
    """

    def __init__(self, inner: BinaryIO, size: int, source: str) -> None:
        self._inner = inner
        self.size = size
        self.remaining = size
        self._source = source

    def _short(self) -> FormatError:
        return FormatError(
            f"{self._source}: stream ends {self.remaining} bytes before the end of a {self.size}-byte payload"
        )

    def readinto(self, target: memoryview) -> int:
        if self.remaining == 0:
            return 0
        view = memoryview(target)
        want = min(len(view), self.remaining)
        n = self._inner.readinto(view[:want])  # type: ignore[attr-defined]
        if not n:
            raise self._short()
        self.remaining -= n
        return n

    def read(self, size: int = -1) -> bytes:
        want = self.remaining if size < 0 else min(size, self.remaining)
        parts = []
        while want > 0:
            part = self._inner.read(want)
            if not part:
                raise self._short()
            parts.append(part)
            want -= len(part)
            self.remaining -= len(part)
            if size >= 0:
                break  # one short read is allowed, like any stream
        return b"".join(parts)

    def drain(self) -> None:
        """Skip whatever is left of the payload."""
        while self.remaining:
            self.read(min(self.remaining, _BLOCK))


@dataclass(frozen=True)
class FileModify:
    mode: bytes
    dataref: bytes  # ":<mark>" or an object id
    path: bytes  # unquoted
    raw_path: bytes  # as written in the stream


@dataclass(frozen=True)
class FileDelete:
    path: bytes
    raw_path: bytes


@dataclass(frozen=True)
class RawChange:
    """A change line passed through unaltered (`deleteall`, `N` note changes)."""

    line: bytes


Change = FileModify | FileDelete | RawChange


@dataclass(frozen=True)
class Blob:
    mark: bytes | None
    original_oid: bytes | None
    data: BoundedReader


@dataclass(frozen=True)
class Commit:
    ref: bytes
    mark: bytes | None
    original_oid: bytes | None
    headers: tuple[bytes, ...]  # the lines between `commit` and `data`, in stream order
    message: bytes
    parents: tuple[bytes, ...]  # `from` first, then each `merge`
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Tag:
    name: bytes
    headers: tuple[bytes, ...]  # mark, from, original-oid, tagger lines, in stream order
    message: bytes


@dataclass(frozen=True)
class Reset:
    ref: bytes
    source: bytes | None  # the `from` value


@dataclass(frozen=True)
class Directive:
    """`feature`, `option`, `progress` or `checkpoint`: one line passed through."""

    line: bytes


@dataclass(frozen=True)
class Done:
    pass


Command = Blob | Commit | Tag | Reset | Directive | Done


def unquote_path(raw: bytes) -> bytes:
    """Git's C-style quoting undone; an unquoted path is returned as it is. ValueError when
    the quoting is malformed."""
    if not raw.startswith(b'"'):
        return raw
    if len(raw) < 2 or not raw.endswith(b'"'):
        raise ValueError("unterminated quoted path")
    out = bytearray()
    i, end = 1, len(raw) - 1
    while i < end:
        c = raw[i]
        if c == 0x22:
            raise ValueError("unescaped quote inside a quoted path")
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        if i + 1 >= end:
            raise ValueError("backslash at the end of a quoted path")
        e = raw[i + 1]
        if 0x30 <= e <= 0x37:
            digits = raw[i + 1 : i + 4]
            if len(digits) != 3 or not all(0x30 <= d <= 0x37 for d in digits) or i + 4 > end:
                raise ValueError("bad octal escape in a quoted path")
            value = int(digits, 8)
            if value > 0xFF:
                raise ValueError("bad octal escape in a quoted path")
            out.append(value)
            i += 4
        elif e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
        else:
            raise ValueError(f"unknown escape \\{chr(e)} in a quoted path")
    return bytes(out)


class StreamReader:
    """Iterate over the commands of a fast-export stream read from ``stream``.

    Errors are FormatError with a one-line message: ``source``, the line number and the cause.
    Iteration stops after `done` or at the end of the stream.
    """

    def __init__(self, stream: BinaryIO, source: str = "git fast-export") -> None:
        self._stream = stream
        self._source = source
        self._pending: bytes | None = None
        self.line_number = 0
        self._open_blob: BoundedReader | None = None

    # -- lines -------------------------------------------------------------------------
    def _error(self, cause: str) -> FormatError:
        return FormatError(f"{self._source}: line {self.line_number}: {cause}")

    def _line(self) -> bytes | None:
        """The next line without its LF; None at the end of the stream."""
        if self._pending is not None:
            line, self._pending = self._pending, None
            return line
        raw = self._stream.readline()
        if not raw:
            return None
        self.line_number += 1
        if not raw.endswith(b"\n"):
            raise self._error(f"stream ends inside a line ({_show(raw)})")
        return raw[:-1]

    def _push_back(self, line: bytes) -> None:
        self._pending = line

    def _required_line(self, inside: str) -> bytes:
        line = self._line()
        if line is None:
            raise self._error(f"stream ends inside a {inside}")
        return line

    def _optional_lf(self) -> None:
        line = self._line()
        if line is not None and line != b"":
            self._push_back(line)

    def _data_size(self, line: bytes, inside: str) -> int:
        match = _DATA_RE.fullmatch(line)
        if match is None:
            if line.startswith(b"data <<"):
                raise self._error(f"delimited data in a {inside} is not supported")
            raise self._error(f"expected 'data <size>' in a {inside}, got {_show(line)}")
        return int(match[1])

    def _payload(self, size: int, inside: str) -> bytes:
        reader = BoundedReader(self._stream, size, f"{self._source}: line {self.line_number}: {inside}")
        data = reader.read()
        self._optional_lf()
        return data

    # -- commands ----------------------------------------------------------------------
    def __iter__(self) -> Iterator[Command]:
        while True:
            if self._open_blob is not None:
                self._open_blob.drain()
                self._open_blob = None
                self._optional_lf()
            line = self._line()
            if line is None:
                return
            if line == b"" or line.startswith(b"#"):
                continue
            if line == b"blob":
                yield self._blob()
            elif line.startswith(b"commit "):
                yield self._commit(line[7:])
            elif line.startswith(b"tag "):
                yield self._tag(line[4:])
            elif line.startswith(b"reset "):
                yield self._reset(line[6:])
            elif line.startswith((b"feature ", b"option ", b"progress ")) or line == b"checkpoint":
                yield Directive(line)
            elif line == b"done":
                yield Done()
                return
            else:
                raise self._error(f"unexpected command {_show(line)}")

    def _blob(self) -> Blob:
        mark = original = None
        while True:
            line = self._required_line("blob")
            if line.startswith(b"mark "):
                mark = line[5:]
            elif line.startswith(b"original-oid "):
                original = line[13:]
            else:
                size = self._data_size(line, "blob")
                break
        reader = BoundedReader(self._stream, size, f"{self._source}: line {self.line_number}: blob")
        self._open_blob = reader
        return Blob(mark, original, reader)

    def _commit(self, ref: bytes) -> Commit:
        headers: list[bytes] = []
        mark = original = None
        has_committer = False
        while True:
            line = self._required_line("commit")
            if line.startswith(b"data "):
                break
            if line.startswith(b"mark "):
                mark = line[5:]
            elif line.startswith(b"original-oid "):
                original = line[13:]
            elif line.startswith(b"committer "):
                has_committer = True
            elif not line.startswith((b"author ", b"encoding ")):
                raise self._error(f"unexpected line in a commit header: {_show(line)}")
            headers.append(line)
        if not has_committer:
            raise self._error("commit without a committer line")
        message = self._payload(self._data_size(line, "commit"), "commit message")
        parents: list[bytes] = []
        changes: list[Change] = []
        while True:
            next_line = self._line()
            if next_line is None or next_line == b"":
                break
            line = next_line
            if line.startswith((b"from ", b"merge ")):
                if changes:
                    raise self._error(f"{_show(line)} after file changes")
                if line.startswith(b"from ") and parents:
                    raise self._error("second 'from' line in a commit")
                if line.startswith(b"merge ") and not parents:
                    raise self._error("'merge' line before 'from'")
                parents.append(line.split(b" ", 1)[1])
            elif line[:2] in (b"M ", b"D ", b"C ", b"R ", b"N ") or line == b"deleteall":
                changes.append(self._change(line))
            else:
                self._push_back(line)  # the commit ended without its blank line
                break
        return Commit(ref, mark, original, tuple(headers), message, tuple(parents), tuple(changes))

    def _change(self, line: bytes) -> Change:
        kind = line[:1]
        if line == b"deleteall" or kind == b"N":
            return RawChange(line)
        if kind in (b"C", b"R"):
            raise self._error("copy/rename entries are not supported (the stream must come without -M/-C)")
        if kind == b"D":
            return FileDelete(self._path(line[2:]), line[2:])
        fields = line[2:].split(b" ", 2)
        if len(fields) != 3 or not _MODE_RE.fullmatch(fields[0]):
            raise self._error(f"malformed file change {_show(line)}")
        mode, dataref, raw_path = fields
        if dataref == b"inline":
            raise self._error("inline data in a file change is not supported")
        if not _DATAREF_RE.fullmatch(dataref):
            raise self._error(f"malformed data reference in {_show(line)}")
        return FileModify(mode, dataref, self._path(raw_path), raw_path)

    def _path(self, raw: bytes) -> bytes:
        if not raw:
            raise self._error("file change without a path")
        try:
            return unquote_path(raw)
        except ValueError as err:
            raise self._error(f"{err}: {_show(raw)}") from None

    def _tag(self, name: bytes) -> Tag:
        headers: list[bytes] = []
        while True:
            line = self._required_line("tag")
            if line.startswith(b"data "):
                break
            if not line.startswith((b"mark ", b"from ", b"original-oid ", b"tagger ")):
                raise self._error(f"unexpected line in a tag: {_show(line)}")
            headers.append(line)
        if not any(h.startswith(b"from ") for h in headers):
            raise self._error("tag without a 'from' line")
        message = self._payload(self._data_size(line, "tag"), "tag message")
        return Tag(name, tuple(headers), message)

    def _reset(self, ref: bytes) -> Reset:
        line = self._line()
        source = None
        if line is not None and line.startswith(b"from "):
            source = line[5:]
            self._optional_lf()
        elif line is not None and line != b"":
            self._push_back(line)
        return Reset(ref, source)


def _show(line: bytes) -> str:
    text = line[:60].decode("utf-8", "backslashreplace")
    return repr(text + ("…" if len(line) > 60 else ""))


# -- writing -------------------------------------------------------------------------------
def data_header(size: int) -> bytes:
    return b"data %d\n" % size


def encode_commit_head(commit: Commit) -> bytes:
    """`commit`, its headers, message and parents: everything before the file changes."""
    parts = [b"commit ", commit.ref, b"\n"]
    for header in commit.headers:
        parts += [header, b"\n"]
    parts += [data_header(len(commit.message)), commit.message]  # as fast-export: no optional LF
    for i, parent in enumerate(commit.parents):
        parts += [b"from " if i == 0 else b"merge ", parent, b"\n"]
    return b"".join(parts)


def encode_change(change: Change) -> bytes:
    if isinstance(change, FileModify):
        return b"M %s %s %s\n" % (change.mode, change.dataref, change.raw_path)
    if isinstance(change, FileDelete):
        return b"D %s\n" % change.raw_path
    return change.line + b"\n"


def encode_inline_modify(mode: bytes, raw_path: bytes, size: int) -> bytes:
    """The head of an inline file change; ``size`` payload bytes and an LF must follow."""
    return b"M %s inline %s\n" % (mode, raw_path) + data_header(size)


def encode_tag(tag: Tag) -> bytes:
    parts = [b"tag ", tag.name, b"\n"]
    for header in tag.headers:
        parts += [header, b"\n"]
    parts += [data_header(len(tag.message)), tag.message, b"\n"]
    return b"".join(parts)


def encode_reset(reset: Reset) -> bytes:
    if reset.source is None:
        return b"reset %s\n" % reset.ref
    return b"reset %s\nfrom %s\n\n" % (reset.ref, reset.source)


def encode_directive(directive: Directive) -> bytes:
    return directive.line + b"\n"
