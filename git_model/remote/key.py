"""Remote object keys: one strict definition shared by every backend.

A key is a non-empty '/'-separated relative name such as ``packs/ab/ab12.pack``. Its
components are non-empty, never ``.`` or ``..`` and never start with ``.`` (names starting
with a dot are reserved for a backend's temporary files), and contain no backslash or NUL.
Checking keys in one place keeps every backend's namespace identical and stops a key from
escaping a filesystem remote's root. A bad key is a bug in the caller, so it raises
``ValueError`` rather than a remote error.
"""

from __future__ import annotations

_FORBIDDEN = ("\\", "\x00")


def is_valid_component(name: str) -> bool:
    """True for one path component a key may contain."""
    return bool(name) and not name.startswith(".") and not any(c in name for c in _FORBIDDEN)


def is_valid_key(key: str) -> bool:
    """True when ``key`` follows the key rules in this module's docstring."""
    return bool(key) and all(is_valid_component(part) for part in key.split("/"))


def check_key(key: str) -> str:
    """Return ``key`` unchanged, or raise ``ValueError`` naming it."""
    if not is_valid_key(key):
        raise ValueError(f"invalid remote key {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """Return a listing ``prefix`` unchanged, or raise ``ValueError``.

    A prefix is ``""``, or directory components that are valid key components followed by
    an optional partial name (``packs/``, ``packs/ab``).
    """
    head, _, tail = prefix.rpartition("/")
    bad_head = bool(head) and not is_valid_key(head)
    bad_tail = prefix.startswith("/") or any(c in tail for c in _FORBIDDEN)
    if bad_head or bad_tail:
        raise ValueError(f"invalid remote prefix {prefix!r}")
    return prefix
