"""How `migrate` rewrites a commit's root `.gitattributes` (pure functions over its bytes).

Import: a line whose pattern is an included pattern and which sets ``filter=lfs`` has its
``filter``/``diff``/``merge`` values changed to ``model`` in place (other attributes stay, ``-text``
is added); an included pattern with no ``filter=model`` line gets one appended; each excluded
pattern gets a line appended after them that takes it out again (``!filter !diff !merge !text``,
or the LFS attributes when the excluded files are LFS pointers). Export: the ``filter=model``
lines of the included patterns are removed. Every other line is kept byte for byte. A `.gitattributes` in a subdirectory
only gets the in-place changes (its LFS lines of included patterns become git-model lines on
import, its git-model lines of included patterns are removed on export), since its patterns
are relative to its own directory.
"""

from __future__ import annotations

from git_model.git.attributes import ATTRIBUTES, escape_pattern, unescape_pattern

LFS_ATTRIBUTES = "filter=lfs diff=lfs merge=lfs -text"
UNSET_ATTRIBUTES = "!filter !diff !merge !text"


def _fields(line: bytes) -> list[bytes]:
    fields = line.split()
    if not fields or fields[0].startswith(b"#"):
        return []
    return fields


def _pattern(fields: list[bytes]) -> str:
    return unescape_pattern(fields[0].decode("utf-8", "surrogateescape"))


def _lines(content: bytes | None) -> list[bytes]:
    if not content:
        return []
    return content.split(b"\n")[:-1] if content.endswith(b"\n") else content.split(b"\n")


def _join(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def _to_model(fields: list[bytes]) -> bytes:
    """An LFS line turned into a git-model line, keeping its other attributes."""
    out = [fields[0]]
    seen = set()
    for attr in fields[1:]:
        name = attr.split(b"=", 1)[0]
        if name in (b"filter", b"diff", b"merge"):
            attr = name + b"=model"
        elif attr in (b"text", b"!text", b"text=auto"):
            attr = b"-text"
        seen.add(attr.lstrip(b"-!").split(b"=", 1)[0])
        out.append(attr)
    for name in (b"filter", b"diff", b"merge"):
        if name not in seen:
            out.append(name + b"=model")
    if b"text" not in seen:
        out.append(b"-text")
    return b" ".join(out)


def for_import(
    content: bytes | None,
    include: list[str],
    exclude: list[str],
    lfs_excluded: frozenset[str] = frozenset(),
    nested: bool = False,
) -> bytes | None:
    """The new `.gitattributes` of a commit whose original one is ``content`` (None: absent).

    ``lfs_excluded`` names the excluded patterns whose files are LFS pointers: they get the LFS
    attributes back, so those files keep checking out through Git LFS. A ``nested`` file (in a
    subdirectory) only has its LFS lines of included patterns converted: nothing is appended.
    """
    if nested and content is None:
        return None
    wanted = list(dict.fromkeys(include))
    lines = _lines(content)
    covered: set[str] = set()
    out: list[bytes] = []
    for line in lines:
        fields = _fields(line)
        if fields and _pattern(fields) in wanted:
            pattern = _pattern(fields)
            if b"filter=lfs" in fields[1:]:
                line = _to_model(fields)
                covered.add(pattern)
            elif b"filter=model" in fields[1:]:
                covered.add(pattern)
        out.append(line)
    if nested:
        return content if out == lines else _join(out)
    out.extend(f"{escape_pattern(p)} {ATTRIBUTES}".encode() for p in wanted if p not in covered)
    for pattern in dict.fromkeys(exclude):
        attrs = LFS_ATTRIBUTES if pattern in lfs_excluded else UNSET_ATTRIBUTES
        line = f"{escape_pattern(pattern)} {attrs}".encode()
        if not out or out[-1] != line:
            out.append(line)
    return _join(out)


def for_export(content: bytes | None, include: list[str]) -> bytes | None:
    """The new `.gitattributes` without the ``filter=model`` lines of ``include``; None when the
    file held nothing else (it is then deleted); ``content`` itself when nothing changed."""
    if content is None:
        return None
    wanted = set(include)
    kept = []
    removed = False
    for line in _lines(content):
        fields = _fields(line)
        if fields and _pattern(fields) in wanted and b"filter=model" in fields[1:]:
            removed = True
            continue
        kept.append(line)
    if not removed:
        return content
    if not any(line.strip() for line in kept):
        return None
    return _join(kept)
