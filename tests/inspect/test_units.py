"""Unit tests of the pieces under the inspection commands: raw diff and log parsing, chunk
sets, one-pass digests, revision syntax, byte formatting."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
import xxhash

from git_model.formats.safetensors import read_safetensors
from git_model.synthetic import tensor_specs, write_safetensors
from git_model.versions.chunkset import ChunkSet
from git_model.versions.history import LOG_FORMAT, parse_log
from git_model.versions.rawdiff import parse_raw
from git_model.versions.revisions import revision_endpoints
from git_model.versions.summary import digest_file, info_lines
from git_model.versions.units import format_bytes

A, B, C, Z = "a" * 40, "b" * 40, "c" * 40, "0" * 40


def test_log_format_is_what_parse_log_reads() -> None:
    assert LOG_FORMAT.count("%x00") == 5


def test_parse_log_commits_renames_and_combined_merges() -> None:
    out = b"".join([
        b"\x01m1\0p1 p2\0Ann\0a@x\x002024-01-02T03:04:05+00:00\0merge\0",
        f"\n::100644 100644 100644 {A} {B} {C} MM\0model.bin\0".encode(),
        b"\x01c1\0p0\0Bob\0b@x\x002024-01-01T00:00:00+00:00\0rename and add\0",
        f"\n:100644 100644 {A} {A} R100\0old.bin\0new.bin\0".encode(),
        f":000000 100644 {Z} {B} A\0sub/dir/x y.bin\0".encode(),
        f":100644 000000 {C} {Z} D\0gone.bin\0".encode(),
        f":120000 100644 {A} {B} T\0link.bin\0".encode(),
        b"\x01root\0\0Cy\0c@x\x002023-12-31T00:00:00+00:00\0empty commit",
    ])
    walked = list(parse_log(out))
    assert [c.oid for c, _ in walked] == ["m1", "c1", "root"]
    merge, changes = walked[0]
    assert merge.parents == ("p1", "p2") and merge.author_name == "Ann" and merge.subject == "merge"
    assert [(c.status, c.old_blob, c.new_blob, c.new_path) for c in changes] == [("M", A, C, "model.bin")]
    _, changes = walked[1]
    assert [(c.status, c.old_path, c.new_path, c.old_blob, c.new_blob) for c in changes] == [
        ("R", "old.bin", "new.bin", A, A),
        ("A", "sub/dir/x y.bin", "sub/dir/x y.bin", None, B),
        ("D", "gone.bin", "gone.bin", C, None),
        ("T", "link.bin", "link.bin", None, B),  # a symlink is no model
    ]
    assert walked[2][0].parents == () and walked[2][1] == []


def test_parse_raw() -> None:
    out = f":100644 100644 {A} {Z} M\0model.safetensors\0:100644 100644 {B} {C} M\0b.onnx\0".encode()
    changes = parse_raw(out)
    assert [(c.new_path, c.old_blob, c.new_blob) for c in changes] == [("model.safetensors", A, None), ("b.onnx", B, C)]
    assert parse_raw(b"") == []


def ids(*values: int) -> list[bytes]:
    # ids ending in NUL bytes: numpy's S16 strips them, sets must still be exact
    return [bytes([v]) + b"\0" * 15 for v in values]


def test_chunkset_operations() -> None:
    old = ChunkSet.from_entries(zip(ids(1, 2, 3, 2), [10, 20, 30, 20]), None)
    new = ChunkSet.from_entries(zip(ids(3, 4, 0, 4), [30, 40, 5, 40]), None)
    assert len(old) == 3 and old.raw_bytes == 60
    added = new.minus(old)
    assert len(added) == 2 and added.raw_bytes == 45 and added.missing == 2
    assert added.stored_bytes == 0 and added.local_or_raw_bytes == 45
    common = new.common(old)
    assert len(common) == 1 and common.raw_bytes == 30
    both = ChunkSet.union([old, new])
    assert len(both) == 5 and both.raw_bytes == 105
    assert len(ChunkSet.union([])) == 0
    stored = ChunkSet(both.ids, both.raw, np.array([1, -1, 2, -1, 3]))
    assert stored.stored_bytes == 6 and stored.missing == 2 and not stored.complete


def test_digest_file_hashes_every_tensor_in_one_pass(tmp_path: Path) -> None:
    path = write_safetensors(tmp_path / "m.safetensors", tensor_specs(3 << 20, 5))
    data = path.read_bytes()
    with open(path, "rb") as handle:
        info = read_safetensors(handle, "m")
        sha, digests = digest_file(handle, info)
    assert sha == hashlib.sha256(data).hexdigest()
    for tensor, digest in zip(info.tensors, digests):
        assert digest == xxhash.xxh3_64(data[tensor.offset : tensor.offset + tensor.nbytes]).hexdigest()
    assert digest_file(io.BytesIO(b"abc"), None) == (hashlib.sha256(b"abc").hexdigest(), [])
    lines = info_lines(info, digests)
    assert lines[0] == "format   safetensors" and lines[1] == "tensors  5"
    assert lines[2].endswith(f"data {digests[0]}")


@pytest.mark.parametrize(
    "arg, ends",
    [("A..B", ["A", "B"]), ("A...B", ["A", "B"]), ("..B", ["HEAD", "B"]), ("A..", ["A", "HEAD"]), ("^A", ["A"]), ("A", None)],
)
def test_revision_endpoints(arg: str, ends: list[str] | None) -> None:
    assert revision_endpoints(arg) == ends


def test_format_bytes() -> None:
    assert format_bytes(None) == "?"
    assert format_bytes(812) == "812 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(3 << 20) == "3.0 MiB"
    assert format_bytes(5 << 40) == "5.0 TiB"
