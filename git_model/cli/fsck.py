"""`git model fsck`: verify the local store."""

from __future__ import annotations

import json

import click

from git_model.cli.context import AppContext
from git_model.errors import CorruptObjectError


@click.command("fsck")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--prune-temp", is_flag=True, help="Remove temp files left by killed writers.")
@click.pass_obj
def fsck(app: AppContext, as_json: bool, prune_temp: bool) -> None:
    """Verify every pack, index and manifest of the local store."""
    from git_model.store.fsck import fsck_store

    report = fsck_store(app.store)
    if prune_temp:
        for orphan in report.orphans:
            orphan.unlink(missing_ok=True)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "packs": report.packs,
                    "chunks": report.chunks,
                    "manifests": report.manifests,
                    "problems": [{"path": str(p.path), "message": p.message} for p in report.problems],
                    "orphans": [str(p) for p in report.orphans],
                },
                indent=2,
            )
        )
    else:
        for problem in report.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(
            f"{report.packs} packs, {report.chunks} chunks, {report.manifests} manifests checked; "
            f"{len(report.problems)} problem(s), {len(report.orphans)} orphan temp file(s)"
        )
    if report.problems:
        raise CorruptObjectError(f"fsck: {len(report.problems)} problem(s) in {app.store.root}")


def register(group: click.Group) -> None:
    group.add_command(fsck)
