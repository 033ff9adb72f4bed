"""Editing `.gitattributes` for `track` / `untrack`, keeping every other line as it was."""

from __future__ import annotations

from pathlib import Path

from git_model.store.atomic import write_atomic

ATTRIBUTES = "filter=model diff=model merge=model -text"


def escape_pattern(pattern: str) -> str:
    """gitattributes patterns end at whitespace; spaces are written as [[:space:]]."""
    return pattern.replace(" ", "[[:space:]]")


def unescape_pattern(pattern: str) -> str:
    return pattern.replace("[[:space:]]", " ")


def _is_tracking_line(line: str) -> str | None:
    """The (unescaped) pattern of a line that sets filter=model, else None."""
    fields = line.split()
    if len(fields) >= 2 and not fields[0].startswith("#") and "filter=model" in fields[1:]:
        return unescape_pattern(fields[0])
    return None


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def tracked_patterns(path: Path) -> list[str]:
    return [p for line in read_lines(path) if (p := _is_tracking_line(line)) is not None]


def track(path: Path, patterns: list[str]) -> list[str]:
    """Append a line per new pattern; returns the patterns that were added."""
    lines = read_lines(path)
    present = {p for line in lines if (p := _is_tracking_line(line)) is not None}
    added = [p for p in dict.fromkeys(patterns) if p not in present]
    if added:
        lines.extend(f"{escape_pattern(p)} {ATTRIBUTES}" for p in added)
        write_atomic(path, ("\n".join(lines) + "\n").encode())
    return added


def untrack(path: Path, patterns: list[str]) -> list[str]:
    """Remove the tracking lines of ``patterns``; returns the patterns removed."""
    lines = read_lines(path)
    wanted = set(patterns)
    kept, removed = [], []
    for line in lines:
        pattern = _is_tracking_line(line)
        if pattern is not None and pattern in wanted:
            removed.append(pattern)
        else:
            kept.append(line)
    if removed:
        write_atomic(path, ("\n".join(kept) + "\n").encode() if kept else b"")
    return removed
