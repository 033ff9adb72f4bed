"""Synthetic model files for tests (nothing is downloaded): safetensors from
`git_model.synthetic` (shared with the demo and benchmarks), plus ONNX and GGUF writers.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from git_model.synthetic import DTYPE_BYTES, fine_tune, tensor_bytes, tensor_specs, write_safetensors

__all__ = [
    "DTYPE_BYTES", "fine_tune", "tensor_bytes", "tensor_specs", "write_safetensors",
    "write_onnx", "write_gguf", "gguf_tensor_bytes",
]

ONNX_TYPES = {"F32": 1, "F16": 10, "BF16": 16, "F8_E4M3": 17, "I8": 3, "U8": 2, "I32": 6, "I64": 7}


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def write_onnx(
    path: Path,
    specs: Iterable[tuple[str, str, list[int]]],
    seeds: Mapping[str, int] | None = None,
    metadata: Mapping[str, str] | None = None,
    base_seed: int = 0,
) -> Path:
    """Write an ONNX model (IR 10, opset 21) whose initializers hold ``tensor_bytes`` as
    raw_data, with an Identity node on the first so that ``onnx.checker`` accepts it;
    ``metadata`` becomes metadata_props. Seeds work as in ``write_safetensors``.

    The messages are built with the onnx package, but the framing around the initializers
    is written by hand so tensors are streamed one at a time; fields go in the order protobuf
    serializes them, so the file equals ``SerializeToString()`` of the same model.
    """
    import onnx
    from onnx import helper

    specs = list(specs)
    seeds = dict(seeds or {})
    first, first_dtype, first_shape = specs[0]
    graph_head = onnx.GraphProto(node=[helper.make_node("Identity", [first], ["output"])], name="modelgen")
    graph_tail = onnx.GraphProto(
        output=[helper.make_tensor_value_info("output", ONNX_TYPES[first_dtype], first_shape)]
    )
    model_head = onnx.ModelProto(ir_version=10, producer_name="git-model-tests", producer_version="1")
    model_tail = onnx.ModelProto(
        opset_import=[helper.make_opsetid("", 21)],
        metadata_props=[onnx.StringStringEntryProto(key=k, value=v) for k, v in (metadata or {}).items()],
    )
    frames = []  # (initializer field header + tensor header, data size) per tensor
    for name, dtype, shape in specs:
        stub = onnx.TensorProto(name=name, dims=shape, data_type=ONNX_TYPES[dtype]).SerializeToString()
        size = int(np.prod(shape)) * DTYPE_BYTES[dtype]
        if size:
            stub += b"\x4a" + _varint(size)  # raw_data: field 9, length-delimited
        frames.append((b"\x2a" + _varint(len(stub) + size) + stub, size))  # initializer: field 5
    head, tail = graph_head.SerializeToString(), graph_tail.SerializeToString()
    graph_size = len(head) + sum(len(frame) + size for frame, size in frames) + len(tail)
    with open(path, "wb") as out:
        out.write(model_head.SerializeToString())
        out.write(b"\x3a" + _varint(graph_size) + head)  # graph: field 7
        for (frame, _), (name, dtype, shape) in zip(frames, specs):
            out.write(frame)
            out.write(tensor_bytes(name, dtype, shape, seeds.get(name, base_seed)).tobytes())
        out.write(tail)
        out.write(model_tail.SerializeToString())
    return path


def gguf_tensor_bytes(name: str, dtype: str, shape: list[int], seed: int) -> np.ndarray:
    """``tensor_bytes`` for the dtypes it knows; seeded random blocks for quantized ggml types
    (the last dimension must be a multiple of the type's block size)."""
    if dtype in DTYPE_BYTES:
        return tensor_bytes(name, dtype, shape, seed)
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType[dtype]]
    count = int(np.prod(shape)) // block * type_size
    return np.random.default_rng([seed, zlib.crc32(name.encode())]).integers(0, 256, count, dtype=np.uint8)


def write_gguf(
    path: Path,
    specs: Iterable[tuple[str, str, list[int]]],
    seeds: Mapping[str, int] | None = None,
    metadata: Mapping[str, object] | None = None,
    base_seed: int = 0,
) -> Path:
    """Write a GGUF v3 file with ``gguf.GGUFWriter``, streaming one tensor at a time.

    ``specs`` use ggml type names (F32, F16, BF16, I8, I32, I64, Q8_0, Q4_0, ...; GGUF has no
    F8_E4M3 or U8); shapes are numpy order (outermost first), at least one dimension. Data
    comes from ``gguf_tensor_bytes``. ``metadata`` values: str, bool, int (uint32 when it fits,
    else int64), float (float32) or a list (array); ``general.architecture`` defaults to
    "test"; an int ``general.alignment`` sets the data alignment.
    """
    import gguf

    specs = list(specs)
    seeds = dict(seeds or {})
    metadata = dict(metadata or {})
    writer = gguf.GGUFWriter(path, str(metadata.pop("general.architecture", "test")))
    if "general.alignment" in metadata:
        writer.add_custom_alignment(int(metadata.pop("general.alignment")))  # type: ignore[call-overload]
    for key, value in metadata.items():
        if isinstance(value, bool):
            writer.add_bool(key, value)
        elif isinstance(value, int):
            (writer.add_uint32 if 0 <= value < 2**32 else writer.add_int64)(key, value)
        elif isinstance(value, float):
            writer.add_float32(key, value)
        elif isinstance(value, (list, tuple)):
            writer.add_array(key, list(value))
        else:
            writer.add_string(key, str(value))
    for name, dtype, shape in specs:
        qtype = gguf.GGMLQuantizationType[dtype]
        block, type_size = gguf.GGML_QUANT_SIZES[qtype]
        byte_shape = [*shape[:-1], shape[-1] // block * type_size]
        nbytes = int(np.prod(byte_shape))
        writer.add_tensor_info(name, byte_shape, np.dtype(np.uint8), nbytes, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for name, dtype, shape in specs:
        writer.write_tensor_data(gguf_tensor_bytes(name, dtype, shape, seeds.get(name, base_seed)))
    writer.close()
    return path
