"""safetensors header reader.

Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON (an object, possibly
padded with spaces), then the data buffer. Each JSON entry maps a tensor name to ``dtype``,
``shape`` and ``data_offsets`` (begin, end) relative to the buffer start; the optional
``__metadata__`` entry maps strings to strings. We validate as strictly as the reference
implementation does — header at most 100 MB, known dtypes, sizes that match dtype × shape,
tensors covering the buffer with no gap or overlap — so a file we accept is one every
safetensors loader accepts, and the tensor table can be trusted for byte-level work.
"""

from __future__ import annotations

import json
import math
from typing import Any, BinaryIO

from git_model.formats.cursor import Cursor, quote
from git_model.formats.info import ModelInfo, TensorInfo

MAX_HEADER_BYTES = 100_000_000

# Bits per element of every dtype the safetensors specification defines.
DTYPE_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
}


class SafetensorsFormat:
    """The safetensors ``ModelFormat``."""

    name: str = "safetensors"
    extensions: tuple[str, ...] = (".safetensors",)
    magic: bool = True

    def sniff(self, head: bytes) -> bool:
        """A plausible header length followed by the ``{`` that opens the JSON header."""
        if len(head) < 9 or head[8:9] != b"{":
            return False
        return 2 <= int.from_bytes(head[:8], "little") <= MAX_HEADER_BYTES

    def read(self, stream: BinaryIO, name: str) -> ModelInfo:
        return read_safetensors(stream, name)


def read_safetensors(stream: BinaryIO, name: str) -> ModelInfo:
    """Parse the header of the safetensors file ``stream`` (seekable); ``name`` is used in
    error messages. Reads only the header. Raises FormatError on any malformation."""
    cur = Cursor(stream, name)
    (length,) = cur.unpack("<Q", "header length")
    if length > MAX_HEADER_BYTES:
        raise cur.error(f"header length {length} exceeds the {MAX_HEADER_BYTES} byte limit")
    if length > cur.remaining():
        raise cur.error(
            f"truncated: header length {length} but only {cur.remaining()} bytes follow"
        )
    header = _parse_json(cur.read(length, "JSON header"), cur)
    data_start = 8 + length
    data_size = cur.size - data_start
    metadata = _metadata(header.pop("__metadata__", {}), cur)
    tensors = [_tensor(key, entry, data_start, data_size, cur) for key, entry in header.items()]
    tensors.sort(key=lambda t: (t.offset, t.nbytes))
    _check_coverage(tensors, data_start, data_size, cur)
    return ModelInfo("safetensors", tuple(tensors), metadata)


def _parse_json(raw: bytes, cur: Cursor) -> dict[str, Any]:
    if not raw.startswith(b"{"):
        raise cur.error("header does not start with '{'")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate key {quote(key)}")
            result[key] = value
        return result

    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates)
    except (ValueError, RecursionError) as exc:
        cause = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise cur.error(f"header is not valid JSON: {cause}") from None
    if not isinstance(header, dict):
        raise cur.error("header is not a JSON object")
    return header


def _metadata(value: Any, cur: Cursor) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise cur.error("__metadata__ is not an object of strings")
    return dict(value)


def _tensor(key: str, entry: Any, data_start: int, data_size: int, cur: Cursor) -> TensorInfo:
    where = f"tensor {quote(key)}"
    if not isinstance(entry, dict):
        raise cur.error(f"{where} is not a JSON object")
    missing = {"dtype", "shape", "data_offsets"} - entry.keys()
    if missing:
        raise cur.error(f"{where} lacks {', '.join(sorted(missing))}")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise cur.error(f"{where} has unknown dtype {quote(str(dtype))}")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise cur.error(f"{where} has a shape that is not a list of non-negative integers")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))):
        raise cur.error(f"{where} has data_offsets that are not two non-negative integers")
    begin, end = offsets
    if not begin <= end <= data_size:
        raise cur.error(
            f"{where} data_offsets [{begin}, {end}] lie outside the {data_size} byte data buffer"
        )
    bits = math.prod(shape) * DTYPE_BITS[dtype]
    if bits % 8 or end - begin != bits // 8:
        raise cur.error(
            f"{where} holds {end - begin} bytes but {dtype} {str(shape)[:80]} needs "
            f"{bits // 8} bytes{f' and {bits % 8} bits' if bits % 8 else ''}"
        )
    return TensorInfo(key, dtype, tuple(shape), data_start + begin, end - begin)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_coverage(tensors: list[TensorInfo], data_start: int, data_size: int, cur: Cursor) -> None:
    """Tensors (sorted by offset) must tile the data buffer exactly, as the spec requires."""
    expected = data_start
    for info in tensors:
        assert info.offset is not None
        if info.offset != expected:
            problem = "overlaps the one before it" if info.offset < expected else "leaves a gap"
            raise cur.error(
                f"tensor {quote(info.name)} at byte {info.offset} {problem} (expected {expected})"
            )
        expected += info.nbytes
    if expected != data_start + data_size:
        raise cur.error(
            f"tensors cover {expected - data_start} bytes of a {data_size} byte data buffer"
        )
