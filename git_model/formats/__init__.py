"""Model header readers: the tensor table and metadata of a model file, from its header only.

Each format is a ``ModelFormat``; ``detect`` picks one from a file name and its first bytes,
``read_model_info`` reads a header from a seekable binary stream. No reader loads tensor data:
they read header bytes and seek past the rest, so memory and I/O do not grow with model size.
Malformed headers raise ``FormatError`` with a one-line message naming the file.
"""

from __future__ import annotations

import os
from typing import BinaryIO, Protocol

from git_model.errors import FormatError
from git_model.formats.gguf import GgufFormat
from git_model.formats.info import ModelInfo, TensorInfo
from git_model.formats.onnx import OnnxFormat
from git_model.formats.safetensors import SafetensorsFormat

__all__ = [
    "FORMATS", "HEAD_BYTES", "ModelFormat", "ModelInfo", "TensorInfo", "detect", "read_model_info",
]

HEAD_BYTES = 16  # how many leading bytes ``detect`` looks at


class ModelFormat(Protocol):
    """A model file format: recognised by extension or leading bytes, read header-only."""

    name: str
    extensions: tuple[str, ...]
    magic: bool  # sniff checks a magic number, trusted over the file's extension

    def sniff(self, head: bytes) -> bool:
        """True when ``head`` (the file's first bytes, maybe fewer than HEAD_BYTES) looks
        like this format. Must not raise."""
        ...

    def read(self, stream: BinaryIO, name: str) -> ModelInfo:
        """Read the header of ``stream`` (seekable, offsets absolute); FormatError naming
        ``name`` on malformed input. Moves the stream's position."""
        ...


FORMATS: tuple[ModelFormat, ...] = (GgufFormat(), SafetensorsFormat(), OnnxFormat())


def detect(path_or_name: str, head: bytes) -> ModelFormat | None:
    """The format of a file, or None when it is not a model we read.

    A magic number decides first (GGUF's ``GGUF``, safetensors' length-then-``{``), because
    it cannot lie; then the extension; then the weaker ONNX protobuf sniff for extensionless
    names. A file whose extension claims a format but whose content is malformed is still
    detected, so reading it reports the malformation instead of "not a model".
    """
    by_magic = [f for f in FORMATS if f.magic and f.sniff(head)]
    if by_magic:
        return by_magic[0]
    ext = os.path.splitext(path_or_name)[1].lower()
    for fmt in FORMATS:
        if ext in fmt.extensions:
            return fmt
    return next((f for f in FORMATS if f.sniff(head)), None)


def read_model_info(stream: BinaryIO, name: str) -> ModelInfo:
    """Detect the format of ``stream`` (seekable; the model starts at offset 0) from ``name``
    and its first bytes, and read its header. Raises FormatError when the format is not
    recognised or the header is malformed; the message names ``name``."""
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    fmt = detect(name, head)
    if fmt is None:
        known = ", ".join(f.name for f in FORMATS)
        raise FormatError(f"{name}: not a model file in a format we read ({known})")
    return fmt.read(stream, name)
