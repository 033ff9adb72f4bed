"""The text `git diff` and `git log -p` show for a model: the ``diff=model`` textconv driver.

Git hands the driver a temp file holding the version in its working-tree form, so normally
the model itself (Git runs the smudge filter when it writes that file), or the pointer when
smudging is skipped, or the working-tree file. We print one line per fact so that a line diff
of two summaries reads well: size, sha256 prefix, format, metadata, then one line per tensor
(name, dtype, shape). For a model file we also hash its data in one streaming pass (Git has
just written the whole file anyway): the sha256 that names the version, and an xxh3-64 per
tensor, so the tensors that changed show up as changed lines. For a pointer only the header
is read, through `StoredFile`. This must not fail: a model that is not local, or a header
that cannot be read, becomes a note line.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import xxhash

from git_model import pointer as pointer_mod
from git_model.errors import GitModelError
from git_model.formats import HEAD_BYTES, ModelInfo, detect
from git_model.pointer import MAX_POINTER_SIZE, Pointer
from git_model.store.reader import StoredFile
from git_model.store.store import LocalStore
from git_model.versions.units import format_bytes

MAX_VALUE = 200  # metadata values are cut to this many characters
BLOCK = 1 << 20


def _value(text: str) -> str:
    flat = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return flat if len(flat) <= MAX_VALUE else flat[: MAX_VALUE - 1] + "…"


def info_lines(info: ModelInfo, digests: list[str | None] | None = None) -> list[str]:
    """Format, metadata and tensor lines; ``digests`` (one per tensor, None where the data is
    not one run in the file) are appended to the tensor lines when given."""
    lines = [f"format   {info.format}"]
    lines += [f"metadata {key} = {_value(value)}" for key, value in info.metadata.items()]
    lines.append(f"tensors  {len(info.tensors)}")
    for i, t in enumerate(info.tensors):
        line = f"tensor   {t.name}  {t.dtype}  {list(t.shape)}"
        if digests is not None:
            line += f"  data {digests[i] or '(not in the file)'}"
        lines.append(line)
    return lines


def read_header(stream: BinaryIO, name: str) -> ModelInfo | None:
    """The header, None when the file is in no format we read; FormatError when malformed."""
    stream.seek(0)
    fmt = detect(name, stream.read(HEAD_BYTES))
    return None if fmt is None else fmt.read(stream, name)


def digest_file(stream: BinaryIO, info: ModelInfo | None) -> tuple[str, list[str | None]]:
    """One pass over ``stream`` from its start: the sha256 of everything, and the xxh3-64 of
    each tensor's data (None for tensors without an offset). Memory: one block."""
    tensors = info.tensors if info else ()
    ranges = sorted(
        (t.offset, t.offset + t.nbytes, i) for i, t in enumerate(tensors) if t.offset is not None
    )
    hashers = {i: xxhash.xxh3_64() for _, _, i in ranges}
    whole = hashlib.sha256()
    stream.seek(0)
    pos, first = 0, 0
    while block := stream.read(BLOCK):
        view = memoryview(block)
        whole.update(view)
        end = pos + len(view)
        j = first
        while j < len(ranges) and ranges[j][0] < end:
            start, stop, i = ranges[j]
            lo, hi = max(start, pos), min(stop, end)
            if lo < hi:
                hashers[i].update(view[lo - pos : hi - pos])
            j += 1
        while first < len(ranges) and ranges[first][1] <= end:
            first += 1
        pos = end
    return whole.hexdigest(), [hashers[i].hexdigest() if i in hashers else None for i in range(len(tensors))]


def _header_lines(stream: BinaryIO, name: str) -> list[str]:
    try:
        info = read_header(stream, name)
    except GitModelError as err:
        return [f"note     header not readable: {err}"]
    if info is None:
        return ["format   unknown (not safetensors, onnx or gguf)"]
    return info_lines(info)


def _file_lines(stream: BinaryIO, name: str) -> list[str]:
    """sha256, then header lines with per-tensor digests (a malformed header: a note)."""
    problem = None
    try:
        info = read_header(stream, name)
    except GitModelError as err:
        info, problem = None, f"note     header not readable: {err}"
    sha256, digests = digest_file(stream, info)
    lines = [f"sha256   {sha256[:16]}"]
    if problem:
        return lines + [problem]
    if info is None:
        return lines + ["format   unknown (not safetensors, onnx or gguf)"]
    return lines + info_lines(info, digests)


def summary_lines(path: Path, name: str, store: Callable[[], LocalStore]) -> list[str]:
    """The summary of the file at ``path`` (a pointer or a model file); ``name`` is the model's
    path for format detection and messages; ``store`` is called only for a pointer. Never
    raises for a missing, unreadable or malformed model: the last line is then a note."""
    lines: list[str] = []
    try:
        size = path.stat().st_size
        pointer: Pointer | None = None
        if size <= MAX_POINTER_SIZE:
            pointer = pointer_mod.try_parse(path.read_bytes())
        if pointer is None:
            lines.append(f"size     {size} ({format_bytes(size)})")
            with open(path, "rb") as handle:
                return lines + _file_lines(handle, name)
        lines += [f"size     {pointer.size} ({format_bytes(pointer.size)})", f"sha256   {pointer.oid[:16]}"]
        local = store()
        if not local.has_complete(pointer):
            return lines + ["note     content not in the local store (run 'git model fetch'): pointer only"]
        with io.BufferedReader(StoredFile(local, pointer, name)) as handle:
            return lines + _header_lines(handle, name)
    except (GitModelError, OSError) as err:
        return lines + [f"note     cannot summarize {name}: {err}"]
