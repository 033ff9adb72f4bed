from __future__ import annotations

import fcntl
import io

import pytest
from hypothesis import given, settings
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


def _write_in_pieces(fd: int, data: bytes, cuts: list[int]) -> None:
    """Write ``data`` to a pipe split at the given offsets (as Git does: a header and its
    payload are separate writes), then close it."""
    import os

    view, start = memoryview(data), 0
    for cut in sorted(set(c for c in cuts if 0 < c < len(data))) + [len(data)]:
        while start < cut:
            start += os.write(fd, view[start:cut])
    os.close(fd)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.binary(max_size=140_000), max_size=4),
    st.integers(1, 3000),
    st.integers(1, 600_000),
    st.lists(st.integers(1, 400_000), max_size=12),
)
def test_pipe_reader_reassembles_content_from_a_real_pipe(
    parts: list[bytes], peek: int, window: int, cuts: list[int]
) -> None:
    """Payloads read with readv straight into the caller's buffer, whatever the packet sizes,
    the caller's buffer size and how the writer split its writes; the protocol continues
    exactly after the content's flush."""
    import os
    import threading

    out = io.BytesIO()
    pktline.write_text(out.write, "command=clean")
    pktline.write_flush(out.write)
    for part in parts:
        pktline.write_stream(out.write, part)
    pktline.write_flush(out.write)
    pktline.write_text(out.write, "next")
    data = out.getvalue()
    # Git's own split: every header separately from its payload, plus random cuts.
    offsets, pos = [], 0
    while pos < len(data):
        length = int(data[pos : pos + 4], 16) or 4
        offsets += [pos + 4, pos + length]
        pos += length
    read_fd, write_fd = os.pipe()
    writer = threading.Thread(target=_write_in_pieces, args=(write_fd, data, offsets + cuts))
    writer.start()
    try:
        pipe = pktline.PipeReader(read_fd)
        assert pktline.read_text_list(pipe.read) == ["command=clean"]
        stream = pktline.PacketStream(pipe.read, pipe)
        got = bytearray(stream.read(peek))
        buffer = memoryview(bytearray(window))
        while n := stream.readinto(buffer):
            got += buffer[:n]
        assert bytes(got) == b"".join(parts)
        assert pktline.read_packet(pipe.read) == b"next\n"
    finally:
        while os.read(read_fd, 1 << 20):  # unblock the writer if an assertion failed early
            pass
        writer.join()
        os.close(read_fd)


@pytest.mark.parametrize(
    "raw, message",
    [
        (pktline.encode_packet(b"x" * pktline.MAX_DATA) + b"zzzz" + b"y" * 100, "invalid length"),
        (pktline.encode_packet(b"x" * pktline.MAX_DATA)[:5000], "unexpected end"),  # Git went away
    ],
)
def test_pipe_reader_malformed_content(raw: bytes, message: str) -> None:
    import os

    read_fd, write_fd = os.pipe()
    fcntl.fcntl(write_fd, 1031, 1 << 20)  # F_SETPIPE_SZ: the whole input fits, no writer thread
    os.write(write_fd, raw)
    os.close(write_fd)
    pipe = pktline.PipeReader(read_fd)
    stream = pktline.PacketStream(pipe.read, pipe)
    buffer = memoryview(bytearray(1 << 20))
    with pytest.raises(ProtocolError, match=message):
        while stream.readinto(buffer):
            pass
    os.close(read_fd)
