"""`ChunkIndex.contains_many` (one vectorised search per run, used by `add`) must agree with
`in` for every id, including ids that end in zero bytes (numpy's S16 strips trailing NULs)."""

from __future__ import annotations

import os
import random

from git_model.store.index import ChunkIndex
from git_model.store.pack import PackEntry


def test_contains_many_agrees_with_membership() -> None:
    rng = random.Random(3)
    index = ChunkIndex()
    stored: list[bytes] = []
    for pack in range(7):  # several runs, some merged by the LSM rule
        ids = [os.urandom(16 - k) + b"\0" * k for k in (rng.randint(0, 3) for _ in range(rng.randint(1, 300)))]
        stored += ids
        index.add_pack(f"{pack:032x}", [PackEntry(cid, i * 10, 10, 10, 0) for i, cid in enumerate(ids)])
    absent = [os.urandom(15) + b"\0" for _ in range(200)] + [cid[:15] + bytes([cid[15] ^ 1]) for cid in stored[:100]]
    query = stored + absent
    rng.shuffle(query)
    assert index.contains_many(query) == [cid in set(stored) for cid in query]
    assert index.contains_many([]) == []
    assert ChunkIndex().contains_many(stored[:5]) == [False] * 5
