"""Test harness for the model format tests: one writer per format, and a stream that counts
what is read from it (to prove that readers skip tensor data)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Callable

from modelgen import write_gguf, write_onnx, write_safetensors

WRITERS: dict[str, tuple[Callable[..., Path], str]] = {
    "safetensors": (write_safetensors, ".safetensors"),
    "onnx": (write_onnx, ".onnx"),
    "gguf": (write_gguf, ".gguf"),
}


class CountingStream(io.RawIOBase):
    """A seekable read-only stream over a file that counts the bytes handed out."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb", buffering=0)
        self.bytes_read = 0
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._file.readinto(buffer) or 0
        self.bytes_read += n
        self.largest_read = max(self.largest_read, n)
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()
        super().close()
