"""`git model push`, `fetch`, `pull` and `checkout`: moving models between stores and onto disk."""

from __future__ import annotations

import click

from git_model.context import AppContext


def _report(verb: str, stats) -> None:  # type: ignore[no-untyped-def]
    if stats is None or not stats.files:
        click.echo(f"git-model: nothing to {verb}", err=True)
        return
    click.echo(
        f"git-model: {verb}: {stats.files} model(s), {stats.chunks} chunk(s), {stats.packs} pack(s), "
        f"{stats.bytes / 1e6:.1f} MB moved",
        err=True,
    )


@click.command("push")
@click.argument("remote", required=False)
@click.argument("refs", nargs=-1)
@click.pass_obj
def push(app: AppContext, remote: str | None, refs: tuple[str, ...]) -> None:
    """Upload the models reachable from REFs (default HEAD) that REMOTE's store lacks."""
    from git_model.remote.resolve import default_remote_name
    from git_model.sharing import push_refs

    name = remote or default_remote_name(app.repo)
    _report("push", push_refs(app.repo, app.store, name, None, list(refs) or ["HEAD"]))


@click.command("fetch")
@click.argument("remote", required=False)
@click.argument("refs", nargs=-1)
@click.option("-I", "--include", multiple=True, help="Only paths matching this pattern (repeatable).")
@click.option("-X", "--exclude", multiple=True, help="Skip paths matching this pattern (repeatable).")
@click.pass_obj
def fetch(app: AppContext, remote: str | None, refs: tuple[str, ...], include: tuple[str, ...], exclude: tuple[str, ...]) -> None:
    """Download the models in the trees of REFs (default HEAD) that the local store lacks."""
    from git_model.sharing import fetch_tree

    store = app.remote(remote)
    total = None
    for ref in refs or ("HEAD",):
        stats = fetch_tree(app.repo, app.store, store, ref, list(include), list(exclude))
        if stats is not None:
            total = stats if total is None else _add(total, stats)
    _report("fetch", total)


def _add(a, b):  # type: ignore[no-untyped-def]
    a.files += b.files
    a.chunks += b.chunks
    a.packs += b.packs
    a.bytes += b.bytes
    return a


@click.command("checkout")
@click.argument("paths", nargs=-1)
@click.pass_obj
def checkout(app: AppContext, paths: tuple[str, ...]) -> None:
    """Write models that are still pointers in the working tree (fetching what is missing)."""
    _materialize(app, None, list(paths))


@click.command("pull")
@click.argument("remote", required=False)
@click.argument("paths", nargs=-1)
@click.pass_obj
def pull(app: AppContext, remote: str | None, paths: tuple[str, ...]) -> None:
    """Fetch the models of HEAD and write every pointer in the working tree as its model."""
    _materialize(app, remote, list(paths))


def _materialize(app: AppContext, remote: str | None, paths: list[str]) -> None:
    from git_model.sharing import materialize

    written, stats = materialize(app.repo, app.store, _lazy_remote(app, remote), paths or None)
    if stats is not None:
        _report("fetch", stats)
    click.echo(f"git-model: {len(written)} model(s) written to the working tree", err=True)


def _lazy_remote(app: AppContext, remote: str | None):  # type: ignore[no-untyped-def]
    """The remote when one resolves; None lets purely local checkouts work without one."""
    from git_model.errors import ConfigError

    try:
        return app.remote(remote)
    except ConfigError:
        if remote:
            raise
        return None


def register(group: click.Group) -> None:
    for command in (push, fetch, pull, checkout):
        group.add_command(command)
