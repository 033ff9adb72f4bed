"""The contract every model format reader passes: tensor table, offsets, metadata, detection,
errors that name the file, no exception but FormatError on any input, header-only reads."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from format_harness import WRITERS, CountingStream
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelgen import DTYPE_BYTES, gguf_tensor_bytes

from git_model.errors import FormatError
from git_model.formats import FORMATS, ModelInfo, detect, read_model_info
from git_model.formats.dtypes import canonical

SPECS = [
    ("embed.weight", "F32", [16, 8]),
    ("layers.0.attn.weight", "F16", [8, 8]),
    ("layers.0.norm", "BF16", [8]),
    ("layers.0.mlp.weight", "I8", [4, 32]),
    ("layers.0.ids", "I32", [5]),
    ("head.bias", "I64", [3]),
]
METADATA = {"license": "apache-2.0", "description": "a test model"}


def read(path: Path) -> ModelInfo:
    with open(path, "rb") as stream:
        return read_model_info(stream, path.name)


def test_tensor_table_and_offsets(write_model: Callable[..., Path]) -> None:
    path = write_model(SPECS, seeds={"layers.0.norm": 7})
    info = read(path)
    assert [(t.name, canonical(t.dtype), list(t.shape)) for t in info.tensors] == SPECS
    raw = path.read_bytes()
    for t, (name, dtype, shape) in zip(info.tensors, SPECS):
        expected = gguf_tensor_bytes(name, dtype, shape, 7 if name == "layers.0.norm" else 0).tobytes()
        assert t.nbytes == len(expected) == int(np.prod(shape)) * DTYPE_BYTES[dtype]
        assert t.offset is not None
        assert raw[t.offset : t.offset + t.nbytes] == expected


def test_metadata(write_model: Callable[..., Path]) -> None:
    info = read(write_model(SPECS, metadata=METADATA))
    assert info.metadata.items() >= METADATA.items()


def test_detect_by_name_and_by_content(fmt: str, write_model: Callable[..., Path]) -> None:
    path = write_model(SPECS)
    head = path.read_bytes()[:16]
    assert detect(path.name, head).name == fmt  # type: ignore[union-attr]
    assert detect("model.bin", head).name == fmt  # type: ignore[union-attr]
    assert detect(f"dir/MODEL{WRITERS[fmt][1].upper()}", b"") .name == fmt  # type: ignore[union-attr]
    with open(path, "rb") as stream:
        assert read_model_info(stream, "no-extension").format == fmt


def test_unknown_files_are_not_detected() -> None:
    assert detect("weights.pt", b"PK\x03\x04rest of a zip") is None
    assert detect("README", b"") is None
    with pytest.raises(FormatError, match="^notes.txt: not a model"):
        read_model_info(io.BytesIO(b"hello"), "notes.txt")


def test_truncated_file_names_the_file(fmt: str, write_model: Callable[..., Path]) -> None:
    path = write_model(SPECS, metadata=METADATA)
    raw = path.read_bytes()
    tensors = read(path).tensors
    first = tensors[0].offset
    data_end = max(t.offset + t.nbytes for t in tensors if t.offset is not None)
    assert first is not None
    cuts = {0, 1, 3, 8, 12, 20, first // 2, first - 1, first + 1, data_end - 1}
    if fmt != "gguf":  # GGUF may end with padding after the last tensor
        cuts.add(len(raw) - 1)
    for cut in sorted(cuts):
        with pytest.raises(FormatError) as err:
            read_model_info(io.BytesIO(raw[:cut]), f"cut-{cut}{path.suffix}")
        message = str(err.value)
        assert message.startswith(f"cut-{cut}{path.suffix}: ") and "\n" not in message


@st.composite
def damaged(draw: st.DrawFn, raw: bytes, header_end: int) -> bytes:
    """A valid file truncated, or with a few header bytes overwritten, or both."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(0, 4))):
        data[draw(st.integers(0, header_end - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_fuzz_only_format_errors(name: str, tmp_path: Path) -> None:
    writer, ext = WRITERS[name]
    path = writer(tmp_path / f"seed{ext}", SPECS, metadata=METADATA)
    raw = path.read_bytes()
    header_end = min(t.offset for t in read(path).tensors if t.offset is not None)
    parser = next(f for f in FORMATS if f.name == name)

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.binary(max_size=512), damaged(raw, header_end)))
    def check(data: bytes) -> None:
        for read_one in (lambda s: parser.read(s, f"f{ext}"), lambda s: read_model_info(s, f"f{ext}")):
            try:
                read_one(io.BytesIO(data))
            except FormatError as exc:
                assert str(exc).startswith(f"f{ext}: ") and "\n" not in str(exc)

    check()


@pytest.fixture(scope="module")
def big_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One ~200 MiB model per format (I8 tensors are the quickest to generate)."""
    folder = tmp_path_factory.mktemp("big")
    specs = [(f"layers.{i}.weight", "I8", [6400, 4096]) for i in range(8)]
    return {
        name: writer(folder / f"big{ext}", specs, metadata=METADATA)
        for name, (writer, ext) in WRITERS.items()
    }


def test_big_model_header_is_read_without_its_data(fmt: str, big_models: dict[str, Path]) -> None:
    path = big_models[fmt]
    assert path.stat().st_size >= 200 * 1024 * 1024
    stream = CountingStream(path)
    with stream:
        info = read_model_info(stream, path.name)  # type: ignore[arg-type]
    assert len(info.tensors) == 8 and info.metadata["license"] == "apache-2.0"
    assert stream.bytes_read < 1024 * 1024, stream.bytes_read
    assert stream.largest_read <= 256 * 1024
