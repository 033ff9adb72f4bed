"""Cutting along the previous version (`git_model.store.follow`) must give exactly the
boundaries plain FastCDC gives, whatever changed between the versions, and must actually
skip FastCDC where nothing changed."""

from __future__ import annotations

import io
import os
import random

import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from git_model.store.chunker import MAX_SIZE, BlockPool, chunks, cut_blocks
from git_model.store.follow import PreviousVersion


def plain(data: bytes) -> list[bytes]:
    return [bytes(c) for c in chunks(io.BytesIO(data))]


def guided(data: bytes, previous: bytes | None, block: int) -> tuple[list[bytes], int]:
    """Chunks of ``data`` cut with ``previous`` as the guide; and how many came from it."""
    entries = [(xxhash.xxh3_128_digest(c), len(c)) for c in plain(previous)] if previous is not None else []
    pool = BlockPool(count=3, size=block)
    got, followed = [], 0
    for b in cut_blocks(io.BytesIO(data), pool, lambda: PreviousVersion(entries, len(previous or b""))):
        for c, cid in zip(b.chunks, b.ids):
            if cid is not None:
                assert cid == xxhash.xxh3_128_digest(c)
                followed += 1
            got.append(bytes(c))
        pool.give(b.buffer)
    return got, followed


def model_like(rng: random.Random, size: int) -> bytes:
    """Random 'tensors' with zero padding between some, so forced max-size cuts occur too."""
    parts, total = [], 0
    while total < size:
        n = rng.randint(1, 400_000)
        parts.append(b"\0" * n if rng.random() < 0.15 else rng.randbytes(n))
        total += n
    return b"".join(parts)[:size]


def mutate(rng: random.Random, data: bytes, kind: str) -> bytes:
    if kind == "same":
        return data
    if kind == "replace":  # a fine-tune: same shapes, some tensors rewritten
        out = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            start = rng.randrange(len(out))
            n = min(rng.randint(1, 300_000), len(out) - start)
            out[start : start + n] = rng.randbytes(n)
        return bytes(out)
    if kind == "insert":
        at = rng.randrange(len(data))
        return data[:at] + rng.randbytes(rng.randint(1, 100_000)) + data[at:]
    if kind == "delete":
        at = rng.randrange(len(data))
        return data[:at] + data[at + rng.randint(1, 100_000) :]
    if kind == "truncate":
        return data[: rng.randrange(len(data))]
    if kind == "extend":
        return data + rng.randbytes(rng.randint(1, 700_000))
    raise AssertionError(kind)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32),
    st.integers(300_000, 4_000_000),
    st.sampled_from(["same", "replace", "insert", "delete", "truncate", "extend"]),
    st.sampled_from([MAX_SIZE, 300 * 1024, 1 << 20]),
)
def test_guided_cut_equals_plain_fastcdc(seed: int, size: int, kind: str, block: int) -> None:
    rng = random.Random(seed)
    v1 = model_like(rng, size)
    v2 = mutate(rng, v1, kind)
    got, _ = guided(v2, v1, block)
    assert got == plain(v2)


@pytest.mark.parametrize("kind", ["same", "replace"])
def test_unchanged_regions_are_taken_from_the_guide(kind: str) -> None:
    rng = random.Random(7)
    v1 = model_like(rng, 12_000_000)
    v2 = mutate(rng, v1, kind)
    got, followed = guided(v2, v1, 1 << 20)
    assert got == plain(v2)
    assert followed >= 0.8 * len(got)  # not vacuous: most chunks skipped FastCDC


def test_a_wrong_guide_changes_nothing() -> None:
    """A guide that does not describe the previous content (here: another file's chunk list,
    lengths that run past its size) only costs hashing; the cut is still FastCDC's."""
    v2 = os.urandom(3_000_000)
    bogus = [(os.urandom(16), 70_000)] * 100
    pool = BlockPool(count=3, size=MAX_SIZE)
    got = []
    for b in cut_blocks(io.BytesIO(v2), pool, lambda: PreviousVersion(bogus, 1_000_000)):
        got.extend(bytes(c) for c in b.chunks)
        pool.give(b.buffer)
    assert got == plain(v2)


def test_small_streams_never_ask_for_a_guide() -> None:
    asked = []
    pool = BlockPool(count=2, size=1 << 20)
    for b in cut_blocks(io.BytesIO(os.urandom(500_000)), pool, lambda: asked.append(1)):  # type: ignore[arg-type,func-returns-value]
        pool.give(b.buffer)
    assert asked == []


def test_a_guide_that_fails_while_read_just_ends() -> None:
    from git_model.errors import FormatError

    v1 = os.urandom(3_000_000)
    good = [(xxhash.xxh3_128_digest(c), len(c)) for c in plain(v1)]

    def entries():
        yield from good[:10]
        raise FormatError("manifest: truncated")

    pool = BlockPool(count=3, size=MAX_SIZE)
    got = []
    for b in cut_blocks(io.BytesIO(v1), pool, lambda: PreviousVersion(entries(), len(v1))):
        got.extend(bytes(c) for c in b.chunks)
        pool.give(b.buffer)
    assert got == plain(v1)
