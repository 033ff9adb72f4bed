"""Commands are added here as they are written."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Commands are added here as they are written."""
