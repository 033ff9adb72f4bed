"""ONNX scanner: checked against the onnx package on generated models, and on malformed input."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import onnx
import pytest
from modelgen import write_onnx
from onnx import TensorProto, helper, numpy_helper

from git_model.errors import FormatError
from git_model.formats.onnx import read_onnx

SPECS = [
    ("w.f32", "F32", [4, 8]),
    ("w.f16", "F16", [8]),
    ("w.bf16", "BF16", [2, 3]),
    ("w.fp8", "F8_E4M3", [16]),
    ("w.u8", "U8", [5]),
    ("w.i64", "I64", [2]),
    ("w.empty", "I32", [0, 4]),
]


def scan(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "rb") as stream:
        return read_onnx(stream, path.name)


def test_generated_model_is_canonical_and_valid(tmp_path: Path) -> None:
    path = write_onnx(tmp_path / "m.onnx", SPECS, metadata={"license": "mit"})
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert model.SerializeToString() == path.read_bytes()


def test_agrees_with_the_onnx_package(tmp_path: Path) -> None:
    path = write_onnx(tmp_path / "m.onnx", SPECS, metadata={"license": "mit", "card": "ü" * 50})
    model = onnx.load(str(path))
    info = scan(path)
    raw = path.read_bytes()
    assert [t.name for t in info.tensors] == [i.name for i in model.graph.initializer]
    for t, init in zip(info.tensors, model.graph.initializer):
        assert t.dtype == TensorProto.DataType.Name(init.data_type)
        assert t.shape == tuple(init.dims)
        assert t.nbytes == len(init.raw_data)
        if init.raw_data:
            assert raw[t.offset : t.offset + t.nbytes] == init.raw_data
        else:
            assert t.offset is None  # proto3 does not write an empty raw_data
    assert info.metadata == {
        "license": "mit",
        "card": "ü" * 50,
        "ir_version": "10",
        "producer_name": "git-model-tests",
        "producer_version": "1",
        "opset": "ai.onnx:21",
    }


def save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.save(model, str(path))
    return path


def typed_model(**kwargs: object) -> onnx.ModelProto:
    """Initializers in typed fields (not raw_data), several opsets, the optional model fields."""
    inits = [
        helper.make_tensor("f", TensorProto.FLOAT, [2, 2], [1.0, 2.0, 3.0, 4.0]),
        helper.make_tensor("d", TensorProto.DOUBLE, [3], [0.5, 1.5, 2.5]),
        helper.make_tensor("i", TensorProto.INT64, [3], [1, -2, 300]),
        helper.make_tensor("h", TensorProto.FLOAT16, [2], np.array([1, 2], np.float16).view(np.uint16)),
        helper.make_tensor("s", TensorProto.STRING, [2], [b"ab", b"cde"]),  # type: ignore[list-item]
    ]
    node = helper.make_node("Identity", ["f"], ["y"])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])
    graph = helper.make_graph([node], "g", [], [out], initializer=inits, doc_string="graph doc")
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
        producer_name="pytorch", producer_version="2.3", domain="ai.example",
        model_version=7, doc_string="model doc", **kwargs,
    )
    helper.set_model_props(model, {"license": "cc-by-4.0"})
    return model


def test_typed_fields_and_model_fields(tmp_path: Path) -> None:
    path = save(typed_model(), tmp_path / "typed.onnx")
    info = scan(path)
    raw = path.read_bytes()
    by_name = {t.name: t for t in info.tensors}
    f, d = by_name["f"], by_name["d"]
    assert raw[f.offset : f.offset + f.nbytes] == np.array([1, 2, 3, 4], "<f4").tobytes()
    assert raw[d.offset : d.offset + d.nbytes] == np.array([0.5, 1.5, 2.5], "<f8").tobytes()
    assert (by_name["i"].offset, by_name["i"].nbytes) == (None, 24)  # varints: not raw
    assert (by_name["h"].offset, by_name["h"].nbytes) == (None, 4)
    assert (by_name["s"].dtype, by_name["s"].offset, by_name["s"].nbytes) == ("STRING", None, 5)
    assert info.metadata == {
        "license": "cc-by-4.0", "ir_version": str(onnx.IR_VERSION), "producer_name": "pytorch",
        "producer_version": "2.3", "domain": "ai.example", "model_version": "7",
        "doc_string": "model doc", "opset": "ai.onnx:17,com.microsoft:1",
    }


def test_external_data_is_out_of_line(tmp_path: Path) -> None:
    model = helper.make_model(
        helper.make_graph(
            [helper.make_node("Identity", ["big"], ["y"])], "g", [],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64, 64])],
            initializer=[numpy_helper.from_array(np.ones((64, 64), np.float32), "big")],
        )
    )
    path = tmp_path / "ext.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, location="ext.bin", size_threshold=0)
    (t,) = scan(path).tensors
    assert (t.name, t.dtype, t.shape, t.offset, t.nbytes) == ("big", "FLOAT", (64, 64), None, 64 * 64 * 4)


def key(field: int, wire: int) -> bytes:
    return bytes([field << 3 | wire])


def message(*parts: bytes) -> bytes:
    return b"".join(parts)


def length(field: int, payload: bytes) -> bytes:
    assert len(payload) < 128
    return key(field, 2) + bytes([len(payload)]) + payload


def model_with(*initializers: bytes) -> io.BytesIO:
    graph = b"".join(length(5, t) for t in initializers)
    return io.BytesIO(key(1, 0) + b"\x08" + length(7, graph))


def tensor(name: bytes = b"t", data_type: int = 1, dims: bytes = b"\x02", raw: bytes = bytes(8)) -> bytes:
    return length(1, dims) + key(2, 0) + bytes([data_type]) + length(8, name) + length(9, raw)


def test_hand_built_model_parses() -> None:
    (t,) = read_onnx(model_with(tensor()), "m.onnx").tensors
    assert (t.name, t.dtype, t.shape, t.nbytes) == ("t", "FLOAT", (2,), 8)


@pytest.mark.parametrize(
    ("stream", "match"),
    [
        (io.BytesIO(b""), "no ir_version or no graph"),
        (io.BytesIO(key(1, 0) + b"\x08"), "no ir_version or no graph"),
        (io.BytesIO(key(1, 3)), "invalid protobuf field key 11"),
        (io.BytesIO(key(1, 0) + b"\xff" * 11), "longer than 10 bytes"),
        (io.BytesIO(key(1, 2) + b"\x01\x00"), "ir_version at byte 1 has wire type 2"),
        (io.BytesIO(key(7, 2) + b"\x7f"), "truncated: graph"),
        (model_with(tensor(raw=bytes(7))), "holds 7 data bytes but FLOAT \\[2\\] needs 8"),
        (model_with(tensor(), tensor()), "two initializers are named 't'"),
        (model_with(tensor(name=b"")), "has no name"),
        (model_with(tensor(name=b"\xff")), "not valid UTF-8"),
        (model_with(tensor(data_type=0)), "has no data_type"),
        (model_with(length(8, b"t") + key(2, 0) + b"\x01" + length(1, b"\x02")), "has no data"),
        (io.BytesIO(key(1, 0) + b"\x08" + key(7, 2) + b"\x02" + length(5, tensor())), "runs past"),
    ],
)
def test_malformed_models(stream: io.BytesIO, match: str) -> None:
    with pytest.raises(FormatError, match=match) as err:
        read_onnx(stream, "m.onnx")
    assert str(err.value).startswith("m.onnx: ") and "\n" not in str(err.value)


def test_negative_dimension() -> None:
    dims = b"\xff" * 9 + b"\x01"  # -1 as a varint
    with pytest.raises(FormatError, match="negative dimension"):
        read_onnx(model_with(tensor(dims=dims, raw=b"")), "m.onnx")
