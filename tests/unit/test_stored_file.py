from __future__ import annotations

import io
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from git_model.store.reader import StoredFile
from git_model.store.store import LocalStore

DATA = os.urandom(900_000)


def _store(tmp_path: Path) -> tuple[LocalStore, object]:
    store = LocalStore(tmp_path / "model")
    return store, store.add(io.BytesIO(DATA)).pointer


def test_sequential_read_matches(tmp_path: Path) -> None:
    store, pointer = _store(tmp_path)
    with io.BufferedReader(StoredFile(store, pointer)) as handle:
        assert handle.read() == DATA


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(DATA) + 10), st.integers(0, 300_000)), min_size=1, max_size=6))
def test_random_seeks_match(tmp_path_factory, reads: list[tuple[int, int]]) -> None:  # type: ignore[no-untyped-def]
    store, pointer = _store(tmp_path_factory.mktemp("s"))
    raw = StoredFile(store, pointer)
    for offset, length in reads:
        raw.seek(offset)
        buf = bytearray(length)
        n = raw.readinto(memoryview(buf))
        assert bytes(buf[:n]) == DATA[offset : offset + length]
