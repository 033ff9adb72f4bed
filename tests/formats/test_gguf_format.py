"""GGUF reader: checked against the gguf package's writer and reader, and on malformed input."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import gguf
import numpy as np
import pytest
from modelgen import gguf_tensor_bytes, write_gguf

from git_model.errors import FormatError
from git_model.formats.gguf import GGML_TYPES, read_gguf

QUANT_SPECS = [
    ("tok_embd", "Q8_0", [4, 64]),
    ("blk.0.attn_q", "Q4_0", [2, 32]),
    ("blk.0.ffn", "Q4_K", [3, 256]),
    ("blk.0.ffn_down", "Q6_K", [1, 512]),
    ("blk.0.iq", "IQ4_NL", [2, 32]),
    ("blk.0.mx", "MXFP4", [1, 64]),
    ("norm", "F32", [7]),
    ("out", "BF16", [3, 5]),
    ("f64", "F64", [2]),
    ("i16", "I16", [2, 2]),
]


def scan(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "rb") as stream:
        return read_gguf(stream, path.name)


def test_type_table_matches_the_gguf_package() -> None:
    for qtype, (block, type_size) in gguf.GGML_QUANT_SIZES.items():
        assert GGML_TYPES[qtype.value] == (qtype.name, block, type_size)


@pytest.mark.parametrize("alignment", [None, 64])
def test_agrees_with_the_gguf_reader(tmp_path: Path, alignment: int | None) -> None:
    metadata = {} if alignment is None else {"general.alignment": alignment}
    path = write_gguf(tmp_path / "q.gguf", QUANT_SPECS, metadata=metadata, seeds={"norm": 3})
    info = scan(path)
    ref = gguf.GGUFReader(path)
    raw = path.read_bytes()
    assert [t.name for t in info.tensors] == [t.name for t in ref.tensors]
    for t, r, (name, dtype, shape) in zip(info.tensors, ref.tensors, QUANT_SPECS):
        assert (t.dtype, list(t.shape)) == (r.tensor_type.name, [int(d) for d in reversed(r.shape)])
        assert (t.dtype, list(t.shape)) == (dtype, shape)
        assert (t.offset, t.nbytes) == (r.data_offset, r.n_bytes)
        expected = gguf_tensor_bytes(name, dtype, shape, 3 if name == "norm" else 0).tobytes()
        assert raw[t.offset : t.offset + t.nbytes] == expected
        assert t.offset % (alignment or 32) == 0
    if alignment:
        assert info.metadata["general.alignment"] == str(alignment)


def test_metadata_of_every_value_type(tmp_path: Path) -> None:
    path = tmp_path / "kv.gguf"
    w = gguf.GGUFWriter(path, "llama")
    w.add_uint8("u8", 200)
    w.add_int8("i8", -5)
    w.add_uint16("u16", 60000)
    w.add_int16("i16", -300)
    w.add_uint32("u32", 4_000_000_000)
    w.add_int32("i32", -7)
    w.add_uint64("u64", 2**63)
    w.add_int64("i64", -(2**40))
    w.add_float32("f32", 0.1)
    w.add_float64("f64", 1e-300)
    w.add_bool("yes", True)
    w.add_bool("no", False)
    w.add_string("s", "héllo {{ template }}")
    w.add_array("tokens", ["a", "bb", ""])
    w.add_array("scores", [0.5, 1.5])
    w.add_array("nested", [[1, 2], [3]])
    w.add_tensor("t", np.arange(4, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    assert scan(path).metadata == {
        "general.architecture": "llama", "u8": "200", "i8": "-5", "u16": "60000",
        "i16": "-300", "u32": "4000000000", "i32": "-7", "u64": str(2**63),
        "i64": str(-(2**40)), "f32": "0.1", "f64": "1e-300", "yes": "true", "no": "false",
        "s": "héllo {{ template }}", "tokens": "[array of 3 string]",
        "scores": "[array of 2 float32]", "nested": "[array of 2 array]",
    }


def s(text: bytes) -> bytes:
    return struct.pack("<Q", len(text)) + text


def gguf_file(kvs: bytes = b"", n_kv: int = 0, tis: bytes = b"", n_t: int = 0, version: int = 3,
              tail: bytes = b"") -> io.BytesIO:
    return io.BytesIO(b"GGUF" + struct.pack("<IQQ", version, n_t, n_kv) + kvs + tis + tail)


def ti(name: bytes = b"t", dims: tuple[int, ...] = (4,), ggml_type: int = 0, offset: int = 0) -> bytes:
    return s(name) + struct.pack(f"<I{len(dims)}QIQ", len(dims), *dims, ggml_type, offset)


def kv(key: bytes, vtype: int, value: bytes) -> bytes:
    return s(key) + struct.pack("<I", vtype) + value


def one_tensor(tensor: bytes, data: int = 16, kvs: bytes = b"", n_kv: int = 0) -> io.BytesIO:
    head = 24 + len(kvs) + len(tensor)
    return gguf_file(kvs, n_kv, tensor, 1, tail=bytes(-head % 32 + data))


def test_hand_built_file_parses() -> None:
    (t,) = read_gguf(one_tensor(ti()), "m.gguf").tensors
    assert (t.name, t.dtype, t.shape, t.offset, t.nbytes) == ("t", "F32", (4,), 64, 16)


@pytest.mark.parametrize(
    ("stream", "match"),
    [
        (io.BytesIO(b"GGML" + bytes(20)), "bad magic"),
        (io.BytesIO(b"GG"), "truncated: magic"),
        (gguf_file(version=1), "version 1 is not supported"),
        (gguf_file(version=4), "version 4 is not supported"),
        (io.BytesIO(b"GGUF\x00\x00\x00\x03" + bytes(16)), "big-endian"),
        (gguf_file(n_kv=2**60), "cannot fit"),
        (gguf_file(n_t=2**40), "cannot fit"),
        (gguf_file(kv(b"a", 4, bytes(4)) * 2, 2), "duplicate key 'a'"),
        (gguf_file(kv(b"a", 13, bytes(4)), 1), "unknown value type 13"),
        (gguf_file(kv(b"a", 7, b"\x02"), 1), "boolean value 2"),
        (gguf_file(kv(b"a", 8, s(b"\xff\xfe")), 1), "not valid UTF-8"),
        (gguf_file(kv(b"a", 8, struct.pack("<Q", 2**62)), 1), "truncated"),
        (gguf_file(kv(b"a", 9, struct.pack("<IQ", 8, 2**50)), 1), "cannot fit"),
        (gguf_file(kv(b"a", 9, struct.pack("<IQ", 4, 2**50)), 1), "truncated: array"),
        (gguf_file(kv(b"a", 9, struct.pack("<IQ", 99, 1)), 1), "unknown element type 99"),
        (gguf_file(kv(b"a", 9, struct.pack("<IQ", 9, 1) * 12), 1), "deeper than 8"),
        (gguf_file(kv(b"general.alignment", 10, bytes(8)), 1), "not a uint32"),
        (gguf_file(kv(b"general.alignment", 4, struct.pack("<I", 48)), 1), "not a power of two"),
        (one_tensor(ti(dims=(1, 1, 1, 1, 1))), "5 dimensions"),
        (one_tensor(ti(ggml_type=4)), "unknown ggml type 4"),
        (one_tensor(ti(ggml_type=8, dims=(33,))), "row of 33 is not a multiple of the Q8_0 block"),
        (one_tensor(ti(offset=32)), "data offset 32, expected 0"),
        (one_tensor(ti(), data=15), "truncated: tensor 't' data ends past"),
        (gguf_file(tis=ti() + ti(offset=32), n_t=2, tail=bytes(100)), "duplicate tensor 't'"),
    ],
)
def test_malformed_files(stream: io.BytesIO, match: str) -> None:
    with pytest.raises(FormatError, match=match) as err:
        read_gguf(stream, "m.gguf")
    assert str(err.value).startswith("m.gguf: ") and "\n" not in str(err.value)


def test_large_string_arrays_are_skipped_not_kept(tmp_path: Path) -> None:
    vocab = [f"token{i}" for i in range(50_000)]
    path = write_gguf(tmp_path / "v.gguf", [("t", "F32", [8])], metadata={"tokenizer.ggml.tokens": vocab})
    info = scan(path)
    assert info.metadata["tokenizer.ggml.tokens"] == "[array of 50000 string]"
    assert info.tensors[0].offset == gguf.GGUFReader(path).tensors[0].data_offset
