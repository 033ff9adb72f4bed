"""The fast-export stream parser and writer: real git output round-trips, payloads stream,
malformed input is a one-line FormatError naming the line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from gitutil import git

from git_model.errors import FormatError
from git_model.migrate import stream as fx
from git_model.migrate.history import fast_export_argv


def parse(data: bytes) -> list[fx.Command]:
    return list(fx.StreamReader(io.BytesIO(data)))


def encode(commands: list[fx.Command]) -> bytes:
    out = []
    for c in commands:
        if isinstance(c, fx.Commit):
            out.append(fx.encode_commit_head(c) + b"".join(fx.encode_change(ch) for ch in c.changes) + b"\n")
        elif isinstance(c, fx.Tag):
            out.append(fx.encode_tag(c))
        elif isinstance(c, fx.Reset):
            out.append(fx.encode_reset(c))
        elif isinstance(c, fx.Directive):
            out.append(fx.encode_directive(c))
        elif isinstance(c, fx.Done):
            out.append(b"done\n")
    return b"".join(out)


def test_real_fast_export_parses_and_reencodes_identically(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a b.txt").write_text("hi\n")
    (repo / "tab\tname.bin").write_bytes(b"x")
    (repo / "caf\u00e9.bin").write_bytes(b"y")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    git(repo, "tag", "-a", "v1", "-m", "annotated")
    git(repo, "tag", "light")
    git(repo, "switch", "-qc", "side")
    (repo / "s.bin").write_bytes(b"s")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "side")
    git(repo, "switch", "-q", "main")
    (repo / "a b.txt").unlink()
    git(repo, "commit", "-qam", "remove")
    git(repo, "merge", "-q", "--no-edit", "side")
    exported = git(repo, *fast_export_argv(["refs/heads/main", "refs/heads/side", "refs/tags/v1", "refs/tags/light"])[1:]).stdout
    commands = parse(exported)
    assert encode(commands) == exported
    commits = [c for c in commands if isinstance(c, fx.Commit)]
    assert len(commits) == 4
    paths = {ch.path for c in commits for ch in c.changes if isinstance(ch, fx.FileModify)}
    assert {b"a b.txt", b"tab\tname.bin", "caf\u00e9.bin".encode(), b"s.bin"} <= paths
    merge = commits[-1]
    assert len(merge.parents) == 2 and merge.message == b"Merge branch 'side'\n"
    assert any(isinstance(ch, fx.FileDelete) and ch.path == b"a b.txt" for c in commits for ch in c.changes)
    assert isinstance(commands[-1], fx.Done)
    assert any(isinstance(c, fx.Tag) and c.name == b"v1" for c in commands)


def test_blob_payload_is_streamed_and_skipped_when_unread() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    data = b"blob\nmark :1\ndata %d\n" % len(payload) + payload + b"\nblob\nmark :2\ndata 3\nabc\ndone\n"
    reader = fx.StreamReader(io.BytesIO(data))
    it = iter(reader)
    first = next(it)
    assert isinstance(first, fx.Blob) and first.data.size == len(payload)
    assert first.data.read(10) == payload[:10]  # read a little, leave the rest
    second = next(it)
    assert isinstance(second, fx.Blob) and second.mark == b":2" and second.data.read() == b"abc"
    assert isinstance(next(it), fx.Done)


def test_bounded_reader_readinto_stops_at_the_payload_end() -> None:
    inner = io.BytesIO(b"0123456789tail")
    reader = fx.BoundedReader(inner, 10, "test")
    buf = bytearray(64)
    assert reader.readinto(memoryview(buf)) == 10 and bytes(buf[:10]) == b"0123456789"
    assert reader.readinto(memoryview(buf)) == 0
    assert inner.read() == b"tail"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"plain.bin", b"plain.bin"),
        (b'"a b.txt"', b"a b.txt"),
        (b'"tab\\tname"', b"tab\tname"),
        (b'"caf\\303\\251"', "caf\u00e9".encode()),
        (b'"q\\"uote\\\\"', b'q"uote\\'),
    ],
)
def test_unquote_path(raw: bytes, expected: bytes) -> None:
    assert fx.unquote_path(raw) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"feature done\ngarbage here\n", "line 2: unexpected command 'garbage here'"),
        (b"commit refs/heads/main\nmark :1\ncommitter a <a> 1 +0000\ndata 10\nshort", "payload"),
        (b"commit refs/heads/main\ncommitter a <a> 1 +0000\ndata <<EOF\nx\nEOF\n", "delimited data"),
        (b"commit refs/heads/main\nbogus header\n", "unexpected line in a commit header"),
        (b"commit refs/heads/main\nauthor a <a> 1 +0000\ndata 0\n\n", "without a committer"),
        (b"commit refs/heads/main\ncommitter a <a> 1 +0000\ndata 0\nM 100644 notanoid x.bin\n\n", "malformed data reference"),
        (b"commit refs/heads/main\ncommitter a <a> 1 +0000\ndata 0\nR a b\n\n", "copy/rename"),
        (b"commit refs/heads/main\ncommitter a <a> 1 +0000\ndata 0\nD \"unterminated\n\n", "unterminated"),
        (b"tag v1\ntagger a <a> 1 +0000\ndata 0\n", "without a 'from'"),
        (b"commit refs/heads/main\ncommitter a <a> 1 +0000", "stream ends inside a line"),
        (b"commit refs/heads/main\n", "stream ends inside a commit"),
    ],
)
def test_malformed_streams_are_one_line_format_errors(data: bytes, message: str) -> None:
    with pytest.raises(FormatError) as err:
        parse(data)
    text = str(err.value)
    assert message in text and "\n" not in text
    assert text.startswith("git fast-export: ")
