"""Git's ``--raw -z --no-abbrev`` diff output: one change per path, with the blob on each
side, as `git log`, `git diff-tree` and `git diff-index` print it. Combined diffs (merges,
``-c``) are read too: the old side is then the first parent's."""

from __future__ import annotations

from dataclasses import dataclass

from git_model.versions.revisions import REGULAR_MODES, is_null_oid


@dataclass(frozen=True)
class RawChange:
    """One line of ``--raw`` output: blob ids are None where the side is absent or not a
    regular file; for a merge, ``old_blob`` is the first parent's."""

    status: str
    old_path: str
    new_path: str
    old_blob: str | None
    new_blob: str | None


def decode_path(raw: bytes) -> str:
    return raw.decode(errors="surrogateescape")


def read_change(tokens: list[bytes], i: int) -> tuple[RawChange, int]:
    """The raw change starting at ``tokens[i]`` (a ``:modes oids status`` token, combined or
    not, then its path or, for a rename or copy, its two paths) and the index after it."""
    token = tokens[i].lstrip(b"\n")
    colons = len(token) - len(token.lstrip(b":"))
    meta = token[colons:].decode().split()
    modes, oids, status = meta[: colons + 1], meta[colons + 1 : 2 * colons + 2], meta[2 * colons + 2]
    if colons == 1 and status[0] in "RC":
        old_path, new_path = decode_path(tokens[i + 1]), decode_path(tokens[i + 2])
        i += 3
    else:
        old_path = new_path = decode_path(tokens[i + 1])
        i += 2
    old_blob = oids[0] if modes[0] in REGULAR_MODES and not is_null_oid(oids[0]) else None
    new_blob = oids[-1] if modes[-1] in REGULAR_MODES and not is_null_oid(oids[-1]) else None
    return RawChange(status[0], old_path, new_path, old_blob, new_blob), i


def parse_raw(out: bytes) -> list[RawChange]:
    """Parse ``git diff-tree/diff-index -z --raw --no-abbrev`` output."""
    tokens = out.split(b"\0")
    changes, i = [], 0
    while i < len(tokens):
        if tokens[i].lstrip(b"\n").startswith(b":"):
            change, i = read_change(tokens, i)
            changes.append(change)
        else:
            i += 1
    return changes
