"""`git model fsck`: verify the local store, the models in scope, and optionally the remote."""

from __future__ import annotations

import json

import click

from git_model.context import AppContext
from git_model.errors import CorruptObjectError


@click.command("fsck")
@click.option("--all", "everything", is_flag=True, help="Check the models of every commit of every ref.")
@click.option("--remote", "remote_name", is_flag=False, flag_value="", default=None,
              help="Also check that the remote store (default remote, or NAME) holds them.")
@click.option("--repair", is_flag=True, help="Move damaged objects aside and refetch them from the remote.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--prune-temp", is_flag=True, help="Remove temp files left by killed writers.")
@click.pass_obj
def fsck(app: AppContext, everything: bool, remote_name: str | None, repair: bool, as_json: bool, prune_temp: bool) -> None:
    """Verify every pack, index and manifest, and that the models in scope can be rebuilt."""
    from git_model.maintenance import verify
    from git_model.store.fsck import fsck_store

    store = app.store
    report = fsck_store(store)
    pointers = verify.pointers_in_scope(app.repo, everything)
    remote = app.remote(remote_name or None) if (remote_name is not None or repair) else None
    if repair:
        moved = verify.repair(store, report, pointers, remote)
        for path in moved:
            click.echo(f"moved damaged {path.name} to {store.root / verify.DAMAGED_DIR}", err=True)
        report = fsck_store(store)
    checked = verify.check_pointers(store, pointers, remote if remote_name is not None else None)
    problems = list(report.problems) + verify.problems_of(checked, remote.backend.url if remote else None)
    if prune_temp:
        for orphan in report.orphans:
            orphan.unlink(missing_ok=True)
    if as_json:
        click.echo(json.dumps({
            "version": 1, "packs": report.packs, "chunks": report.chunks, "manifests": report.manifests,
            "models_checked": checked.checked,
            "problems": [{"path": str(p.path), "message": p.message} for p in problems],
            "orphans": [str(p) for p in report.orphans],
        }, indent=2))
    else:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(
            f"{report.packs} packs, {report.chunks} chunks, {report.manifests} manifests, "
            f"{checked.checked} models checked; {len(problems)} problem(s), {len(report.orphans)} orphan temp file(s)"
        )
    if problems:
        raise CorruptObjectError(f"fsck: {len(problems)} problem(s) in {store.root}")


def register(group: click.Group) -> None:
    group.add_command(fsck)
