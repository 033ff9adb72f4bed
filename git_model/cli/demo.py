"""`git model demo`: the end-to-end demo on an embedded default (no server)."""

from __future__ import annotations

import click


@click.command("demo")
@click.option("--size-mib", default=64, show_default=True, help="Size of the demo model.")
@click.option("--keep", is_flag=True, help="Keep the demo directory.")
def demo(size_mib: int, keep: bool) -> None:
    """Track a model, commit and push two versions, clone and check out both, show the savings."""
    from git_model.demo import run_demo

    run_demo(size_mib, keep, click.echo)


def register(group: click.Group) -> None:
    group.add_command(demo)
