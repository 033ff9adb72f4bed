"""The metadata sidecar: ``<model>.meta.toml`` next to a model (spec: docs/policy.md).

A TOML document; nested tables flatten to dotted keys (``[metrics] accuracy = 0.91`` is
``metrics.accuracy``). Values keep their TOML type (str, int, float, bool, date/time, array).
``render`` writes a document back in a canonical layout (``git model meta set``): top-level
values first, then one ``[table]`` per nested table; comments are not kept.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any, Union

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from git_model.errors import FormatError, UsageError

SUFFIX = ".meta.toml"
MAX_SIDECAR_BYTES = 1 << 20  # a sidecar is a small text file; larger is a mistake

Value = Union[str, int, float, bool, dt.datetime, dt.date, dt.time, list]  # noqa: UP007
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_LINE = re.compile(r"(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")
# a value `meta set` stores as a number: TOML's decimal integers and floats
_INTEGER = re.compile(r"[+-]?(?:0|[1-9](?:_?\d)*)")
_FLOAT = re.compile(r"[+-]?(?:0|[1-9](?:_?\d)*)(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?")


def sidecar_path(model_path: str) -> str:
    return model_path + SUFFIX


def model_of_sidecar(path: str) -> str | None:
    """The model a sidecar path describes, or None when ``path`` is not a sidecar."""
    return path[: -len(SUFFIX)] if path.endswith(SUFFIX) and len(path) > len(SUFFIX) else None


def load_document(data: bytes, name: str) -> dict[str, Any]:
    """The nested TOML document in ``data``; FormatError naming ``name`` and the line."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise FormatError(f"{name}: {len(data)} bytes, larger than a sidecar may be ({MAX_SIDECAR_BYTES})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise FormatError(f"{name} line {line}: not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = _TOML_LINE.match(str(err))
        if found is None:
            raise FormatError(f"{name}: {err}") from None
        msg = found["msg"][:1].lower() + found["msg"][1:]
        raise FormatError(f"{name} line {found['line']}: {msg} (column {found['col']})") from None


def flatten(document: dict[str, Any], name: str) -> dict[str, Value]:
    """Nested tables → dotted keys, in document order. Two spellings of one dotted key
    (``"a.b" = 1`` beside ``[a] b = 2``) are a FormatError naming ``name``."""
    flat: dict[str, Value] = {}

    def walk(table: dict[str, Any], prefix: str) -> None:
        for key, value in table.items():
            dotted = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(value, dotted + ".")
                continue
            if dotted in flat:
                raise FormatError(f"{name}: key '{dotted}' is defined twice (as a dotted name and as a table)")
            flat[dotted] = value

    walk(document, "")
    return flat


def parse_sidecar(data: bytes, name: str) -> dict[str, Value]:
    """The flattened metadata of a sidecar; FormatError naming ``name`` (and the line)."""
    return flatten(load_document(data, name), name)


def as_text(value: Value) -> str:
    """The text form rules compare against (embedded metadata is always text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return json.dumps(to_json(value), ensure_ascii=False)


def to_json(value: Any) -> Any:
    """``value`` with dates and times as ISO text, so ``json.dumps`` accepts it."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


# -- meta set ------------------------------------------------------------------------------

def typed_value(text: str) -> Value:
    """``meta set`` typing: TOML decimal numbers become numbers, ``"…"`` is the text inside
    the quotes, anything else stays text as written."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    if _INTEGER.fullmatch(text):
        return int(text.replace("_", ""))
    if _FLOAT.fullmatch(text):
        return float(text.replace("_", ""))
    return text


def parse_assignment(item: str) -> tuple[str, Value]:
    """``KEY=VALUE`` → (dotted key, typed value); UsageError on a malformed key."""
    key, equals, text = item.partition("=")
    if not equals:
        raise UsageError(f"meta set: {item!r} is not KEY=VALUE")
    parts = key.split(".")
    if not key or any(not part or any(ch.isspace() for ch in part) for part in parts):
        raise UsageError(f"meta set: {key!r} is not a metadata key (dot-separated names, no spaces)")
    return key, typed_value(text)


def assign(document: dict[str, Any], key: str, value: Value) -> None:
    """Set dotted ``key`` in nested ``document``, creating tables on the way."""
    parts = key.split(".")
    table = document
    for depth, part in enumerate(parts[:-1]):
        child = table.setdefault(part, {})
        if not isinstance(child, dict):
            raise UsageError(f"meta set: '{'.'.join(parts[: depth + 1])}' holds a value, so '{key}' cannot be set")
        table = child
    if isinstance(table.get(parts[-1]), dict):
        raise UsageError(f"meta set: '{key}' is a table of keys, not one value")
    table[parts[-1]] = value


def render(document: dict[str, Any]) -> str:
    """A TOML text that ``tomllib`` reads back as ``document``."""
    out: list[str] = []
    _render_table(document, [], out)
    return "\n".join(out).strip("\n") + "\n" if out else ""


def _render_table(table: dict[str, Any], path: list[str], out: list[str]) -> None:
    values = [(k, v) for k, v in table.items() if not isinstance(v, dict)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, dict)]
    if path and (values or not tables):
        if out:
            out.append("")
        out.append("[" + ".".join(_key(p) for p in path) + "]")
    for key, value in values:
        out.append(f"{_key(key)} = {_literal(value)}")
    for key, sub in tables:
        _render_table(sub, [*path, key], out)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    escaped = []
    for ch in text:
        if ch in '"\\':
            escaped.append("\\" + ch)
        elif ch in "\b\t\n\f\r":
            escaped.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            escaped.append(f"\\u{ord(ch):04X}")
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_literal(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
