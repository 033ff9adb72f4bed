"""Pure parts of migrate: `.gitattributes` rewriting, LFS pointer parsing, pattern selection."""

from __future__ import annotations

import pytest

from git_model.errors import FormatError
from git_model.migrate import gitattributes as ga
from git_model.migrate.history import Selection, split_patterns
from git_model.migrate.lfs import parse_lfs, try_parse_lfs

MODEL = b"filter=model diff=model merge=model -text"
OID = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"


def test_import_adds_lines_to_a_missing_file() -> None:
    assert ga.for_import(None, ["*.bin", "*.pt"], []) == b"*.bin " + MODEL + b"\n*.pt " + MODEL + b"\n"


def test_import_replaces_lfs_lines_in_place_and_keeps_the_rest() -> None:
    original = b"# comment\n*.bin filter=lfs diff=lfs merge=lfs -text lockable\n*.txt text eol=lf\n*.psd filter=lfs diff=lfs merge=lfs -text\n"
    out = ga.for_import(original, ["*.bin"], [])
    assert out == b"# comment\n*.bin filter=model diff=model merge=model -text lockable\n*.txt text eol=lf\n*.psd filter=lfs diff=lfs merge=lfs -text\n"


def test_import_is_idempotent_and_keeps_existing_model_lines() -> None:
    once = ga.for_import(b"*.bin filter=lfs diff=lfs merge=lfs -text\n", ["*.bin", "*.onnx"], ["small/*.bin"])
    assert ga.for_import(once, ["*.bin", "*.onnx"], ["small/*.bin"]) == once
    assert once.endswith(b"small/*.bin !filter !diff !merge !text\n")


def test_import_keeps_lfs_for_excluded_lfs_files() -> None:
    out = ga.for_import(b"*.bin filter=lfs diff=lfs merge=lfs -text\n", ["*.bin"], ["keep/*.bin"], frozenset({"keep/*.bin"}))
    assert out == b"*.bin " + MODEL + b"\nkeep/*.bin filter=lfs diff=lfs merge=lfs -text\n"


def test_import_escapes_spaces() -> None:
    assert ga.for_import(None, ["my model.bin"], []) == b"my[[:space:]]model.bin " + MODEL + b"\n"


def test_export_removes_only_the_included_model_lines() -> None:
    original = b"*.bin " + MODEL + b"\n*.onnx " + MODEL + b"\n*.txt text\n"
    assert ga.for_export(original, ["*.bin"]) == b"*.onnx " + MODEL + b"\n*.txt text\n"
    assert ga.for_export(original, ["*.ckpt"]) is original
    assert ga.for_export(b"*.bin " + MODEL + b"\n", ["*.bin"]) is None
    assert ga.for_export(None, ["*.bin"]) is None


def test_lfs_pointer_parsing_is_strict() -> None:
    good = f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize 12345\n".encode()
    assert parse_lfs(good, "x").oid == OID and parse_lfs(good, "x").size == 12345
    assert try_parse_lfs(b"just some bytes", "x") is None
    with pytest.raises(FormatError, match="w.bin"):
        try_parse_lfs(b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 1\n", "w.bin")
    with pytest.raises(FormatError, match="extensions"):
        parse_lfs(good.replace(b"oid", b"ext-0-foo sha256:" + OID.encode() + b"\noid"), "x")
    with pytest.raises(FormatError, match="size"):
        parse_lfs(good.replace(b"size 12345", b"size 012"), "x")


def test_selection_and_pattern_lists() -> None:
    assert split_patterns(("*.bin,*.pt", "*.bin", " *.onnx ")) == ("*.bin", "*.pt", "*.onnx")
    selection = Selection(("*.bin",), ("small/*.bin",))
    assert selection.selects("models/a.bin")
    assert not selection.selects("small/a.bin")
    assert not selection.selects("a.txt")
    assert not Selection(("*",)).selects(".gitattributes")
    assert not Selection(("*",)).selects("sub/.gitattributes")


def test_nested_files_only_change_in_place() -> None:
    lfs = b"*.bin filter=lfs diff=lfs merge=lfs -text\n"
    assert ga.for_import(lfs, ["*.bin"], ["x/*.bin"], nested=True) == b"*.bin " + MODEL + b"\n"
    other = b"*.psd filter=lfs diff=lfs merge=lfs -text\n"
    assert ga.for_import(other, ["*.bin"], [], nested=True) is other
    assert ga.for_import(None, ["*.bin"], [], nested=True) is None
