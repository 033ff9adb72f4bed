"""`git model gc` (alias `prune`): drop local model versions nothing needs any more."""

from __future__ import annotations

import json

import click

from git_model.context import AppContext


def _remote_gc(app: AppContext, name: str, grace_hours: float, dry_run: bool, as_json: bool) -> None:
    from git_model.maintenance.remote_gc import collect
    from git_model.remote.resolve import default_remote_name

    remote_name = name or default_remote_name(app.repo)
    result = collect(app.repo, remote_name, app.remote(remote_name), grace_hours * 3600, dry_run)
    if as_json:
        click.echo(json.dumps({"version": 1, "dry_run": dry_run, **result.__dict__}, indent=2))
        return
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"remote '{remote_name}': {verb} {len(result.deleted_manifests)} version(s) and "
        f"{len(result.deleted_packs)} pack(s); {len(result.marked_manifests)} version(s) and "
        f"{len(result.marked_packs)} pack(s) marked, deletable after {max(result.waiting_seconds, 0) / 3600:.1f} h "
        "if still unreferenced"
    )


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


def _run(app: AppContext, dry_run: bool, force: bool, recent_days: int | None, as_json: bool,
         remote_name: str | None, grace_hours: float) -> None:
    if remote_name is not None:
        _remote_gc(app, remote_name, grace_hours, dry_run, as_json)
    else:
        _gc(app, dry_run, force, recent_days, as_json)


def _options(fn):  # type: ignore[no-untyped-def]
    fn = click.option("--grace-hours", type=float, default=24.0, show_default=True,
                      help="With --remote: marks older than this are deleted.")(fn)
    fn = click.option("--remote", "remote_name", is_flag=False, flag_value="", default=None,
                      help="Collect the remote store instead (opt-in; two phases, see docs/remotes.md).")(fn)
    fn = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(fn)
    fn = click.option("--recent-days", type=int, help="Keep versions committed this recently (default 7).")(fn)
    fn = click.option("--force", is_flag=True, help="Also drop versions the remote does not confirm holding.")(fn)
    fn = click.option("--dry-run", "-n", is_flag=True, help="Show what would be removed.")(fn)
    return click.pass_obj(fn)


@click.command("gc")
@_options
def gc(app: AppContext, dry_run: bool, force: bool, recent_days: int | None, as_json: bool,
       remote_name: str | None, grace_hours: float) -> None:
    """Remove local chunks that no kept version needs, and compact packs."""
    _run(app, dry_run, force, recent_days, as_json, remote_name, grace_hours)


@click.command("prune")
@_options
def prune(app: AppContext, dry_run: bool, force: bool, recent_days: int | None, as_json: bool,
          remote_name: str | None, grace_hours: float) -> None:
    """Same as gc."""
    _run(app, dry_run, force, recent_days, as_json, remote_name, grace_hours)


def register(group: click.Group) -> None:
    group.add_command(gc)
    group.add_command(prune)
