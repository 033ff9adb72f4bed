"""`git model gc` (alias `prune`): drop local model versions nothing needs any more."""

from __future__ import annotations

import json

import click

from git_model.cli.context import AppContext


def _gc(app: AppContext, dry_run: bool, force: bool, recent_days: int | None, as_json: bool) -> None:
    from git_model.errors import ConfigError
    from git_model.maintenance.gc import plan_gc, run_gc
    from git_model.maintenance.liveness import live_model_oids

    days = recent_days if recent_days is not None else app.config_int("model.pruneRecentDays", 7)
    try:
        remote = app.remote()
        confirmed = remote.has_manifest
    except ConfigError:
        confirmed = None
    store = app.store
    plan = run_gc(store, lambda: plan_gc(store, live_model_oids(app.repo, days), confirmed, force), dry_run)
    if as_json:
        click.echo(json.dumps({
            "version": 1, "dry_run": dry_run,
            "dropped_versions": plan.drop_manifests, "kept_unpushed_versions": plan.unconfirmed,
            "removed_packs": plan.drop_packs, "repacked_packs": plan.repack_packs,
            "dead_chunks": plan.dead_chunks, "freed_bytes": plan.freed_bytes,
        }, indent=2))
        return
    verb = "would free" if dry_run else "freed"
    click.echo(
        f"{len(plan.drop_manifests)} unneeded version(s), {plan.dead_chunks} chunk(s) in "
        f"{len(plan.drop_packs)} removed and {len(plan.repack_packs)} repacked pack(s): {verb} "
        f"{plan.freed_bytes / 1e6:.1f} MB"
    )
    if plan.unconfirmed:
        click.echo(
            f"kept {len(plan.unconfirmed)} unneeded version(s) the remote does not hold "
            "(push them, or use --force to drop them anyway)",
            err=True,
        )


def _options(fn):  # type: ignore[no-untyped-def]
    fn = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(fn)
    fn = click.option("--recent-days", type=int, help="Keep versions committed this recently (default 7).")(fn)
    fn = click.option("--force", is_flag=True, help="Also drop versions the remote does not confirm holding.")(fn)
    fn = click.option("--dry-run", "-n", is_flag=True, help="Show what would be removed.")(fn)
    return click.pass_obj(fn)


@click.command("gc")
@_options
def gc(app: AppContext, dry_run: bool, force: bool, recent_days: int | None, as_json: bool) -> None:
    """Remove local chunks that no kept version needs, and compact packs."""
    _gc(app, dry_run, force, recent_days, as_json)


@click.command("prune")
@_options
def prune(app: AppContext, dry_run: bool, force: bool, recent_days: int | None, as_json: bool) -> None:
    """Same as gc."""
    _gc(app, dry_run, force, recent_days, as_json)


def register(group: click.Group) -> None:
    group.add_command(gc)
    group.add_command(prune)
