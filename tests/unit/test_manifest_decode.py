"""`manifest.decode` (manifests downloaded from a remote) verifies exactly like `read_info`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from git_model.errors import FormatError
from git_model.store import manifest as manifest_mod


def written(tmp_path: Path, n: int = 50) -> tuple[Path, list[tuple[bytes, int]]]:
    entries = [(os.urandom(16), 1000 + i) for i in range(n)]
    writer = manifest_mod.ManifestWriter(tmp_path)
    for cid, length in entries:
        writer.add(cid, length)
    return writer.commit(sum(length for _, length in entries), os.urandom(32)), entries


def test_decode_agrees_with_the_file_readers(tmp_path: Path) -> None:
    path, entries = written(tmp_path)
    info, got = manifest_mod.decode(path.read_bytes(), "remote/manifests/x")
    assert info == manifest_mod.read_info(path)
    assert got == entries == list(manifest_mod.iter_entries(path))


@pytest.mark.parametrize("damage", ["flip-entry", "flip-footer", "truncate", "short", "magic"])
def test_decode_and_read_info_refuse_the_same_damage(tmp_path: Path, damage: str) -> None:
    path, _ = written(tmp_path)
    raw = bytearray(path.read_bytes())
    if damage == "flip-entry":
        raw[30] ^= 1
    elif damage == "flip-footer":
        raw[-20] ^= 1
    elif damage == "truncate":
        del raw[-30:]
    elif damage == "short":
        raw = raw[:10]
    else:
        raw[0:4] = b"XXXX"
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="remote/manifests/x: "):
        manifest_mod.decode(bytes(raw), "remote/manifests/x")
    with pytest.raises(FormatError, match=str(path)):
        manifest_mod.read_info(path)
