"""Tensor diff: exactly the changed tensors, measured correctly for every decodable dtype."""

from __future__ import annotations

import io
import json
import math
import struct
from contextlib import ExitStack
from pathlib import Path
from typing import Callable

import ml_dtypes
import numpy as np
import onnx
import pytest
from modelgen import fine_tune, tensor_bytes, tensor_specs, write_gguf, write_safetensors
from onnx import TensorProto, helper, numpy_helper

from git_model.errors import FormatError
from git_model.formats import diff as diff_module
from git_model.formats import read_model_info
from git_model.formats.diff import ModelDiff, diff_models


def diff_files(old: Path, new: Path) -> ModelDiff:
    with ExitStack() as stack:
        a, b = (stack.enter_context(open(p, "rb")) for p in (old, new))
        return diff_models(read_model_info(a, old.name), a, read_model_info(b, new.name), b)


def write_arrays(path: Path, arrays: dict[str, tuple[str, np.ndarray]]) -> Path:
    """A safetensors file of given dtype names and arrays (any numpy/ml_dtypes type)."""
    header, offset = {}, 0
    for name, (dtype, array) in arrays.items():
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(a.tobytes() for _, a in arrays.values()))
    return path


def expected_stats(old: np.ndarray, new: np.ndarray) -> tuple[int, float, float]:
    a, b = old.astype(np.float64), new.astype(np.float64)
    delta = b - a
    return int(np.count_nonzero(delta)), float(np.abs(delta).max()), float(np.linalg.norm(delta) / np.linalg.norm(a))


def test_fine_tune_reports_exactly_the_changed_tensors(write_model: Callable[..., Path]) -> None:
    specs = tensor_specs(64 * 1024, 10, "F32")
    seeds = fine_tune(specs, 0.3, seed=5)
    result = diff_files(write_model(specs), write_model(specs, seeds=seeds))
    assert sorted(c.name for c in result.changed) == sorted(seeds)
    assert (result.unchanged, result.added, result.removed) == (10 - len(seeds), (), ())
    for change in result.changed:
        name, dtype, shape = next(s for s in specs if s[0] == change.name)
        old = tensor_bytes(name, dtype, shape, 0).view(np.float32)
        new = tensor_bytes(name, dtype, shape, 5).view(np.float32)
        count, max_abs, rel = expected_stats(old, new)
        assert change.reason == "values" and change.differing == count
        assert change.max_abs == pytest.approx(max_abs) and change.rel_l2 == pytest.approx(rel)


def test_identical_models(write_model: Callable[..., Path]) -> None:
    specs = tensor_specs(4096, 3, "F16")
    result = diff_files(write_model(specs), write_model(specs))
    assert (result.changed, result.unchanged) == ((), 3)
    assert result.format_text().startswith("0 changed, 0 added, 0 removed, 3 unchanged")


def test_added_removed_dtype_and_shape(tmp_path: Path) -> None:
    old = write_safetensors(
        tmp_path / "a.safetensors",
        [("same", "F32", [4]), ("retyped", "F32", [4]), ("reshaped", "F32", [2, 2]), ("gone", "I8", [3])],
        metadata={"license": "mit", "step": "1"},
    )
    new = write_safetensors(
        tmp_path / "b.safetensors",
        [("same", "F32", [4]), ("retyped", "F16", [4]), ("reshaped", "F32", [4]), ("new", "I8", [3])],
        metadata={"license": "mit", "step": "2", "extra": "x"},
    )
    result = diff_files(old, new)
    assert [(c.name, c.reason) for c in result.changed] == [("retyped", "dtype"), ("reshaped", "shape")]
    assert [t.name for t in result.added] == ["new"] and [t.name for t in result.removed] == ["gone"]
    assert result.unchanged == 1
    assert result.metadata == {"step": ("1", "2"), "extra": (None, "x")}
    doc = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert doc["version"] == 1
    assert doc["summary"] == {"added": 1, "removed": 1, "changed": 2, "unchanged": 1, "skipped": 0}
    assert doc["changed"][0] == {
        "name": "retyped", "reason": "dtype", "differing": None, "max_abs": None, "rel_l2": None,
        "old": {"name": "retyped", "dtype": "F32", "shape": [4], "nbytes": 16},
        "new": {"name": "retyped", "dtype": "F16", "shape": [4], "nbytes": 8},
    }
    assert doc["metadata"]["extra"] == {"old": None, "new": "x"}
    text = result.format_text()
    assert "~ retyped  dtype F32 -> F16" in text and "~ reshaped  F32 shape [2, 2] -> [4]" in text
    assert "+ new  I8 [3]" in text and "- gone  I8 [3]" in text and "metadata step: '1' -> '2'" in text


@pytest.mark.parametrize(
    ("dtype", "numpy_type"),
    [("BF16", ml_dtypes.bfloat16), ("F8_E4M3", ml_dtypes.float8_e4m3fn),
     ("F8_E5M2", ml_dtypes.float8_e5m2), ("F16", np.float16), ("F64", np.float64),
     ("I8", np.int8), ("U16", np.uint16), ("I64", np.int64)],
)
def test_values_measured_per_dtype(tmp_path: Path, dtype: str, numpy_type: type) -> None:
    rng = np.random.default_rng(1)
    base = rng.uniform(1, 60, 1000)
    old: np.ndarray = base.astype(numpy_type)
    new = old.copy()
    new[[3, 500, 999]] = (base[[3, 500, 999]] * 1.5).astype(numpy_type)
    a = write_arrays(tmp_path / "a.safetensors", {"w": (dtype, old), "same": (dtype, old)})
    b = write_arrays(tmp_path / "b.safetensors", {"w": (dtype, new), "same": (dtype, old)})
    (change,) = diff_files(a, b).changed
    count, max_abs, rel = expected_stats(old, new)
    assert (change.name, change.reason, change.differing) == ("w", "values", count)
    assert change.max_abs == pytest.approx(max_abs) and change.rel_l2 == pytest.approx(rel)


def test_nan_is_an_infinite_difference_and_equal_nans_are_equal(tmp_path: Path) -> None:
    old = np.array([1.0, np.nan, 3.0, 4.0], ml_dtypes.float8_e4m3fn)
    new = np.array([1.0, np.nan, np.nan, 2.0], ml_dtypes.float8_e4m3fn)
    a = write_arrays(tmp_path / "a.safetensors", {"w": ("F8_E4M3", old)})
    b = write_arrays(tmp_path / "b.safetensors", {"w": ("F8_E4M3", new)})
    result = diff_files(a, b)
    (change,) = result.changed
    assert change.differing == 2 and change.max_abs == math.inf and change.rel_l2 == math.inf
    assert result.to_json()["changed"][0]["max_abs"] == "inf"
    json.dumps(result.to_json(), allow_nan=False)


def test_zero_old_tensor(tmp_path: Path) -> None:
    a = write_arrays(tmp_path / "a.safetensors", {"w": ("F32", np.zeros(4, np.float32))})
    b = write_arrays(tmp_path / "b.safetensors", {"w": ("F32", np.array([0, 0, 0.5, 0], np.float32))})
    (change,) = diff_files(a, b).changed
    assert (change.max_abs, change.rel_l2) == (0.5, math.inf)


def test_slices_give_the_same_answer_as_one_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diff_module, "SLICE_BYTES", 64)
    monkeypatch.setattr(diff_module, "SLICE_ELEMENTS", 8)
    old = np.random.default_rng(2).standard_normal(1001).astype(np.float32)
    new = old.copy()
    new[[700, 1000]] += 1  # the first slices are equal: their norm must still count
    a = write_arrays(tmp_path / "a.safetensors", {"w": ("F32", old)})
    b = write_arrays(tmp_path / "b.safetensors", {"w": ("F32", new)})
    (change,) = diff_files(a, b).changed
    count, max_abs, rel = expected_stats(old, new)
    assert change.differing == count == 2
    assert change.max_abs == pytest.approx(max_abs) and change.rel_l2 == pytest.approx(rel)


def test_quantized_tensors_count_differing_bytes(tmp_path: Path) -> None:
    specs = [("q8", "Q8_0", [8, 64]), ("q4", "Q4_K", [2, 256]), ("norm", "F32", [64])]
    a = write_gguf(tmp_path / "a.gguf", specs)
    b = write_gguf(tmp_path / "b.gguf", specs, seeds={"q8": 9})
    result = diff_files(a, b)
    (change,) = result.changed
    with open(a, "rb") as stream:
        info = read_model_info(stream, "a.gguf").tensor("q8")
    assert info is not None and info.offset is not None
    old = np.frombuffer(a.read_bytes()[info.offset : info.offset + info.nbytes], np.uint8)
    new = np.frombuffer(b.read_bytes()[info.offset : info.offset + info.nbytes], np.uint8)
    assert (change.name, change.reason, change.max_abs) == ("q8", "bytes", None)
    assert change.differing == int(np.count_nonzero(old != new))
    assert f"{change.differing} of {info.nbytes} bytes differ" in result.format_text()


def test_same_weights_in_different_formats_are_unchanged(tmp_path: Path) -> None:
    specs = [("a", "F32", [4, 8]), ("b", "BF16", [16])]
    st = write_safetensors(tmp_path / "m.safetensors", specs)
    gg = write_gguf(tmp_path / "m.gguf", specs)
    result = diff_files(st, gg)
    assert (result.changed, result.unchanged, result.old_format, result.new_format) == ((), 2, "safetensors", "gguf")


def test_external_onnx_data_is_skipped(tmp_path: Path) -> None:
    paths = []
    for i, value in enumerate((1.0, 2.0)):
        init = numpy_helper.from_array(np.full((32, 32), value, np.float32), "w")
        graph = helper.make_graph(
            [helper.make_node("Identity", ["w"], ["y"])], "g", [],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [32, 32])], initializer=[init],
        )
        path = tmp_path / f"m{i}.onnx"
        onnx.save_model(helper.make_model(graph), str(path), save_as_external_data=True,
                        location=f"m{i}.bin", size_threshold=0)
        paths.append(path)
    result = diff_files(*paths)
    assert (result.skipped, result.changed, result.unchanged) == (("w",), (), 0)
    assert "? w  not compared" in result.format_text()


def test_truncated_data_names_the_file(tmp_path: Path) -> None:
    path = write_safetensors(tmp_path / "a.safetensors", [("w", "F32", [64])])
    other = write_safetensors(tmp_path / "b.safetensors", [("w", "F32", [64])], base_seed=1)
    short = io.BytesIO(other.read_bytes()[:-10])
    with open(path, "rb") as stream, pytest.raises(FormatError, match="^b.safetensors: truncated"):
        info = read_model_info(stream, path.name)
        diff_models(info, stream, info, short, new_name="b.safetensors")
