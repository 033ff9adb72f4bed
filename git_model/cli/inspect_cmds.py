"""Commands that show model versions (ls-files, status, log, show, diff, stats, diff-textconv)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Commands are added here as they are written."""
