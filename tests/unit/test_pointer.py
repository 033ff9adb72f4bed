from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from git_model.errors import FormatError
from git_model.pointer import MAX_POINTER_SIZE, Pointer, parse, try_parse

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "pointers"


@pytest.mark.parametrize("name", ["valid.txt", "empty-file.txt"])
def test_golden_valid_pointers_are_canonical(name: str) -> None:
    raw = (GOLDEN / name).read_bytes()
    assert parse(raw).encode() == raw


def test_golden_valid_fields() -> None:
    pointer = parse((GOLDEN / "valid.txt").read_bytes())
    assert pointer == Pointer("4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393", 12345)


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("invalid-*.txt")), ids=lambda p: p.name)
def test_golden_invalid_pointers_fail_with_source(path: Path) -> None:
    with pytest.raises(FormatError) as err:
        parse(path.read_bytes(), source=str(path))
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)
    assert try_parse(path.read_bytes()) is None


def test_oversized_input_is_rejected() -> None:
    raw = (GOLDEN / "valid.txt").read_bytes() + b"x" * MAX_POINTER_SIZE
    with pytest.raises(FormatError, match="larger than"):
        parse(raw, "model.onnx")


@given(st.binary(max_size=2048))
def test_parser_never_raises_anything_but_format_error(data: bytes) -> None:
    try:
        pointer = parse(data)
    except FormatError:
        return
    assert pointer.encode() == data


@given(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64), st.integers(0, 2**63))
def test_round_trip(oid: str, size: int) -> None:
    pointer = Pointer(oid, size)
    assert parse(pointer.encode()) == pointer
    assert len(pointer.encode()) < MAX_POINTER_SIZE


@given(st.binary(min_size=1, max_size=200), st.integers(min_value=0, max_value=150))
def test_truncated_pointer_is_rejected(junk: bytes, cut: int) -> None:
    raw = (GOLDEN / "valid.txt").read_bytes()
    assert try_parse(raw[: min(cut, len(raw) - 1)]) is None
    assert try_parse(raw + junk) is None
