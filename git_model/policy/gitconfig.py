"""Line numbers for the entries of a git-config file (``.gitmodel``).

Git parses ``.gitmodel`` (``git config --file``/``--blob``): its syntax errors name the line in
Git's own words, and its ``--list`` output is what the entries mean. But ``--list`` does not say
on which line an entry stands, which an error about a *valid* line ("unknown rule 'x'") must
name. ``scan`` re-reads the text the way Git's ``config.c`` does (sections, continuation lines,
quotes, escapes, comments) and returns every entry with the line its name starts on;
``git_entries`` is Git's own list. The caller pairs them only when both agree entry for entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from git_model.errors import ConfigError
from git_model.git.repo import Repo

_SPACE = " \t\n\v\f\r"
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "\\": "\\", '"': '"'}


@dataclass(frozen=True)
class ConfigEntry:
    """One ``key = value`` line. ``key`` is spelled as ``git config --list`` prints it:
    section and variable lower-cased, the subsection as written (``policy.*.onnx.require``);
    ``value`` is None for a bare ``key`` line (Git's boolean true)."""

    key: str
    value: str | None
    line: int | None = None

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def subsection(self) -> str | None:
        head, _, _ = self.key.rpartition(".")
        return head.split(".", 1)[1] if "." in head else None

    @property
    def name(self) -> str:
        return self.key.rpartition(".")[2]


class _Syntax(Exception):
    """``scan`` met something Git would reject (Git reports it first, in its own words)."""


def _is_alpha(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def _is_keychar(c: str) -> bool:
    return _is_alpha(c) or ("0" <= c <= "9") or c == "-"


class _Source:
    """Characters of the text as Git's ``get_next_char`` sees them: CRLF is one newline and
    the end of the text reads as a newline with ``eof`` set."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.eof = False

    def next(self) -> str:
        if self.pos >= len(self.text):
            self.eof = True
            return "\n"
        c = self.text[self.pos]
        self.pos += 1
        if c == "\r" and self.text.startswith("\n", self.pos):
            c = "\n"
            self.pos += 1
        if c == "\n":
            self.line += 1
        return c


def scan(text: str) -> list[ConfigEntry]:
    """Every entry of git-config ``text`` in file order, with the line its name starts on.
    Raises ValueError on text Git would not accept."""
    src = _Source(text.removeprefix("\ufeff"))
    entries: list[ConfigEntry] = []
    section: str | None = None
    comment = False
    try:
        while True:
            c = src.next()
            if c == "\n":
                if src.eof:
                    return entries
                comment = False
                continue
            if comment or c in _SPACE:
                continue
            if c in "#;":
                comment = True
                continue
            if c == "[":
                section = _section(src)
                continue
            if not _is_alpha(c):
                raise _Syntax
            line = src.line
            name, value = _entry(src, c)
            entries.append(ConfigEntry(f"{section}.{name}" if section else name, value, line))
    except _Syntax:
        raise ValueError(f"bad config line {src.line}") from None


def _section(src: _Source) -> str:
    name = ""
    while True:
        c = src.next()
        if src.eof:
            raise _Syntax
        if c == "]":
            break
        if c in _SPACE:
            return _subsection(src, name, c)
        if not (_is_keychar(c) or c == "."):
            raise _Syntax
        name += c.lower()
    if not name:
        raise _Syntax
    return name


def _subsection(src: _Source, name: str, c: str) -> str:
    while True:
        if c == "\n":
            raise _Syntax
        c = src.next()
        if c not in _SPACE:
            break
    if c != '"' or not name:
        raise _Syntax
    name += "."
    while True:
        c = src.next()
        if c == "\n":
            raise _Syntax
        if c == '"':
            break
        if c == "\\":
            c = src.next()
            if c == "\n":
                raise _Syntax
        name += c
    if src.next() != "]":
        raise _Syntax
    return name


def _entry(src: _Source, first: str) -> tuple[str, str | None]:
    name = first.lower()
    while True:
        c = src.next()
        if src.eof or not _is_keychar(c):
            break
        name += c.lower()
    while c in " \t":
        c = src.next()
    if c == "\n":
        return name, None
    if c != "=":
        raise _Syntax
    return name, _value(src)


def _value(src: _Source) -> str:
    value = ""
    quote = comment = False
    space = 0
    while True:
        c = src.next()
        if c == "\n":
            if quote:
                raise _Syntax
            return value
        if comment:
            continue
        if c in _SPACE and not quote:
            if value:
                space += 1
            continue
        if not quote and c in ";#":
            comment = True
            continue
        value += " " * space
        space = 0
        if c == "\\":
            c = src.next()
            if c == "\n":
                continue
            if c not in _ESCAPES:
                raise _Syntax
            value += _ESCAPES[c]
        elif c == '"':
            quote = not quote
        else:
            value += c


def git_entries(repo: Repo, source_args: list[str], display: str) -> list[ConfigEntry]:
    """``git config SOURCE_ARGS --list -z``: the entries as Git reads them (no line numbers).
    A malformed file is a ConfigError carrying Git's message, which names the line."""
    proc = repo.git("config", *source_args, "--list", "-z", check=False)
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.decode(errors="replace").splitlines() if ln.strip()]
        detail = next((ln for ln in lines if "line" in ln), lines[0] if lines else "cannot be parsed")
        for prefix in ("fatal: ", "error: "):
            detail = detail.removeprefix(prefix)
        raise ConfigError(f"{display}: {detail}")
    entries = []
    for item in proc.stdout.decode(errors="surrogateescape").split("\0"):
        if not item:
            continue
        key, newline, value = item.partition("\n")
        entries.append(ConfigEntry(key, value if newline else None))
    return entries


def read_entries(repo: Repo, source_args: list[str], text: str, display: str) -> list[ConfigEntry]:
    """Git's entries of a config file, each with its line number when ``scan`` of the same
    ``text`` agrees with Git entry for entry (it does for every file Git accepts; if a future
    Git reads some corner differently, the entries keep Git's meaning and lose their lines)."""
    entries = git_entries(repo, source_args, display)
    try:
        scanned = scan(text)
    except ValueError:
        return entries
    if [(e.key, e.value) for e in scanned] != [(e.key, e.value) for e in entries]:
        return entries
    return scanned
