"""ONNX header reader: a protobuf wire-format scanner that never loads tensor data.

``onnx.load`` parses the whole ``ModelProto`` into memory, weights included. We walk the wire
format instead, reading only the fields we need (numbers from onnx.proto) and skipping the
rest by seeking: for an initializer's ``raw_data`` we record the absolute offset and length
of its bytes. Only the top-level graph's initializers are listed (tensors in ``Constant``
nodes, subgraphs and ``sparse_initializer`` are not). Metadata: the ``metadata_props``
entries, then ``ir_version``, ``producer_name``, ``producer_version``, ``domain``,
``model_version``, ``doc_string`` (when set) and ``opset`` (``"ai.onnx:17,com.microsoft:1"``);
the fixed fields win over a ``metadata_props`` entry of the same name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from git_model.formats.cursor import Cursor, quote
from git_model.formats.info import ModelInfo, TensorInfo

MAX_TEXT = 16 * 1024 * 1024  # longest name or metadata string we read into memory
VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5

# TensorProto.DataType: name and bits per element (None: strings, no fixed width).
DATA_TYPES: dict[int, tuple[str, int | None]] = {
    1: ("FLOAT", 32), 2: ("UINT8", 8), 3: ("INT8", 8), 4: ("UINT16", 16), 5: ("INT16", 16),
    6: ("INT32", 32), 7: ("INT64", 64), 8: ("STRING", None), 9: ("BOOL", 8),
    10: ("FLOAT16", 16), 11: ("DOUBLE", 64), 12: ("UINT32", 32), 13: ("UINT64", 64),
    14: ("COMPLEX64", 64), 15: ("COMPLEX128", 128), 16: ("BFLOAT16", 16),
    17: ("FLOAT8E4M3FN", 8), 18: ("FLOAT8E4M3FNUZ", 8), 19: ("FLOAT8E5M2", 8),
    20: ("FLOAT8E5M2FNUZ", 8), 21: ("UINT4", 4), 22: ("INT4", 4), 23: ("FLOAT4E2M1", 4),
    24: ("FLOAT8E8M0", 8), 25: ("UINT2", 2), 26: ("INT2", 2), 27: ("FLOAT6E2M3", 6),
    28: ("FLOAT6E3M2", 6),
}
# Packed typed fields whose payload is byte-for-byte the raw little-endian data.
RAW_TYPED_FIELDS = {4: ("FLOAT", "COMPLEX64"), 10: ("DOUBLE", "COMPLEX128")}
RAW_DATA, EXTERNAL = 9, 1
DATA_FIELDS = (4, 5, 6, 7, 9, 10, 11)  # float, int32, string, int64, raw, double, uint64


class OnnxFormat:
    """The ONNX ``ModelFormat``. ONNX has no magic number: detection is by extension, or a
    protobuf start that ONNX exporters write (``ir_version`` then ``producer_name``)."""

    name: str = "onnx"
    extensions: tuple[str, ...] = (".onnx",)
    magic: bool = False

    def sniff(self, head: bytes) -> bool:
        return len(head) >= 3 and head[0] == 0x08 and 1 <= head[1] <= 30 and head[2] == 0x12

    def read(self, stream: BinaryIO, name: str) -> ModelInfo:
        return read_onnx(stream, name)


@dataclass
class _Tensor:
    """An initializer while it is being scanned."""

    name: str = ""
    data_type: int = 0
    dims: list[int] = field(default_factory=list)
    first: tuple[int, int, int] = (0, 0, 0)  # field, offset, size of the first length-delimited run
    runs: int = 0  # data-bearing fields seen (an unpacked repeated field counts each element)
    stored: int = 0  # bytes in those fields
    location: int = 0
    external: dict[str, str] = field(default_factory=dict)


def read_onnx(stream: BinaryIO, name: str) -> ModelInfo:
    """Scan the ONNX ``ModelProto`` in ``stream`` (seekable); reads headers, seeks over data.
    Raises FormatError naming ``name`` on malformed protobuf or an invalid initializer."""
    cur = Cursor(stream, name)
    meta: dict[str, str] = {}
    props: dict[str, str] = {}
    opsets: list[str] = []
    tensors: list[TensorInfo] = []
    seen_graph = False
    for num, wire in _fields(cur, cur.size, "ModelProto"):
        if num == 1:
            meta["ir_version"] = str(_int64(cur, wire, "ir_version"))
        elif num in (2, 3, 4, 6):
            key = {2: "producer_name", 3: "producer_version", 4: "domain", 6: "doc_string"}[num]
            meta[key] = _text(cur, wire, key)
        elif num == 5:
            meta["model_version"] = str(_int64(cur, wire, "model_version"))
        elif num == 7:
            seen_graph = True
            tensors.extend(_graph(cur, _length(cur, wire, "graph")))
        elif num == 8:
            opsets.append(_opset(cur, _length(cur, wire, "opset_import")))
        elif num == 14:
            key, value = _entry(cur, _length(cur, wire, "metadata_props"), "metadata_props")
            props[key] = value
        else:
            _skip(cur, wire, f"ModelProto field {num}")
    if "ir_version" not in meta or not seen_graph:
        raise cur.error("not an ONNX model: no ir_version or no graph")
    if opsets:
        meta["opset"] = ",".join(opsets)
    names: set[str] = set()
    for info in tensors:
        if info.name in names:
            raise cur.error(f"two initializers are named {quote(info.name)}")
        names.add(info.name)
    return ModelInfo("onnx", tuple(tensors), {**props, **meta})


def _graph(cur: Cursor, end: int) -> Iterator[TensorInfo]:
    for num, wire in _fields(cur, end, "GraphProto"):
        if num == 5:
            yield _initializer(cur, _length(cur, wire, "initializer"))
        else:
            _skip(cur, wire, f"GraphProto field {num}")


def _initializer(cur: Cursor, end: int) -> TensorInfo:
    start = cur.tell()
    t = _Tensor()
    for num, wire in _fields(cur, end, "TensorProto"):
        if num == 1:
            t.dims.extend(_int64s(cur, wire, "dims"))
        elif num == 2:
            t.data_type = _int64(cur, wire, "data_type")
        elif num == 8:
            t.name = _text(cur, wire, "initializer name")
        elif num == 13:
            key, value = _entry(cur, _length(cur, wire, "external_data"), "external_data")
            t.external[key] = value
        elif num == 14:
            t.location = _int64(cur, wire, "data_location")
        elif num in DATA_FIELDS:
            stop = _length(cur, wire, "tensor data") if wire == LEN else -1
            offset = cur.tell()
            if stop < 0:
                _skip(cur, wire, "tensor data")
            else:
                cur.seek(stop, "tensor data")
                if not t.runs:
                    t.first = (num, offset, stop - offset)
            t.runs += 1
            t.stored += cur.tell() - offset
        else:
            _skip(cur, wire, f"TensorProto field {num}")
    return _tensor_info(cur, t, start)


def _tensor_info(cur: Cursor, t: _Tensor, start: int) -> TensorInfo:
    """Decide where the tensor's raw bytes are, checking sizes where the layout fixes them."""
    where = f"initializer {quote(t.name)} at byte {start}"
    if not t.name:
        raise cur.error(f"initializer at byte {start} has no name")
    if t.data_type == 0:
        raise cur.error(f"{where} has no data_type")
    if any(d < 0 for d in t.dims):
        raise cur.error(f"{where} has a negative dimension")
    dtype, bits = DATA_TYPES.get(t.data_type, (f"DATA_TYPE_{t.data_type}", None))
    count = math.prod(t.dims)
    logical = -(-count * bits // 8) if bits else None
    shape = tuple(t.dims)
    if t.location == EXTERNAL:
        length = t.external.get("length", "")
        valid = length.isascii() and length.isdigit() and len(length) <= 20
        nbytes = int(length) if valid else (logical or 0)
        return TensorInfo(t.name, dtype, shape, None, nbytes)
    num, offset, size = t.first
    if t.runs == 1 and (num == RAW_DATA or dtype in RAW_TYPED_FIELDS.get(num, ())):
        if bits and bits % 8 == 0 and size != logical:
            needs = f"{dtype} {list(shape)[:8]} needs {logical}"
            raise cur.error(f"{where} holds {size} data bytes but {needs}")
        return TensorInfo(t.name, dtype, shape, offset, size)
    if not t.runs and count > 0:
        raise cur.error(f"{where} has no data")
    return TensorInfo(t.name, dtype, shape, None, t.stored if logical is None else logical)


def _opset(cur: Cursor, end: int) -> str:
    domain, version = "", 0
    for num, wire in _fields(cur, end, "OperatorSetIdProto"):
        if num == 1:
            domain = _text(cur, wire, "opset domain")
        elif num == 2:
            version = _int64(cur, wire, "opset version")
        else:
            _skip(cur, wire, f"OperatorSetIdProto field {num}")
    return f"{domain or 'ai.onnx'}:{version}"


def _entry(cur: Cursor, end: int, what: str) -> tuple[str, str]:
    """A StringStringEntryProto (key = 1, value = 2)."""
    key = value = ""
    for num, wire in _fields(cur, end, what):
        if num == 1:
            key = _text(cur, wire, f"{what} key")
        elif num == 2:
            value = _text(cur, wire, f"{what} value")
        else:
            _skip(cur, wire, f"{what} field {num}")
    return key, value


# --- wire format -----------------------------------------------------------------------


def _fields(cur: Cursor, end: int, what: str) -> Iterator[tuple[int, int]]:
    """(field number, wire type) of each field up to ``end``; the caller consumes the value."""
    while cur.tell() < end:
        at = cur.tell()
        key = _varint(cur, f"{what} field key")
        num, wire = key >> 3, key & 7
        if num == 0 or wire not in (VARINT, FIXED64, LEN, FIXED32):
            raise cur.error(f"invalid protobuf field key {key} in {what} at byte {at}")
        yield num, wire
        if cur.tell() > end:
            raise cur.error(f"field {num} of {what} at byte {at} runs past the end of its message")
    if cur.tell() != end:
        raise cur.error(f"{what} runs past the end of the message containing it")


def _varint(cur: Cursor, what: str) -> int:
    at = cur.tell()
    value = 0
    for shift in range(0, 70, 7):
        byte = cur.read(1, what)[0]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value & 0xFFFF_FFFF_FFFF_FFFF
    raise cur.error(f"{what} at byte {at} is a varint longer than 10 bytes")


def _int64(cur: Cursor, wire: int, what: str) -> int:
    if wire != VARINT:
        raise cur.error(f"{what} at byte {cur.tell()} has wire type {wire}, expected a varint")
    value = _varint(cur, what)
    return value - (1 << 64) if value >> 63 else value


def _int64s(cur: Cursor, wire: int, what: str) -> list[int]:
    """A repeated int64, packed or not."""
    if wire != LEN:
        return [_int64(cur, wire, what)]
    end = _length(cur, wire, what)
    values = []
    while cur.tell() < end:
        values.append(_int64(cur, VARINT, what))
    if cur.tell() != end:
        raise cur.error(f"packed {what} runs past its end")
    return values


def _length(cur: Cursor, wire: int, what: str) -> int:
    """Read a length prefix; returns the absolute end of the value (checked to be in the file)."""
    if wire != LEN:
        raise cur.error(f"{what} at byte {cur.tell()} has wire type {wire}, expected a length")
    size = _varint(cur, f"{what} length")
    if size > cur.remaining():
        left = cur.remaining()
        raise cur.error(f"truncated: {what} at byte {cur.tell()} needs {size} bytes, {left} left")
    return cur.tell() + size


def _text(cur: Cursor, wire: int, what: str) -> str:
    end = _length(cur, wire, what)
    if end - cur.tell() > MAX_TEXT:
        raise cur.error(f"{what} at byte {cur.tell()} is longer than {MAX_TEXT} bytes")
    raw = cur.read(end - cur.tell(), what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise cur.error(f"{what} at byte {end - len(raw)} is not valid UTF-8") from None


def _skip(cur: Cursor, wire: int, what: str) -> None:
    if wire == VARINT:
        _varint(cur, what)
    elif wire == FIXED64:
        cur.skip(8, what)
    elif wire == FIXED32:
        cur.skip(4, what)
    else:
        cur.seek(_length(cur, wire, what), what)
