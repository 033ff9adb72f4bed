"""Byte counts for people: binary units with one decimal."""

from __future__ import annotations

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def format_bytes(n: int | None) -> str:
    """``1536`` → ``"1.5 KiB"``; below 1 KiB the exact count (``"812 B"``); None → ``"?"``."""
    if n is None:
        return "?"
    if abs(n) < 1024:
        return f"{n} B"
    value = float(n)
    for unit in _UNITS:
        value /= 1024
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def format_percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}%"
