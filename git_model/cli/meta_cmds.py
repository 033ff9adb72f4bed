"""`git model meta show|set|check`: model metadata and the `.gitmodel` policy."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Commands are added here as they are written."""
