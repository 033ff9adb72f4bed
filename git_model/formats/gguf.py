"""GGUF header reader (versions 2 and 3, little-endian).

Layout: magic ``GGUF``; u32 version; u64 tensor count; u64 key/value count; the key/value
pairs (u64-length string key, u32 value type, value; arrays are u32 element type, u64 count,
elements); the tensor infos (name, u32 dimension count, u64 extents innermost first, u32 ggml
type, u64 offset into the data section); padding to ``general.alignment`` (default 32); the
data section. Checks follow llama.cpp's loader (unique keys and names, at most 4 dimensions,
rows a whole number of quantization blocks, tensors packed in order at aligned offsets, data
inside the file), so a file we accept is one llama.cpp can map. Metadata: scalar values as
strings (booleans ``true``/``false``); arrays summarised as ``[array of N <type>]``.
"""

from __future__ import annotations

import math
import struct
from typing import BinaryIO

from git_model.formats.cursor import Cursor, quote
from git_model.formats.info import ModelInfo, TensorInfo

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4
MAX_TEXT = 16 * 1024 * 1024  # longest key, name or string value we read into memory
MAX_ARRAY_DEPTH = 8

# ggml type id -> (name, elements per block, bytes per block); from ggml.h / gguf-py.
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40),
    10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
    26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2), 31: ("Q4_0_4_4", 32, 18), 32: ("Q4_0_4_8", 32, 18),
    33: ("Q4_0_8_8", 32, 18), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66),
    36: ("IQ4_NL_4_4", 32, 18), 37: ("IQ4_NL_4_8", 32, 18), 38: ("IQ4_NL_8_8", 32, 18),
    39: ("MXFP4", 32, 17), 40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
}

# GGUF value type -> (name, struct format or "" for string/array).
VALUE_TYPES: dict[int, tuple[str, str]] = {
    0: ("uint8", "<B"), 1: ("int8", "<b"), 2: ("uint16", "<H"), 3: ("int16", "<h"),
    4: ("uint32", "<I"), 5: ("int32", "<i"), 6: ("float32", "<f"), 7: ("bool", "<B"),
    8: ("string", ""), 9: ("array", ""), 10: ("uint64", "<Q"), 11: ("int64", "<q"),
    12: ("float64", "<d"),
}
STRING, ARRAY, UINT32, BOOL, FLOAT32 = 8, 9, 4, 7, 6


class GgufFormat:
    """The GGUF ``ModelFormat``: detected by its magic."""

    name: str = "gguf"
    extensions: tuple[str, ...] = (".gguf",)
    magic: bool = True

    def sniff(self, head: bytes) -> bool:
        return head.startswith(MAGIC)

    def read(self, stream: BinaryIO, name: str) -> ModelInfo:
        return read_gguf(stream, name)


def read_gguf(stream: BinaryIO, name: str) -> ModelInfo:
    """Parse the GGUF header in ``stream`` (seekable) and locate every tensor's data.
    Reads the header only (large arrays of fixed-size values are skipped by seeking).
    Raises FormatError naming ``name`` on any malformation."""
    cur = Cursor(stream, name)
    if cur.read(4, "magic") != MAGIC:
        raise cur.error("not a GGUF file: bad magic")
    (version,) = cur.unpack("<I", "version")
    if version & 0xFFFF == 0 and version:
        raise cur.error("big-endian GGUF files are not supported")
    if version not in (2, 3):
        raise cur.error(f"GGUF version {version} is not supported (only 2 and 3)")
    n_tensors, n_kv = cur.unpack("<QQ", "tensor and key/value counts")
    if n_kv * 13 > cur.remaining() or n_tensors * 24 > cur.remaining():
        raise cur.error(f"truncated: {n_tensors} tensors and {n_kv} key/value pairs cannot fit")
    metadata: dict[str, str] = {}
    alignment = DEFAULT_ALIGNMENT
    for _ in range(n_kv):
        key = _string(cur, "key")
        if key in metadata:
            raise cur.error(f"duplicate key {quote(key)}")
        (vtype,) = cur.unpack("<I", f"type of {quote(key)}")
        if key == "general.alignment":
            alignment = _alignment(cur, vtype)
            metadata[key] = str(alignment)
        else:
            metadata[key] = _value(cur, vtype, key)
    tensors = [_tensor_info(cur) for _ in range(n_tensors)]
    data_start = -(-cur.tell() // alignment) * alignment
    return ModelInfo("gguf", tuple(_place(cur, tensors, data_start, alignment)), metadata)


def _tensor_info(cur: Cursor) -> tuple[str, tuple[int, ...], int, int]:
    """(name, extents innermost first, ggml type, relative offset), sizes checked later."""
    name = _string(cur, "tensor name")
    (n_dims,) = cur.unpack("<I", f"dimension count of {quote(name)}")
    if n_dims > MAX_DIMS:
        raise cur.error(f"tensor {quote(name)} has {n_dims} dimensions, more than {MAX_DIMS}")
    extents = cur.unpack(f"<{n_dims}Q", f"extents of {quote(name)}")
    ggml_type, offset = cur.unpack("<IQ", f"type and offset of {quote(name)}")
    return name, extents, ggml_type, offset


def _place(
    cur: Cursor, infos: list[tuple[str, tuple[int, ...], int, int]], data_start: int, alignment: int
) -> list[TensorInfo]:
    """Check each tensor's type, size and offset against the packed layout llama.cpp expects."""
    tensors: list[TensorInfo] = []
    names: set[str] = set()
    expected = 0
    for name, extents, ggml_type, offset in infos:
        where = f"tensor {quote(name)}"
        if name in names:
            raise cur.error(f"duplicate {where}")
        names.add(name)
        if ggml_type not in GGML_TYPES:
            raise cur.error(f"{where} has unknown ggml type {ggml_type}")
        dtype, block, type_size = GGML_TYPES[ggml_type]
        row = extents[0] if extents else 1
        if row % block:
            raise cur.error(f"{where}: row of {row} is not a multiple of the {dtype} block ({block})")
        nbytes = math.prod(extents) // block * type_size
        if offset != expected:
            raise cur.error(f"{where} has data offset {offset}, expected {expected}")
        if data_start + offset + nbytes > cur.size:
            raise cur.error(f"truncated: {where} data ends past the end of the file")
        tensors.append(TensorInfo(name, dtype, tuple(reversed(extents)), data_start + offset, nbytes))
        expected = offset + -(-nbytes // alignment) * alignment
    return tensors


def _alignment(cur: Cursor, vtype: int) -> int:
    if vtype != UINT32:
        raise cur.error("general.alignment is not a uint32")
    value: int = cur.unpack("<I", "general.alignment")[0]
    if value == 0 or value & (value - 1):
        raise cur.error(f"general.alignment {value} is not a power of two")
    return value


def _value(cur: Cursor, vtype: int, key: str) -> str:
    """One value as metadata text; arrays are skipped and summarised."""
    if vtype not in VALUE_TYPES:
        raise cur.error(f"key {quote(key)} has unknown value type {vtype}")
    fmt = VALUE_TYPES[vtype][1]
    if vtype == STRING:
        return _string(cur, f"value of {quote(key)}")
    if vtype == ARRAY:
        elem_type, count = cur.unpack("<IQ", f"array header of {quote(key)}")
        _skip_array(cur, elem_type, count, key, 1)
        elem_name = VALUE_TYPES[elem_type][0]
        return f"[array of {count} {elem_name}]"
    (value,) = cur.unpack(fmt, f"value of {quote(key)}")
    if vtype == BOOL:
        if value > 1:
            raise cur.error(f"key {quote(key)} has boolean value {value}")
        return "true" if value else "false"
    if vtype == FLOAT32:
        return _float32_text(value)
    return repr(value)


def _skip_array(cur: Cursor, elem_type: int, count: int, key: str, depth: int) -> None:
    what = f"array of {quote(key)}"
    if elem_type not in VALUE_TYPES:
        raise cur.error(f"{what} has unknown element type {elem_type}")
    if depth > MAX_ARRAY_DEPTH:
        raise cur.error(f"{what} nests arrays deeper than {MAX_ARRAY_DEPTH}")
    fmt = VALUE_TYPES[elem_type][1]
    if fmt:
        cur.skip(count * struct.calcsize(fmt), what)
        return
    if count * (8 if elem_type == STRING else 12) > cur.remaining():
        raise cur.error(f"truncated: {what} of {count} elements cannot fit in the file")
    for _ in range(count):
        if elem_type == STRING:
            (length,) = cur.unpack("<Q", what)
            cur.skip(length, what)
        else:
            sub_type, sub_count = cur.unpack("<IQ", what)
            _skip_array(cur, sub_type, sub_count, key, depth + 1)


def _string(cur: Cursor, what: str) -> str:
    (length,) = cur.unpack("<Q", f"length of {what}")
    if MAX_TEXT < length <= cur.remaining():
        raise cur.error(f"{what} at byte {cur.tell()} is longer than {MAX_TEXT} bytes")
    raw = cur.read(length, what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise cur.error(f"{what} at byte {cur.tell() - length} is not valid UTF-8") from None


def _float32_text(value: float) -> str:
    """The shortest decimal that reads back as the same float32 (``0.1``, not ``0.100000001``)."""
    packed = struct.pack("<f", value)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        try:
            if struct.pack("<f", float(text)) == packed:
                return repr(float(text))
        except OverflowError:  # rounded past the largest float32
            continue
    return repr(value)
