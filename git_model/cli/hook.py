"""`git model hook NAME ARGS…`: what the installed hook programs run."""

from __future__ import annotations

import sys

import click

from git_model.context import AppContext
from git_model.errors import GitModelError


@click.command("hook", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def hook(app: AppContext, name: str, args: tuple[str, ...]) -> None:
    """Run the git-model part of hook NAME (called by the installed hook scripts)."""
    handlers = {
        "pre-push": _pre_push,
        "post-checkout": _post_checkout,
        "post-merge": _post_merge,
        "pre-commit": _pre_commit,
        "pre-receive": _pre_receive,
    }
    handler = handlers.get(name)
    if handler is None:
        raise GitModelError(f"hook: unknown hook {name!r}")
    handler(app, list(args))


def _pre_push(app: AppContext, args: list[str]) -> None:
    from git_model.remote.transfer import push
    from git_model.sharing import parse_pre_push, pointers_to_push

    name = args[0] if args else "origin"
    url = args[1] if len(args) > 1 else None
    updates = parse_pre_push(sys.stdin.read().splitlines())
    pointers = pointers_to_push(app.repo, name, updates)
    if not pointers:
        return
    try:
        stats = push(app.store, app.remote(name, url if url and name == url else None), [p.pointer for p in pointers])
    except GitModelError as err:
        raise GitModelError(f"push to '{name}' refused, model upload failed: {err}") from None
    if stats.files:
        click.echo(
            f"git-model: uploaded {stats.files} model(s): {stats.chunks} new chunk(s), {stats.bytes / 1e6:.1f} MB",
            err=True,
        )


def _post_checkout(app: AppContext, args: list[str]) -> None:
    _write_pointers(app)


def _post_merge(app: AppContext, args: list[str]) -> None:
    _write_pointers(app)


def _write_pointers(app: AppContext) -> None:
    """Write models left as pointers (too large for Git's smudge, or fetched late)."""
    from git_model.filters import skip_smudge
    from git_model.sharing import materialize

    if skip_smudge() or app.repo.worktree is None:
        return
    process = app.repo.config_get("filter.model.process") or ""
    if "--skip" in process.split():
        return  # installed with --skip-smudge: pointers are wanted
    written, _ = materialize(app.repo, app.store, _remote_or_none(app), None)
    if written:
        click.echo(f"git-model: wrote {len(written)} model(s) directly to the working tree", err=True)


def _pre_commit(app: AppContext, args: list[str]) -> None:
    """Refuse a commit whose new or changed models break the staged .gitmodel policy."""
    from git_model.errors import PolicyViolation
    from git_model.policy.check import check_staged

    def access():  # type: ignore[no-untyped-def]
        from git_model.policy.metadata import ModelAccess

        return ModelAccess(app.store, fetch=app.ensure_local)

    if app.repo.is_bare:
        return
    report = check_staged(app.repo, access)
    if report is None or not report.violations:
        return
    for violation in report.violations:
        click.echo(str(violation), err=True)
    raise PolicyViolation(
        f"commit refused: {len(report.violations)} policy violation(s) in {report.failed_models} model(s) "
        f"(policy: {report.policy.source}); add the metadata to the model or to its sidecar "
        "('git model meta set PATH KEY=VALUE', then 'git add PATH.meta.toml')"
    )


def _pre_receive(app: AppContext, args: list[str]) -> None:
    """Refuse ref updates that bring model versions breaking the policy of the pushed commit."""
    from git_model.errors import PolicyViolation
    from git_model.policy.receive import check_update, parse_updates

    problems = 0
    for update in parse_updates(sys.stdin.read().splitlines()):
        report = check_update(app.repo, app.store, update)
        if report is None:
            continue
        for note in report.notes:
            click.echo(f"git-model: {note}", err=True)
        if report.violations:
            click.echo(
                f"git-model: {update.ref}: {len(report.violations)} policy violation(s) in "
                f"{report.failed_models} model(s); policy: {report.policy.source}",
                err=True,
            )
            for violation in report.violations:
                click.echo(str(violation), err=True)
            problems += len(report.violations)
    if problems:
        raise PolicyViolation(f"push refused: {problems} policy violation(s); fix the model metadata and push again")


def _remote_or_none(app: AppContext):  # type: ignore[no-untyped-def]
    from git_model.errors import ConfigError

    try:
        return app.remote()
    except ConfigError:
        return None


def register(group: click.Group) -> None:
    group.add_command(hook)
