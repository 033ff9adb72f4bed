"""Tensor-by-tensor diff of two model versions, streaming their data in bounded slices.

Tensors are matched by name. For a pair with the same dtype and shape, bytes are compared
slice by slice first (cheap, and most tensors of a fine-tune are unchanged); only when a
slice differs are values decoded to float64 and measured. Slices hold at most 4 MiB of raw
data and 512 Ki elements, so memory stays constant whatever the model size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

import numpy as np

from git_model.errors import FormatError
from git_model.formats.cursor import read_exact
from git_model.formats.dtypes import Decoder, canonical, decoder
from git_model.formats.info import ModelInfo, TensorInfo

SLICE_BYTES = 4 * 1024 * 1024
SLICE_ELEMENTS = 512 * 1024
JSON_VERSION = 1


@dataclass(frozen=True)
class TensorChange:
    """A tensor in both models whose dtype, shape or data differ.

    ``reason`` is ``"dtype"``, ``"shape"`` (dtype kept), ``"values"`` (decoded and measured:
    ``differing`` elements, ``max_abs`` = max |new - old|, ``rel_l2`` = ||new - old|| / ||old||)
    or ``"bytes"`` (no numeric decoder, e.g. quantized: ``differing`` bytes; None when the
    sizes themselves differ). Elements whose bits are equal count as equal (NaN included); a
    value that becomes or stops being NaN is an infinite difference; ||old|| ignores
    non-finite values, and is 0 only if the difference is too (else rel_l2 is inf).
    """

    name: str
    old: TensorInfo
    new: TensorInfo
    reason: str
    differing: int | None = None
    max_abs: float | None = None
    rel_l2: float | None = None


@dataclass(frozen=True)
class ModelDiff:
    """What changed between two versions of a model. ``added`` and ``changed`` follow the new
    model's tensor order, ``removed`` the old one's; ``skipped`` names tensors with equal dtype
    and shape whose data is not one raw run in the file (ONNX external data or varint-encoded
    values: ``TensorInfo.offset`` is None), so they were not compared;
    ``metadata`` maps each key whose value differs to (old, new), None meaning absent."""

    old_format: str
    new_format: str
    added: tuple[TensorInfo, ...]
    removed: tuple[TensorInfo, ...]
    changed: tuple[TensorChange, ...]
    unchanged: int
    skipped: tuple[str, ...] = ()
    metadata: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; this schema (``version`` 1) is stable::

            {"version": 1, "old_format": str, "new_format": str,
             "summary": {"added": int, "removed": int, "changed": int,
                         "unchanged": int, "skipped": int},
             "added": [TENSOR], "removed": [TENSOR],
             "changed": [{"name": str, "reason": "dtype"|"shape"|"values"|"bytes",
                          "old": TENSOR, "new": TENSOR, "differing": int|null,
                          "max_abs": NUMBER|null, "rel_l2": NUMBER|null}],
             "skipped": [str], "metadata": {key: {"old": str|null, "new": str|null}}}

        where TENSOR is ``{"name": str, "dtype": str, "shape": [int], "nbytes": int}`` and a
        NUMBER is a float, or the string "inf" / "nan" (JSON has no non-finite numbers).
        """
        return {
            "version": JSON_VERSION,
            "old_format": self.old_format,
            "new_format": self.new_format,
            "summary": {
                "added": len(self.added), "removed": len(self.removed),
                "changed": len(self.changed), "unchanged": self.unchanged,
                "skipped": len(self.skipped),
            },
            "added": [_tensor_json(t) for t in self.added],
            "removed": [_tensor_json(t) for t in self.removed],
            "changed": [
                {
                    "name": c.name, "reason": c.reason,
                    "old": _tensor_json(c.old), "new": _tensor_json(c.new),
                    "differing": c.differing,
                    "max_abs": _number(c.max_abs), "rel_l2": _number(c.rel_l2),
                }
                for c in self.changed
            ],
            "skipped": list(self.skipped),
            "metadata": {k: {"old": old, "new": new} for k, (old, new) in self.metadata.items()},
        }

    def format_text(self) -> str:
        """A human summary: a count line, then one line per changed (~), added (+),
        removed (-) and skipped (?) tensor, then changed metadata keys."""
        summary = (
            f"{len(self.changed)} changed, {len(self.added)} added, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged ({self.old_format} -> {self.new_format})"
        )
        lines = [summary]
        lines += [_change_text(c) for c in self.changed]
        lines += [f"+ {t.name}  {t.dtype} {list(t.shape)}" for t in self.added]
        lines += [f"- {t.name}  {t.dtype} {list(t.shape)}" for t in self.removed]
        lines += [f"? {name}  not compared: no raw data in the file" for name in self.skipped]
        lines += [f"metadata {k}: {old!r} -> {new!r}" for k, (old, new) in self.metadata.items()]
        return "\n".join(lines)


def diff_models(
    old_info: ModelInfo,
    old_stream: BinaryIO,
    new_info: ModelInfo,
    new_stream: BinaryIO,
    *,
    old_name: str = "old",
    new_name: str = "new",
) -> ModelDiff:
    """Compare two models read by ``read_model_info`` from the given seekable streams.

    Reads only tensor data of tensors present in both with equal dtype and shape, in slices.
    Names are used in errors: FormatError when a tensor's data lies past the end of its file.
    """
    old_by_name = {t.name: t for t in old_info.tensors}
    new_names = {t.name for t in new_info.tensors}
    changed: list[TensorChange] = []
    skipped: list[str] = []
    unchanged = 0
    for new in new_info.tensors:
        old = old_by_name.get(new.name)
        if old is None:
            continue
        change = _compare(old, (old_stream, old_name), new, (new_stream, new_name))
        if change == "skipped":
            skipped.append(new.name)
        elif change is None:
            unchanged += 1
        else:
            changed.append(change)
    return ModelDiff(
        old_format=old_info.format,
        new_format=new_info.format,
        added=tuple(t for t in new_info.tensors if t.name not in old_by_name),
        removed=tuple(t for t in old_info.tensors if t.name not in new_names),
        changed=tuple(changed),
        unchanged=unchanged,
        skipped=tuple(skipped),
        metadata=_metadata_changes(old_info.metadata, new_info.metadata),
    )


_Source = tuple[BinaryIO, str]


def _compare(
    old: TensorInfo, old_src: _Source, new: TensorInfo, new_src: _Source
) -> TensorChange | Literal["skipped"] | None:
    """None when equal, "skipped" when the data is not in the files, else the change."""
    if canonical(old.dtype) != canonical(new.dtype):
        return TensorChange(new.name, old, new, "dtype")
    if old.shape != new.shape:
        return TensorChange(new.name, old, new, "shape")
    if old.nbytes == new.nbytes == 0:
        return None
    if old.offset is None or new.offset is None:
        return "skipped"
    if old.nbytes != new.nbytes:
        return TensorChange(new.name, old, new, "bytes")
    codec = decoder(new.dtype)
    if codec and new.nbytes % codec.itemsize:
        codec = None  # not whole elements: compare bytes only
    itemsize = codec.itemsize if codec else 1
    step = min(SLICE_BYTES, SLICE_ELEMENTS * itemsize) if codec else SLICE_BYTES
    stats = _Stats(codec)
    for start in range(0, new.nbytes, step):
        size = min(step, new.nbytes - start)
        a = _read(old_src, old.offset + start, size)
        b = _read(new_src, new.offset + start, size)
        if not stats.started:
            if a == b:
                continue
            stats.start(old_src, old.offset, start, step)
        stats.add(a, b)
    if not stats.started:
        return None
    if codec is None:
        return TensorChange(new.name, old, new, "bytes", differing=stats.differing)
    return TensorChange(
        new.name, old, new, "values", stats.differing, stats.max_abs, stats.rel_l2()
    )


class _Stats:
    """Running difference measures over slices, begun at the first slice that differs."""

    def __init__(self, codec: Decoder | None) -> None:
        self.codec = codec
        self.started = False
        self.differing = 0
        self.max_abs = 0.0
        self.diff_sq = 0.0
        self.old_sq = 0.0

    def start(self, old_src: _Source, offset: int, prefix: int, step: int) -> None:
        """Account for the equal prefix: it adds nothing to the difference but does to ||old||,
        so re-read it (old side only) when values are measured."""
        self.started = True
        if self.codec is None:
            return
        for start in range(0, prefix, step):
            self.old_sq += _finite_sq(self.codec.decode(_read(old_src, offset + start, step)))

    def add(self, a: bytes, b: bytes) -> None:
        if self.codec is None:
            differs = np.frombuffer(a, np.uint8) != np.frombuffer(b, np.uint8)
            self.differing += int(np.count_nonzero(differs))
            return
        bits = f"<u{self.codec.itemsize}"
        differs = np.frombuffer(a, bits) != np.frombuffer(b, bits)
        self.differing += int(np.count_nonzero(differs))
        old = self.codec.decode(a)
        self.old_sq += _finite_sq(old)
        if not differs.any():
            return
        with np.errstate(invalid="ignore", over="ignore"):
            delta = np.abs(self.codec.decode(b)[differs] - old[differs])
        delta[np.isnan(delta)] = np.inf
        self.max_abs = max(self.max_abs, float(delta.max()))
        with np.errstate(over="ignore"):
            self.diff_sq += float(np.dot(delta, delta))

    def rel_l2(self) -> float:
        if self.old_sq > 0:
            return math.sqrt(self.diff_sq) / math.sqrt(self.old_sq)
        return 0.0 if self.diff_sq == 0 else math.inf


def _finite_sq(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    with np.errstate(over="ignore"):
        return float(np.dot(finite, finite))


def _read(src: _Source, offset: int, size: int) -> bytes:
    stream, name = src
    stream.seek(offset)
    data = read_exact(stream, size)
    if len(data) != size:
        raise FormatError(f"{name}: truncated: tensor data at byte {offset} ends past the file's end")
    return data


def _metadata_changes(
    old: dict[str, str], new: dict[str, str]
) -> dict[str, tuple[str | None, str | None]]:
    keys = list(old) + [k for k in new if k not in old]
    return {k: (old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)}


def _tensor_json(t: TensorInfo) -> dict[str, Any]:
    return {"name": t.name, "dtype": t.dtype, "shape": list(t.shape), "nbytes": t.nbytes}


def _number(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _change_text(c: TensorChange) -> str:
    head = f"~ {c.name}  "
    if c.reason == "dtype":
        shapes = f"{list(c.old.shape)} -> {list(c.new.shape)}"
        return head + f"dtype {c.old.dtype} -> {c.new.dtype}, shape {shapes}"
    if c.reason == "shape":
        return head + f"{c.new.dtype} shape {list(c.old.shape)} -> {list(c.new.shape)}"
    where = f"{c.new.dtype} {list(c.new.shape)}"
    if c.reason == "bytes":
        if c.differing is None:
            return head + f"{where}  size {c.old.nbytes} -> {c.new.nbytes} bytes"
        return head + f"{where}  {c.differing} of {c.new.nbytes} bytes differ"
    count = math.prod(c.new.shape)
    return head + (
        f"{where}  max_abs {c.max_abs:.4g}  rel_l2 {c.rel_l2:.4g}  "
        f"({c.differing} of {count} elements differ)"
    )
