from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from git_model.errors import ProtocolError
from git_model.git import pktline


def test_encode_and_read_round_trip() -> None:
    out = io.BytesIO()
    pktline.write_text(out.write, "command=clean", "pathname=a b.onnx")
    pktline.write_flush(out.write)
    pktline.write_stream(out.write, b"x" * 200_000)
    pktline.write_flush(out.write)
    src = io.BytesIO(out.getvalue())
    assert pktline.read_text_list(src.read) == ["command=clean", "pathname=a b.onnx"]
    stream = pktline.PacketStream(src.read)
    assert stream.read() == b"x" * 200_000
    assert src.read() == b""


def test_max_packet_size_enforced() -> None:
    with pytest.raises(ValueError):
        pktline.encode_packet(b"x" * (pktline.MAX_DATA + 1))
    assert len(pktline.encode_packet(b"x" * pktline.MAX_DATA)) == 65520


@pytest.mark.parametrize(
    "raw, message",
    [(b"", "unexpected end"), (b"00", "truncated length"), (b"zzzz", "invalid length"), (b"0002", "invalid length"),
     (b"fff5" + b"x" * 10, "invalid length"), (b"0010abc", "truncated packet")],
)
def test_malformed_input(raw: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        pktline.read_packet(io.BytesIO(raw).read)


@given(st.binary(max_size=300))
def test_reader_only_raises_protocol_error(raw: bytes) -> None:
    read = io.BytesIO(raw).read
    try:
        while True:
            pktline.read_packet(read)
    except ProtocolError:
        pass


@given(st.lists(st.binary(max_size=70_000), max_size=4))
def test_stream_reassembles_any_content(parts: list[bytes]) -> None:
    out = io.BytesIO()
    for part in parts:
        pktline.write_stream(out.write, part)
    pktline.write_flush(out.write)
    stream = pktline.PacketStream(io.BytesIO(out.getvalue()).read)
    assert stream.read() == b"".join(parts)


@given(st.lists(st.binary(max_size=140_000), max_size=4), st.integers(1, 3000), st.integers(65_516, 600_000))
def test_direct_readinto_path_reassembles_content(parts: list[bytes], peek: int, window: int) -> None:
    """Payloads read straight into the caller's buffer, after a small buffered peek (as the
    clean filter does), give back exactly the content and stop at its flush."""
    out = io.BytesIO()
    for part in parts:
        pktline.write_stream(out.write, part)
    pktline.write_flush(out.write)
    pktline.write_text(out.write, "next")
    source = io.BufferedReader(io.BytesIO(out.getvalue()))
    stream = pktline.PacketStream(source.read, source.readinto)
    got = bytearray(stream.read(peek))
    buffer = memoryview(bytearray(window))
    while n := stream.readinto(buffer):
        got += buffer[:n]
    assert bytes(got) == b"".join(parts)
    assert pktline.read_packet(source.read) == b"next\n"
