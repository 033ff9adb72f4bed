"""Element types across formats: one canonical name each, and numeric decoding for diffs.

The readers keep each format's own dtype names (ONNX ``FLOAT``, safetensors ``F32``); diffs
compare canonical names so a model converted between formats is not reported as re-typed.
Decoding turns raw little-endian bytes into float64 so differences can be measured: numpy
views for IEEE and integer types, a bit shift for bfloat16, and 256-entry lookup tables built
from the bit layout for the 8-bit floats. Quantized and sub-byte types have no decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

# Format-specific name -> canonical (safetensors-style) name.
_ALIASES = {
    "FLOAT": "F32", "DOUBLE": "F64", "FLOAT16": "F16", "BFLOAT16": "BF16",
    "FLOAT8E4M3FN": "F8_E4M3", "FLOAT8E5M2": "F8_E5M2", "FLOAT8E4M3FNUZ": "F8_E4M3FNUZ",
    "FLOAT8E5M2FNUZ": "F8_E5M2FNUZ", "FLOAT8E8M0": "F8_E8M0", "INT8": "I8", "UINT8": "U8",
    "INT16": "I16", "UINT16": "U16", "INT32": "I32", "UINT32": "U32", "INT64": "I64",
    "UINT64": "U64", "COMPLEX64": "C64", "FLOAT4E2M1": "F4", "FLOAT6E2M3": "F6_E2M3",
    "FLOAT6E3M2": "F6_E3M2",
}


def canonical(dtype: str) -> str:
    """The safetensors-style name of a dtype from any format (unknown names unchanged)."""
    return _ALIASES.get(dtype, dtype)


def fp8_table(exp_bits: int, man_bits: int, bias: int, kind: str) -> np.ndarray:
    """Value of each of the 256 codes of a 1-sign/``exp_bits``/``man_bits`` float.

    ``kind`` says how the specials are encoded: ``"ieee"`` (all-ones exponent is inf/NaN,
    E5M2), ``"fn"`` (no infinities; only all-ones exponent and mantissa is NaN, E4M3FN) or
    ``"fnuz"`` (no infinities, no negative zero; 0x80 is the only NaN).
    """
    code = np.arange(256)
    sign = np.where(code & 0x80, -1.0, 1.0)
    exp = (code >> man_bits) & ((1 << exp_bits) - 1)
    man = code & ((1 << man_bits) - 1)
    frac = man / float(1 << man_bits)
    value = np.where(exp == 0, frac * 2.0 ** (1 - bias), (1.0 + frac) * 2.0 ** (exp - bias))
    value = sign * value
    top = (1 << exp_bits) - 1
    if kind == "ieee":
        value = np.where(exp == top, np.where(man == 0, sign * np.inf, np.nan), value)
    elif kind == "fn":
        value = np.where((exp == top) & (man == (1 << man_bits) - 1), np.nan, value)
    elif kind == "fnuz":
        value = np.where(code == 0x80, np.nan, value)
    else:
        raise ValueError(f"unknown float8 kind {kind!r}")
    value.flags.writeable = False
    return value


def e8m0_table() -> np.ndarray:
    """The 256 values of the unsigned exponent-only E8M0 scale type: 2**(code - 127), NaN at 0xFF."""
    value = np.where(np.arange(256) == 255, np.nan, 2.0 ** (np.arange(256) - 127.0))
    value.flags.writeable = False
    return value


@dataclass(frozen=True)
class Decoder:
    """How to measure one dtype: ``itemsize`` bytes per element, ``decode`` raw bytes to float64."""

    itemsize: int
    decode: Callable[[bytes], np.ndarray]


def _view(numpy_type: str) -> Decoder:
    dtype = np.dtype(numpy_type)

    def decode(raw: bytes) -> np.ndarray:
        with np.errstate(invalid="ignore"):  # signalling NaNs warn when widened
            return np.frombuffer(raw, dtype).astype(np.float64)

    return Decoder(dtype.itemsize, decode)


def _bf16(raw: bytes) -> np.ndarray:
    """bfloat16 is the top half of a float32: widen the bits and reinterpret."""
    bits = np.frombuffer(raw, "<u2").astype(np.uint32) << 16
    with np.errstate(invalid="ignore"):
        return bits.view(np.float32).astype(np.float64)


def _lookup(table: np.ndarray) -> Decoder:
    return Decoder(1, lambda raw: table[np.frombuffer(raw, np.uint8)])


_DECODERS: dict[str, Decoder] = {
    "F64": _view("<f8"), "F32": _view("<f4"), "F16": _view("<f2"), "BF16": Decoder(2, _bf16),
    "F8_E4M3": _lookup(fp8_table(4, 3, 7, "fn")), "F8_E5M2": _lookup(fp8_table(5, 2, 15, "ieee")),
    "F8_E4M3FNUZ": _lookup(fp8_table(4, 3, 8, "fnuz")),
    "F8_E5M2FNUZ": _lookup(fp8_table(5, 2, 16, "fnuz")), "F8_E8M0": _lookup(e8m0_table()),
    "BOOL": _view("u1"), "U8": _view("u1"), "I8": _view("i1"), "U16": _view("<u2"),
    "I16": _view("<i2"), "U32": _view("<u4"), "I32": _view("<i4"), "U64": _view("<u8"),
    "I64": _view("<i8"),
}


def decoder(dtype: str) -> Decoder | None:
    """The numeric decoder for ``dtype`` (any format's name), or None for quantized,
    sub-byte, complex and unknown types, which diffs compare byte by byte only."""
    return _DECODERS.get(canonical(dtype))
