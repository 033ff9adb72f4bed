"""safetensors reader: agreement with the safetensors package, and each strictness rule."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

from git_model.errors import FormatError
from git_model.formats.safetensors import read_safetensors


def build(header: dict | bytes, data: bytes = b"") -> io.BytesIO:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return io.BytesIO(struct.pack("<Q", len(raw)) + raw + data)


def fails(stream: io.BytesIO, match: str) -> None:
    with pytest.raises(FormatError, match=match) as err:
        read_safetensors(stream, "m.safetensors")
    assert str(err.value).startswith("m.safetensors: ") and "\n" not in str(err.value)


def test_agrees_with_the_safetensors_package(tmp_path: Path) -> None:
    arrays: dict[str, np.ndarray] = {
        "b": np.arange(12, dtype=np.float32).reshape(3, 4),
        "a": np.arange(5, dtype=np.int64),
        "c": np.zeros((0, 3), dtype=np.float16),
        "d": np.array([True, False]),
    }
    path = tmp_path / "x.safetensors"
    save_file(arrays, str(path), metadata={"format": "np", "k": "v"})
    with open(path, "rb") as stream:
        info = read_safetensors(stream, path.name)
    raw = path.read_bytes()
    with safe_open(str(path), "np") as ref:
        assert info.metadata == ref.metadata()
        assert {t.name for t in info.tensors} == set(ref.keys())
        for t in info.tensors:
            assert t.offset is not None
            assert t.shape == ref.get_tensor(t.name).shape
            assert raw[t.offset : t.offset + t.nbytes] == ref.get_tensor(t.name).tobytes()
    offsets = [t.offset or 0 for t in info.tensors]
    assert offsets == sorted(offsets)  # file order


def test_header_padding_and_empty_model() -> None:
    assert read_safetensors(build(b"{}      "), "e.safetensors").tensors == ()


def entry(dtype: str = "F32", shape: list = [2], offsets: list = [0, 8]) -> dict:  # noqa: B006
    return {"dtype": dtype, "shape": shape, "data_offsets": offsets}


@pytest.mark.parametrize(
    ("stream", "match"),
    [
        (io.BytesIO(b"\x01\x00"), "truncated: header length"),
        (io.BytesIO(struct.pack("<Q", 200_000_000) + b"{}"), "exceeds the 100000000 byte limit"),
        (io.BytesIO(struct.pack("<Q", 50) + b"{}"), "truncated: header length 50"),
        (build(b"[]"), "does not start with"),
        (build(b"{not json"), "not valid JSON"),
        (build(b'{"a": 1, "a": 2}'), "duplicate key 'a'"),
        (build(b"{" + b'"x":[' * 100000 + b"}"), "not valid JSON"),
        (build(b'{"\xff": 1}'), "not valid JSON"),
        (build({"__metadata__": {"k": 1}}), "__metadata__ is not an object of strings"),
        (build({"t": 5}), "tensor 't' is not a JSON object"),
        (build({"t": {"dtype": "F32"}}), "lacks data_offsets, shape"),
        (build({"t": entry(dtype="F128")}, bytes(8)), "unknown dtype 'F128'"),
        (build({"t": entry(shape=[-1])}, bytes(8)), "shape that is not"),
        (build({"t": entry(shape=[True])}, bytes(8)), "shape that is not"),
        (build({"t": entry(offsets=[0])}, bytes(8)), "data_offsets that are not"),
        (build({"t": entry(offsets=[0, 16])}, bytes(8)), "outside the 8 byte data buffer"),
        (build({"t": entry(offsets=[8, 0])}, bytes(8)), "outside"),
        (build({"t": entry(shape=[3])}, bytes(8)), "holds 8 bytes but F32 \\[3\\] needs 12"),
        (build({"t": entry("F4", [3], [0, 1])}, bytes(1)), "needs 1 bytes and 4 bits"),
        (build({"t": entry(), "u": entry(offsets=[4, 12])}, bytes(12)), "overlaps"),
        (build({"t": entry(), "u": entry(offsets=[12, 20])}, bytes(20)), "leaves a gap"),
        (build({"t": entry()}, bytes(9)), "tensors cover 8 bytes of a 9 byte data buffer"),
    ],
)
def test_malformed_headers(stream: io.BytesIO, match: str) -> None:
    fails(stream, match)


def test_sub_byte_dtype_accepted() -> None:
    info = read_safetensors(build({"t": entry("F4", [4], [0, 2])}, bytes(2)), "f4.safetensors")
    assert info.tensors[0].nbytes == 2
