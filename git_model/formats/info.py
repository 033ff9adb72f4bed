"""The values every model header reader returns: a tensor table and string metadata.

They live apart from ``__init__`` so the reader modules can import them without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TensorInfo:
    """One tensor as the header describes it.

    ``dtype`` is the format's own name for the element type (safetensors ``F32``, ONNX
    ``FLOAT``, GGUF ``Q4_0``); ``shape`` is row-major, outermost dimension first, in every
    format. ``offset`` is the absolute byte offset of the tensor's raw little-endian data in
    the file, or ``None`` when the data is not stored there as one raw run (ONNX external
    data, or ONNX values encoded as varints). ``nbytes`` is the size of that data.
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    offset: int | None
    nbytes: int


@dataclass(frozen=True)
class ModelInfo:
    """A model's header: ``format`` is ``"safetensors"``, ``"onnx"`` or ``"gguf"``; tensors in
    file order; metadata values are strings (each reader documents what it puts there)."""

    format: str
    tensors: tuple[TensorInfo, ...]
    metadata: dict[str, str] = field(default_factory=dict)

    def tensor(self, name: str) -> TensorInfo | None:
        """The tensor called ``name``, or None."""
        for info in self.tensors:
            if info.name == name:
                return info
        return None
