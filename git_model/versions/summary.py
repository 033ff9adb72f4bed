"""The text `git diff` and `git log -p` show for a model: the ``diff=model`` textconv driver.

Git hands the driver a file holding either the blob (a pointer) or the working-tree file
itself. We print one line per fact so that a line diff of two summaries reads well: format,
size, sha256 prefix, metadata, then one line per tensor (name, dtype, shape). Only headers
are read (through `StoredFile` for a pointer), never whole models. This must not fail: a
model that is not local, or a header that cannot be read, becomes a note in the output.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO, Callable

from git_model import pointer as pointer_mod
from git_model.errors import GitModelError
from git_model.formats import HEAD_BYTES, ModelInfo, detect
from git_model.pointer import MAX_POINTER_SIZE, Pointer
from git_model.store.reader import StoredFile
from git_model.store.store import LocalStore
from git_model.versions.units import format_bytes

MAX_VALUE = 200  # metadata values are cut to this many characters


def _value(text: str) -> str:
    flat = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return flat if len(flat) <= MAX_VALUE else flat[: MAX_VALUE - 1] + "…"


def info_lines(info: ModelInfo) -> list[str]:
    lines = [f"format   {info.format}"]
    lines += [f"metadata {key} = {_value(value)}" for key, value in info.metadata.items()]
    lines.append(f"tensors  {len(info.tensors)}")
    lines += [f"tensor   {t.name}  {t.dtype}  {list(t.shape)}" for t in info.tensors]
    return lines


def _header_lines(stream: BinaryIO, name: str) -> list[str]:
    try:
        stream.seek(0)
        fmt = detect(name, stream.read(HEAD_BYTES))
        if fmt is None:
            return ["format   unknown (not safetensors, onnx or gguf)"]
        return info_lines(fmt.read(stream, name))
    except GitModelError as err:
        return [f"note     header not readable: {err}"]


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
            lines += [f"size     {size} ({format_bytes(size)})", "sha256   (working-tree file: not hashed)"]
            with open(path, "rb") as handle:
                return lines + _header_lines(handle, name)
        lines += [f"size     {pointer.size} ({format_bytes(pointer.size)})", f"sha256   {pointer.oid[:16]}"]
        local = store()
        if not local.has_complete(pointer):
            return lines + ["note     content not in the local store (run 'git model fetch'): pointer only"]
        with io.BufferedReader(StoredFile(local, pointer, name)) as handle:
            return lines + _header_lines(handle, name)  # type: ignore[arg-type]
    except (GitModelError, OSError) as err:
        return lines + [f"note     cannot summarize {name}: {err}"]
