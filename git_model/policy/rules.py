"""The rules a policy section can state about one metadata key (spec: docs/policy.md).

Each rule is a frozen value built from one ``.gitmodel`` line; ``problem(value)`` returns what
is wrong with a present value, or None. ``require`` is the only rule about absence: the others
judge a key only when the model has it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from git_model.policy.sidecar import Value, as_text

TYPES = ("string", "number", "integer", "boolean")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def as_number(value: Value) -> float | None:
    """A finite number, from a TOML number or from decimal text; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) or isinstance(value, str) and _NUMBER.fullmatch(value):
        number = float(value)
    else:
        return None
    return number if math.isfinite(number) else None


def has_type(value: Value, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return as_number(value) is not None
    if kind == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, str) and _INTEGER.fullmatch(value) is not None)
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    raise ValueError(kind)


def _shown(value: Value) -> str:
    text = as_text(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text) if isinstance(value, str) else text


@dataclass(frozen=True)
class Require:
    """``require = KEY``: the key is present with a non-blank value."""

    key: str
    line: int | None = field(default=None, compare=False)

    def describe(self) -> str:
        return "require"

    def problem(self, value: Value | None) -> str | None:
        if value is None:
            return "missing"
        if isinstance(value, str) and not value.strip():
            return "empty"
        return None


@dataclass(frozen=True)
class TypeRule:
    """``type = KEY TYPE``: string, number, integer or boolean (see ``has_type``)."""

    key: str
    kind: str
    line: int | None = field(default=None, compare=False)

    def describe(self) -> str:
        return f"type {self.kind}"

    def problem(self, value: Value) -> str | None:
        return None if has_type(value, self.kind) else f"got {_shown(value)}"


@dataclass(frozen=True)
class Match:
    """``match = KEY REGEX``: Python regular expression searched in the text of the value
    (unanchored, like grep: write ``^…$`` to match the whole value)."""

    key: str
    pattern: str
    line: int | None = field(default=None, compare=False)

    def describe(self) -> str:
        return f"match {self.pattern}"

    def problem(self, value: Value) -> str | None:
        return None if re.search(self.pattern, as_text(value)) else f"got {_shown(value)}"


@dataclass(frozen=True)
class Allow:
    """``allow = KEY VALUE`` (one line per value): the text of the value is one of them."""

    key: str
    values: tuple[str, ...]
    line: int | None = field(default=None, compare=False)

    def describe(self) -> str:
        return "allow " + ", ".join(self.values)

    def problem(self, value: Value) -> str | None:
        return None if as_text(value) in self.values else f"got {_shown(value)}"


@dataclass(frozen=True)
class Bound:
    """``min = KEY NUMBER`` / ``max = KEY NUMBER``: inclusive; the value must be a number."""

    key: str
    kind: str  # "min" or "max"
    limit: float
    text: str  # the limit as written
    line: int | None = field(default=None, compare=False)

    def describe(self) -> str:
        return f"{self.kind} {self.text}"

    def problem(self, value: Value) -> str | None:
        number = as_number(value)
        if number is None:
            return f"got {_shown(value)}, not a number"
        ok = number >= self.limit if self.kind == "min" else number <= self.limit
        return None if ok else f"got {as_text(value) if not isinstance(value, str) else value}"


Rule = Require | TypeRule | Match | Allow | Bound
