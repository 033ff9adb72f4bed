"""Synthetic safetensors models for the demo, the benchmarks and the tests (nothing is
downloaded). Tensors are written one at a time, so a multi-GiB file needs little memory;
the bytes are deterministic per (tensor name, seed), so "fine-tuning" a tensor means giving
it another seed while every other tensor stays byte-identical.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "I8": 1, "U8": 1, "I32": 4, "I64": 8}


def tensor_specs(total_bytes: int, n_tensors: int, dtype: str = "F32") -> list[tuple[str, str, list[int]]]:
    """Names, dtype and shapes of ``n_tensors`` equal tensors adding up to ~``total_bytes``."""
    width = DTYPE_BYTES[dtype]
    per = max(1, total_bytes // n_tensors // width)
    cols = 256 if per >= 256 else 1
    rows = max(1, per // cols)
    return [(f"layers.{i}.weight", dtype, [rows, cols]) for i in range(n_tensors)]


def tensor_bytes(name: str, dtype: str, shape: list[int], seed: int) -> np.ndarray:
    """Deterministic pseudo-weights for one tensor, as a uint8 array of its raw bytes."""
    count = int(np.prod(shape)) * DTYPE_BYTES[dtype]
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    if dtype == "F32":
        return (rng.standard_normal(count // 4, dtype=np.float32) * 0.02).view(np.uint8)
    if dtype == "F16":
        return (rng.standard_normal(count // 2, dtype=np.float32) * 0.02).astype(np.float16).view(np.uint8)
    return rng.integers(0, 256, count, dtype=np.uint8)


def write_safetensors(
    path: Path,
    specs: Iterable[tuple[str, str, list[int]]],
    seeds: Mapping[str, int] | None = None,
    metadata: Mapping[str, str] | None = None,
    base_seed: int = 0,
) -> Path:
    """Write a safetensors file; ``seeds`` overrides the seed of chosen tensors (to "fine-tune"
    them), every other tensor uses ``base_seed`` and so is identical across versions."""
    specs = list(specs)
    seeds = dict(seeds or {})
    header: dict = {}
    offset = 0
    for name, dtype, shape in specs:
        size = int(np.prod(shape)) * DTYPE_BYTES[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    if metadata:
        header["__metadata__"] = dict(metadata)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(raw)))
        out.write(raw)
        for name, dtype, shape in specs:
            out.write(tensor_bytes(name, dtype, shape, seeds.get(name, base_seed)).tobytes())
    return path


def fine_tune(specs: list[tuple[str, str, list[int]]], fraction: float, seed: int) -> dict[str, int]:
    """Seeds that change every ``1/fraction``-th tensor: a version with ``fraction`` changed."""
    step = max(1, round(1 / fraction))
    return {name: seed for i, (name, _, _) in enumerate(specs) if i % step == 0}
